#!/usr/bin/env node
// Whole-model A/B of a convTuning switch: one zoo model (bench/export-zoo.py's ONNX), batch 1, one
// thread, wasm-cnn with setting A and setting B alternating round-robin in one process; medians of
// ms per run and their ratio, and whether both settings give the same output bits.
//
//   node bench/zoo-ab.mjs --dir /work/zoo --model efficientnet_b0 --a siluEpilogue=twoPass --b siluEpilogue=inKernel [--rounds 9]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, loadOnnx, tensor, keep } from '../dist/index.js';
import { convTuning } from '../dist/ops/conv/algorithm.js';

const argv = process.argv.slice(2);
const value = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i < 0 ? dflt : argv[i + 1]; };
const parseSetting = (s) => Object.fromEntries(s.split(',').filter(Boolean).map((kv) => {
  const [k, v] = kv.split('=');
  return [k, v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v)];
}));
const dir = value('dir', 'bench/out/zoo');
const rounds = Number(value('rounds', 9));
const A = parseSetting(value('a', 'siluEpilogue=twoPass'));
const B = parseSetting(value('b', 'siluEpilogue=inKernel'));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };

await init({ threads: 1 });
const saved = { ...convTuning };
for (const name of value('model', 'efficientnet_b0').split(',')) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))[name];
  const model = await loadOnnx(readFileSync(join(dir, `${name}.onnx`)));
  const n = manifest.input.slice(1).reduce((a, b) => a * b, 1);
  const x = keep(tensor(Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(0.731 * i + 0.1)), [1, ...manifest.input.slice(1)]));
  const run = (s) => { Object.assign(convTuning, saved, s); const y = model.predict(x); const d = Float32Array.from(y.dataSync()); y.dispose(); return d; };
  const outA = run(A), outB = run(B);
  const same = outA.every((v, i) => Object.is(v, outB[i]));
  const time = (s) => { run(s); const t0 = performance.now(); let c = 0; do { run(s); c++; } while (performance.now() - t0 < 150); return (performance.now() - t0) / c; };
  const ta = [], tb = [], ratios = [];
  for (let r = 0; r < rounds; r++) { const a = time(A), b = time(B); ta.push(a); tb.push(b); ratios.push(a / b); }
  console.log(`${name}: A ${JSON.stringify(A)} ${median(ta).toFixed(2)} ms, B ${JSON.stringify(B)} ${median(tb).toFixed(2)} ms, ` +
    `A/B median of per-round ratios ${median(ratios).toFixed(2)}x (${rounds} rounds), outputs ${same ? 'bit-identical' : 'DIFFER'}`);
}
Object.assign(convTuning, saved);
