#!/usr/bin/env node
// Cold start to first prediction, median of fresh processes, in workerd (miniflare), Deno, Bun
// and Node, plus the size of what the worker ships. Usage:
//   node examples/edge-worker/cold-start.mjs [runs=7]
// - Deno / Bun / Node: a fresh process runs first-prediction.js; "process" is spawn to exit as
//   seen from here, the milestones are the child's own performance.now() (ms since its start).
// - workerd: a fresh miniflare (a workerd process) per run; "start" is new Miniflare() until it
//   is ready, "first response" until the first POST has been answered, "worker's own" is the
//   worker's init + model load + predict from its Server-Timing header.
// Runtimes take turns round by round so that machine load affects them alike.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { buildWorker, workerOptions, bundleSizes } from './build.mjs';
import { runtimeBinary } from './binaries.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const runs = Number(process.argv[2] ?? 7);
const script = join(here, 'first-prediction.js');
const image = readFileSync(join(here, 'sample-digit.json'), 'utf8');

const commands = {
  node: [process.execPath, [script]],
  deno: [runtimeBinary('deno'), ['run', '--allow-read', script]],
  bun: [runtimeBinary('bun'), [script]],
};

function runProcess(name) {
  const [cmd, args] = commands[name];
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', rej);
    child.on('close', (code) => {
      const wall = performance.now() - t0;
      if (code !== 0) return rej(new Error(`${name} exited with ${code}: ${err}`));
      const r = JSON.parse(out.trim().split('\n').pop());
      if (r.digit !== 7) return rej(new Error(`${name} predicted ${r.digit}, not 7`));
      res({ runtime: r.runtime, variant: r.variant, process: wall, ...r.ms });
    });
  });
}

async function runWorkerd() {
  const t0 = performance.now();
  const mf = new Miniflare(workerOptions());
  try {
    await mf.ready;
    const ready = performance.now() - t0;
    const res = await mf.dispatchFetch('http://localhost/', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: image,
    });
    const body = await res.json();
    const first = performance.now() - t0;
    if (body.digit !== 7) throw new Error(`workerd predicted ${JSON.stringify(body)}`);
    const timing = Object.fromEntries((res.headers.get('server-timing') ?? '').split(',')
      .map((s) => s.trim().match(/^(\w+);dur=([\d.]+)$/)).filter(Boolean).map((m) => [m[1], Number(m[2])]));
    return { ready, first, own: timing.init + timing.load + timing.predict, ...timing };
  } finally {
    await mf.dispose();
  }
}

const median = (xs) => { const s = xs.slice().sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (x) => `${x.toFixed(0)} ms`;

await buildWorker({ quiet: true });
const results = { workerd: [], deno: [], bun: [], node: [] };
for (let r = 0; r < runs; r++) {
  results.workerd.push(await runWorkerd());
  for (const name of ['deno', 'bun', 'node']) results[name].push(await runProcess(name));
}
const col = (name, key) => median(results[name].map((x) => x[key]));

console.log(`cold start to first prediction, median of ${runs} fresh processes (${new Date().toISOString().slice(0, 10)})\n`);
console.log('| runtime | kernels | process start -> first prediction | of which: import / init / load model / predict |');
console.log('| --- | --- | --- | --- |');
{
  const w = (k) => col('workerd', k);
  console.log(`| workerd (miniflare ${JSON.parse(readFileSync(join(root, 'node_modules/miniflare/package.json'), 'utf8')).version}) | baseline | ${ms(w('first'))} (new Miniflare() -> first response; ready after ${ms(w('ready'))}) | worker's own init + load + predict: ${w('own').toFixed(0)} ms (${w('init').toFixed(0)} / ${w('load').toFixed(0)} / ${w('predict').toFixed(0)}) |`);
}
for (const name of ['deno', 'bun', 'node']) {
  const c = (k) => col(name, k);
  const first = results[name][0];
  console.log(`| ${first.runtime} | ${first.variant} | ${ms(c('process'))} (spawn -> exit); ${ms(c('predicted'))} by its own clock | ${ms(c('imported') - c('started'))} / ${ms(c('initialised') - c('imported'))} / ${ms(c('loaded') - c('initialised'))} / ${ms(c('predicted') - c('loaded'))} (runtime boot before the script: ${ms(c('started'))}) |`);
}

console.log('\nwhat the worker ships (examples/edge-worker/dist/):\n');
console.log('| file | raw | gzip |');
console.log('| --- | ---: | ---: |');
const sizes = bundleSizes();
for (const s of sizes) console.log(`| ${s.file} (${s.what}) | ${s.raw.toLocaleString('en-US')} | ${s.gzip.toLocaleString('en-US')} |`);
const sum = (list, k) => list.reduce((a, s) => a + s[k], 0).toLocaleString('en-US');
const code = sizes.filter((s) => s.file !== 'weights.bin');
console.log(`| JS + wasm | ${sum(code, 'raw')} | ${sum(code, 'gzip')} |`);
console.log(`| all, with the model | ${sum(sizes, 'raw')} | ${sum(sizes, 'gzip')} |`);
