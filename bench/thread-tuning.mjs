#!/usr/bin/env node
// Batch-1 thread scaling of real networks under different pool settings, in one process: each
// model runs on 1 thread and on 2 threads with every combination of worker spin bound (µs) and
// work-floor scale (x the default floors of src/backend/parallel.ts splitTuning), GEMM split
// (columns when wider: on/off) and parts per thread (splitTuning.partsPerThread), round-robin, so
// background load hits every variant alike. Prints median ms and the median per-round 2t ÷ 1t.
//
//   node scripts/build.mjs && node bench/thread-tuning.mjs --dir /work/zoo --only mobilenet_v2,resnet50
//        [--rounds 9] [--spins 0,100] [--floors 1,0.25] [--columns on,off] [--parts 1,2,4]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionValue, csv, median } from './cli.mjs';

const argv = process.argv.slice(2);
const value = (name, dflt) => optionValue(argv, name, dflt);
const list = csv;
const dir = value('dir', fileURLToPath(new URL('./out/zoo', import.meta.url)));
const only = list(value('only', 'mobilenet_v2,efficientnet_b0,shufflenet_v2_x1_0,resnet50'));
const rounds = Number(value('rounds', 9));
const spins = list(value('spins', '0,100')).map(Number);
const floors = list(value('floors', '1')).map(Number);
const columns = list(value('columns', 'on'));
const partsList = list(value('parts', '1')).map(Number);

const W = await import('../dist/index.js');
const { setPoolSpin } = await import('../dist/backend/threads.js');
const { splitTuning } = await import('../dist/backend/parallel.js');
await W.init({ threads: 2 });
const defaults = { work: splitTuning.work, gemmMacs: splitTuning.gemmMacs, elements: splitTuning.elements };
const wave = (n) => Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(0.731 * i + 0.1));

const variants = [{ name: '1t', threads: 1, spin: 0, floor: 1 }];
for (const spin of spins) for (const floor of floors) for (const col of columns) for (const parts of partsList) {
  const extra = `${columns.length > 1 ? `, columns ${col}` : ''}${partsList.length > 1 ? `, ${parts} parts/thread` : ''}`;
  variants.push({ name: `2t spin ${spin} µs, floors x${floor}${extra}`, threads: 2, spin, floor, columns: col === 'on', parts });
}
function apply(v) {
  W.setNumThreads(v.threads);
  setPoolSpin(v.spin);
  for (const k of Object.keys(defaults)) splitTuning[k] = Math.max(1, Math.round(defaults[k] * v.floor));
  splitTuning.gemmColumnsWhenWider = v.columns ?? true;
  splitTuning.partsPerThread = v.parts ?? 1;
}

console.log(`| model | ${variants.map((v) => v.name).join(' | ')} |`);
console.log(`| :-- | ${variants.map(() => '--:').join(' | ')} |`);
for (const name of only) {
  const model = await W.loadOnnx(readFileSync(join(dir, `${name}.onnx`)));
  const x = W.tensor(wave(3 * 224 * 224), [1, 3, 224, 224]);
  const once = () => { const y = model.predict(x); y.dataSync(); y.dispose(); };
  for (const v of variants) { apply(v); once(); once(); }
  const ms = variants.map(() => []);
  const ratios = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    const t = variants.map((v) => {
      apply(v);
      once(); // the variant's first run after a switch warms its pool state
      const t0 = performance.now();
      once();
      return performance.now() - t0;
    });
    t.forEach((m, i) => { ms[i].push(m); ratios[i].push(t[0] / m); });
  }
  console.log(`| ${name} | ${variants.map((v, i) => `${median(ms[i]).toFixed(1)} ms${i ? ` (${median(ratios[i]).toFixed(2)}x)` : ''}`).join(' | ')} |`);
  x.dispose();
}
process.exit(0);
