#!/usr/bin/env node
// Measures the browser story: bundle sizes (raw and gzipped), the demo page's time to its first
// prediction, and training images/s of the demo's model (trainer.js: same model, batch size and
// augmentation) in Node and in headless Chromium, one thread and with kernel threads, for the
// baseline and relaxed-SIMD kernel builds. Prints a table; nothing is asserted.
// Usage: node examples/browser/bench.mjs [--batches 40] [--threads 2] [--quick]
// Needs /usr/bin/chromium (or WASM_CNN_CHROMIUM) and a built dist/ (node scripts/build.mjs).
import { readFileSync, statSync, existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, ROOT } from './serve.mjs';
import { ensureDigitsBin, DATA_FILE } from './build-data.mjs';

const here = fileURLToPath(import.meta.url);
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};

// ---- child mode: one Node measurement -----------------------------------------------------------
if (process.argv[2] === '--child') {
  const [simd, threads, batches, warmup] = process.argv.slice(3);
  const W = await import('../../dist/index.js');
  const { decodeDigits, benchmark } = await import('./trainer.js');
  await W.init({ simd, threads: Number(threads) });
  const ds = decodeDigits(W, readFileSync(DATA_FILE));
  const r = await benchmark(W, ds, { batches: Number(batches), warmup: Number(warmup) });
  process.stdout.write(JSON.stringify(r) + '\n');
  await W.shutdown();
  process.exit(0);
}

const batches = Number(arg('batches', 40));
const warmup = 5;
const threadsN = Number(arg('threads', Math.min(availableParallelism(), 8)));
const quick = process.argv.includes('--quick');
await ensureDigitsBin();

// ---- bundle sizes --------------------------------------------------------------------------------
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log('bundle sizes (raw / gzip -9):');
for (const f of ['wasm-cnn.browser.js', 'wasm-cnn.inline.js', 'wasm-cnn.worker.js', 'wasm-cnn.wasm', 'wasm-cnn.relaxed.wasm', 'wasm-cnn.threads.wasm', 'wasm-cnn.relaxed.threads.wasm']) {
  const p = join(ROOT, 'dist', f);
  if (!existsSync(p)) { console.log(`  ${f.padEnd(32)} missing`); continue; }
  const bytes = readFileSync(p);
  console.log(`  ${f.padEnd(32)} ${kb(bytes.length).padStart(10)} / ${kb(gzipSync(bytes, { level: 9 }).length).padStart(9)}`);
}
console.log(`  data/mnist-digits.bin            ${kb(statSync(DATA_FILE).size).padStart(10)} / ${kb(gzipSync(readFileSync(DATA_FILE), { level: 6 }).length).padStart(9)} (gzip -6, as served)`);

// ---- Chromium ------------------------------------------------------------------------------------
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: process.env.WASM_CNN_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
const server = await startServer({ port: 0 });
const version = browser.version();

async function firstPrediction() {
  const page = await browser.newPage();
  await page.goto(`${server.url}/examples/browser/?epochs=1`);
  await page.waitForFunction(() => window.__demo?.timings.firstPredictionMs !== null, null, { timeout: 60_000 });
  const t = await page.evaluate(() => window.__demo.timings);
  await page.close();
  return t;
}
async function chromiumRun(simd, threads) {
  const page = await browser.newPage();
  await page.goto(`${server.url}/examples/browser/bench.html?simd=${simd}&threads=${threads}&batches=${batches}&warmup=${warmup}`);
  await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: 300_000 });
  const r = await page.evaluate(() => window.__bench);
  await page.close();
  if (r.error) throw new Error(`chromium: ${r.error}`);
  return r;
}
async function nodeRun(simd, threads) {
  const flags = simd === 'relaxed' ? ['--experimental-wasm-relaxed-simd'] : [];
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, here, '--child', simd, String(threads), String(batches), String(warmup)], { cwd: ROOT, timeout: 300_000 });
  return JSON.parse(stdout.trim().split('\n').pop());
}

console.log('\ntime to first prediction on the demo page (navigation start -> first prediction drawn), 3 loads:');
for (let i = 0; i < (quick ? 1 : 3); i++) {
  const t = await firstPrediction();
  console.log(`  ${Math.round(t.firstPredictionMs)} ms (worker created at ${Math.round(t.workerStartedMs)} ms; after its start message: kernels ready ${Math.round(t.initMs)} ms, digits decoded ${Math.round(t.dataMs)} ms)`);
}

console.log(`\ntraining images/s, demo model, batch 64, ${batches} timed steps after ${warmup} warm-up (Node ${process.versions.node}, Chromium ${version}; load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores):`);
const rows = [];
for (const simd of ['baseline', 'relaxed']) {
  for (const threads of [...new Set([1, threadsN])]) {
    // Alternate runtimes, best of two, so a load spike from elsewhere hurts both alike.
    const n = [], c = [];
    for (let rep = 0; rep < (quick ? 1 : 2); rep++) {
      n.push(await nodeRun(simd, threads));
      c.push(await chromiumRun(simd, threads));
    }
    const best = (rs) => rs.reduce((a, b) => (b.imagesPerSec > a.imagesPerSec ? b : a));
    const [bn, bc] = [best(n), best(c)];
    rows.push([simd, threads, bn.imagesPerSec, bn.info.threads, bc.imagesPerSec, bc.info.threads]);
    console.log(`  ${simd.padEnd(8)} threads ${threads}: Node ${Math.round(bn.imagesPerSec).toString().padStart(5)} (ran ${bn.info.threads})   Chromium ${Math.round(bc.imagesPerSec).toString().padStart(5)} (ran ${bc.info.threads})   Chromium/Node ${(bc.imagesPerSec / bn.imagesPerSec).toFixed(2)}`);
  }
}
console.log(`  (loadavg now ${loadavg()[0].toFixed(1)})`);
await browser.close();
await server.close();
