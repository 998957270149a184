#!/usr/bin/env node
// loadOnnx on the full-size torchvision exports of bench/export-zoo.py. For each model, in a fresh
// Node process of its own (so the load and the first run pay what they cost a new user: JIT,
// compiling kernels on first use, wasm memory growth): the first load's time (with its warm-up run,
// loadOnnx's default), a second load of the same bytes without warm-up once the first model is
// disposed (decoding and preparing the weights alone, in wasm memory already grown) and its MB/s, the memory the loaded model holds (backendInfo().liveBytes
// after loading, over the file's size), the first run after the first load and the median warm run,
// and the output against PyTorch's (<name>.out.f32): max |Δ| over max |output|, the same top-1
// class (segmentation: the fraction of pixels whose class agrees). Prints a markdown table.
//
//   node bench/onnx-zoo.mjs [--dir bench/out/zoo] [--only resnet50,vgg11] [--runs 5] [--no-warm-up]
//
// --no-warm-up loads with { warmUp: false }: the first run then pays the first-use costs.
//
// The zoo comes from `/usr/bin/python3 bench/export-zoo.py [--out DIR]`. One thread.
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ROOT, median, fmt, mdTable, machineInfo, log } from './models.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

/** The wave input of export-zoo.py: x[i] = 2 sin(0.731 i + 0.1), rounded to float32. */
function waveInput(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.fround(2 * Math.sin(0.731 * i + 0.1));
  return x;
}

function readF32(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Output agreement: max |Δ| / max |reference| and the share of positions (one, or every pixel) with the same argmax. */
function compare(ours, ref, shape) {
  let maxDiff = 0, maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  const classes = shape[1], pixels = shape.length === 4 ? shape[2] * shape[3] : 1;
  let same = 0;
  for (let p = 0; p < pixels; p++) {
    let a = 0, b = 0;
    for (let c = 1; c < classes; c++) {
      if (ours[c * pixels + p] > ours[a * pixels + p]) a = c;
      if (ref[c * pixels + p] > ref[b * pixels + p]) b = c;
    }
    if (a === b) same++;
  }
  return { relDiff: maxRef > 0 ? maxDiff / maxRef : maxDiff, agree: same / pixels, lengthOk: ours.length === ref.length };
}

/** { wall, cpu } milliseconds of fn(): wall clock, and this process's CPU time (user + system). */
async function timed(fn) {
  const c0 = process.cpuUsage(), w0 = performance.now();
  const value = await fn();
  const wall = performance.now() - w0, c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, value };
}

/** One model in this (fresh) process; prints one JSON line. */
async function child(dir, name, runs, warmUp) {
  const mod = await import('../dist/index.js');
  await mod.init({ threads: 1 });
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'))[name];
  const bytes = readFileSync(`${dir}/${manifest.file}`);
  const liveBefore = mod.backendInfo().liveBytes;
  const load = await timed(() => mod.loadOnnx(bytes, { warmUp }));
  const model = load.value;
  const liveBytes = mod.backendInfo().liveBytes - liveBefore;
  const x = mod.tensor(waveInput(manifest.input.reduce((a, b) => a * b, 1)), manifest.input);
  const timedRun = () => timed(() => {
    const y = model.predict(x);
    const out = y.dataSync().slice();
    y.dispose();
    return out;
  });
  const first = await timedRun();
  const warm = [];
  for (let r = 0; r < runs; r++) warm.push(await timedRun());
  const cmp = compare(first.value, readF32(`${dir}/${name}.out.f32`), manifest.output);
  const info = mod.backendInfo();
  x.dispose();
  model.dispose();
  // Loading again into the memory the first model freed: decoding and preparing the weights alone.
  const reload = await timed(async () => (await mod.loadOnnx(bytes, { warmUp: false })).dispose());
  const ms = (t) => ({ wall: t.wall, cpu: t.cpu });
  process.stdout.write(`${JSON.stringify({
    name, fileBytes: manifest.bytes, load: ms(load), reload: ms(reload), liveBytes, memoryBytes: info.memoryBytes, first: ms(first),
    warm: { wall: median(warm.map((t) => t.wall)), cpu: median(warm.map((t) => t.cpu)) }, ...cmp, task: manifest.task, info })}\n`);
  await mod.shutdown?.();
}

async function main() {
  const dir = option('dir', `${ROOT}bench/out/zoo`);
  const runs = Number(option('runs', '5'));
  const childName = option('child', null);
  const warmUp = !process.argv.includes('--no-warm-up');
  if (childName) return child(dir, childName, runs, warmUp);
  if (!existsSync(`${dir}/manifest.json`)) {
    console.error(`no zoo in ${dir}: run /usr/bin/python3 bench/export-zoo.py --out ${dir} first (or pass --dir)`);
    process.exit(1);
  }
  const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
  const only = option('only', null)?.split(',');
  const names = Object.keys(manifest).filter((n) => !only || only.includes(n));
  const rows = [];
  let info = null;
  for (const name of names) {
    log(`${name} ...`);
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--dir', dir, '--child', name, '--runs', String(runs), ...(warmUp ? [] : ['--no-warm-up'])], {
      encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const line = r.stdout.trim().split('\n').pop();
    if (r.status !== 0 || !line?.startsWith('{')) {
      const why = (r.stderr || r.stdout).trim().split('\n').find((l) => /Error/.test(l)) ?? `exit ${r.status}`;
      rows.push([name, ...Array(9).fill('n/a'), why.replace(/\|/g, '/').slice(0, 120)]);
      continue;
    }
    const m = JSON.parse(line);
    info ??= m.info;
    const mb = m.fileBytes / 1e6;
    const both = (t) => `${fmt(t.wall)} (${fmt(t.cpu)})`;
    rows.push([
      name, fmt(mb), both(m.load), both(m.reload), fmt(mb / (m.reload.cpu / 1000)), `${(m.liveBytes / m.fileBytes).toFixed(2)}x`,
      both(m.first), both(m.warm), `${(m.first.cpu / m.warm.cpu).toFixed(2)}x`,
      m.lengthOk ? m.relDiff.toExponential(1) : 'wrong size',
      m.task === 'segmentation' ? `${(100 * m.agree).toFixed(2)}% of pixels` : m.agree === 1 ? 'same' : 'DIFFERENT',
    ]);
  }
  console.log(machineInfo(info));
  console.log(`- Zoo: ${dir}; each model in a fresh process; first load ${warmUp ? 'with' : 'without'} its warm-up run; warm run = median of ${runs}`);
  console.log('- Times: wall ms (process CPU ms); on a shared machine the CPU time, which leaves out waiting for a core, is the steadier figure, and MB/s and first / warm use it\n');
  console.log(mdTable(
    ['model', 'MB', 'first load ms', '2nd load ms (no warm-up)', 'MB/s (2nd load, CPU)', 'live / file', 'first run ms', 'warm run ms', 'first / warm (CPU)', 'max|Δ| / max|out|', 'top-1'],
    rows,
  ));
}

await main();
