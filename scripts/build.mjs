#!/usr/bin/env node
// Builds the kernels (AssemblyScript -> wasm, baseline SIMD and relaxed SIMD, then wasm-opt -O3)
// and the TypeScript host (tsc -> dist/ with .d.ts). `--wasm-only` skips the host.
import { execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, statSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const wasmOnly = process.argv.includes('--wasm-only');

mkdirSync(join(root, 'build'), { recursive: true });
mkdirSync(join(root, 'dist'), { recursive: true });

const baseFeatures = ['--enable-simd', '--enable-bulk-memory', '--enable-sign-ext',
  '--enable-nontrapping-float-to-int', '--enable-mutable-globals'];
const variants = [
  { target: 'baseline', out: 'wasm-cnn.wasm', features: baseFeatures },
  { target: 'relaxed', out: 'wasm-cnn.relaxed.wasm', features: [...baseFeatures, '--enable-relaxed-simd'] },
];
for (const v of variants) {
  const raw = join(root, 'build', v.out);
  run(bin('asc'), ['assembly/index.ts', '--config', 'asconfig.json', '--target', v.target]);
  run(bin('wasm-opt'), [raw, '-O3', ...v.features, '-o', join(root, 'dist', v.out)]);
  console.log(`built dist/${v.out} (${statSync(join(root, 'dist', v.out)).size} bytes)`);
}

if (!wasmOnly) {
  run(bin('tsc'), ['-p', 'tsconfig.json']);
  console.log('built dist/ (TypeScript host)');
  // Browser ESM bundles: one fetching dist/wasm-cnn(.relaxed).wasm next to it, one with the
  // baseline kernels inlined.
  const common = ['--bundle', '--format=esm', '--platform=browser', '--target=es2022', '--minify',
    '--legal-comments=none', '--external:node:*'];
  run(bin('esbuild'), ['src/index.ts', ...common, '--outfile=dist/wasm-cnn.browser.js']);
  run(bin('esbuild'), ['src/inline.ts', ...common, '--loader:.wasm=binary', '--outfile=dist/wasm-cnn.inline.js']);
  for (const f of ['wasm-cnn.browser.js', 'wasm-cnn.inline.js']) {
    console.log(`built dist/${f} (${statSync(join(root, 'dist', f)).size} bytes)`);
  }
}
