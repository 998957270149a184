#!/usr/bin/env node
// Builds once on a fresh clone (or when any source is newer than dist/), so `npm test` and
// `npm run bench` just work.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outputs = ['dist/wasm-cnn.wasm', 'dist/wasm-cnn.relaxed.wasm', 'dist/wasm-cnn.threads.wasm',
  'dist/wasm-cnn.relaxed.threads.wasm', 'dist/index.js', 'dist/wasm-cnn.browser.js', 'dist/wasm-cnn.inline.js',
  'dist/wasm-cnn.worker.js', 'dist/pkg-index.js', 'dist/pkg-node.js', 'dist/pkg-cli.js', 'dist/pkg-onnx.js',
  'build/bench/wasm-cnn.wasm', 'build/bench/wasm-cnn.relaxed.wasm'].map((p) => join(root, p));
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}
const missing = outputs.some((p) => !existsSync(p));
const oldest = missing ? 0 : Math.min(...outputs.map((p) => statSync(p).mtimeMs));
// assembly/ counts twice over: it is compiled to wasm and generates src/backend/kernels.generated.ts.
const srcTime = Math.max(newest(join(root, 'assembly')), newest(join(root, 'src')),
  ...['build.mjs', 'gen-kernels.mjs'].map((f) => statSync(join(root, 'scripts', f)).mtimeMs));
if (missing || srcTime > oldest) {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
}
