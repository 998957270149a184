#!/usr/bin/env node
// EfficientNet-B0's and MobileNetV2's depthwise layers (batch 1, one thread, 224x224 input),
// conv + fused activation as the ONNX import runs them, timed with convTuning's depthwise switches
// A/B, alternating round-robin in one process: ms per call (medians) and the ratio old/new.
//
//   node bench/depthwise-layers.mjs [--rounds 9] [--only 5x5] [--act silu|relu|linear]
//        [--a siluEpilogue=twoPass] [--b siluEpilogue=inKernel]
import { init, tensor, _conv2dFused } from '../dist/index.js';
import { convTuning } from '../dist/ops/conv/algorithm.js';

const argv = process.argv.slice(2);
const value = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i < 0 ? dflt : argv[i + 1]; };
const rounds = Number(value('rounds', 9));
const only = value('only', '');
const act = value('act', 'silu');
const parseSetting = (s) => Object.fromEntries(s.split(',').filter(Boolean).map((kv) => {
  const [k, v] = kv.split('=');
  return [k, v === 'true' ? true : v === 'false' ? false : Number.isNaN(Number(v)) ? v : Number(v)];
}));
const A = parseSetting(value('a', 'siluEpilogue=twoPass'));
const B = parseSetting(value('b', 'siluEpilogue=inKernel'));

// [map size, channels, kernel, stride]
const LAYERS = [
  ['effnet', 112, 32, 3, 1], ['effnet', 112, 96, 3, 2], ['effnet', 56, 144, 3, 1], ['effnet', 56, 144, 5, 2],
  ['effnet', 28, 240, 5, 1], ['effnet', 28, 240, 3, 2], ['effnet', 14, 480, 3, 1], ['effnet', 14, 480, 5, 1],
  ['effnet', 14, 672, 5, 1], ['effnet', 14, 672, 5, 2], ['effnet', 7, 1152, 5, 1], ['effnet', 7, 1152, 3, 1],
  ['mnv2', 56, 144, 3, 2], ['mnv2', 28, 192, 3, 1], ['mnv2', 14, 384, 3, 1], ['mnv2', 14, 576, 3, 2], ['mnv2', 7, 960, 3, 1],
];
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
const wave = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + k));

await init({ threads: 1 });
const saved = { ...convTuning };
const set = (s) => { Object.assign(convTuning, saved, s); };
const lines = ['| net | layer | A ms | B ms | A/B |', '| :-- | :-- | --: | --: | --: |'];
let sumA = 0, sumB = 0;
for (const [net, hw, c, k, s] of LAYERS) {
  const name = `${hw}x${hw}x${c} ${k}x${k} s${s}`;
  if (only && !name.includes(only) && net !== only) continue;
  const x = tensor(wave(hw * hw * c, 1), [1, hw, hw, c]);
  const w = tensor(wave(k * k * c, 2), [k, k, 1, c]);
  const b = tensor(wave(c, 3), [c]);
  const opts = { strides: s, padding: (k - 1) / 2, groups: c };
  const run = () => { const { y } = _conv2dFused(x, w, b, opts, { activation: act }); y.dispose(); };
  const time = (setting) => {
    set(setting);
    run();
    let calls = 0; const t0 = performance.now();
    do { run(); calls++; } while (performance.now() - t0 < 30);
    return (performance.now() - t0) / calls;
  };
  const ta = [], tb = [];
  for (let r = 0; r < rounds; r++) { ta.push(time(A)); tb.push(time(B)); }
  const ma = median(ta), mb = median(tb);
  if (net === 'effnet') { sumA += ma; sumB += mb; }
  lines.push(`| ${net} | ${name} | ${ma.toFixed(3)} | ${mb.toFixed(3)} | ${(ma / mb).toFixed(2)}x |`);
  x.dispose(); w.dispose(); b.dispose();
}
set({});
lines.push(`| effnet | sum of the layers above (one call each) | ${sumA.toFixed(2)} | ${sumB.toFixed(2)} | ${(sumA / sumB).toFixed(2)}x |`);
console.log(`A: ${JSON.stringify(A)}  B: ${JSON.stringify(B)}  activation ${act}, median of ${rounds} rounds\n`);
console.log(lines.join('\n'));
