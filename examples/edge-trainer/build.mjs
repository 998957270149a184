#!/usr/bin/env node
// Bundles worker.js the way wrangler does: one ESM file with wasm-cnn inlined and the kernels
// (wasm-cnn/wasm) kept as a separate CompiledWasm module, written to examples/edge-trainer/dist/.
// Also exports the miniflare options that serve.mjs and test/edge-trainer.test.ts run it with.
import { build } from 'esbuild';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKernels } from '../edge-worker/build.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
export const outDir = join(here, 'dist');
const bundle = join(outDir, 'worker.js');
const KERNELS = 'wasm-cnn.wasm';

/** Builds dist/worker.js and dist/wasm-cnn.wasm from the current dist/ of wasm-cnn. */
export async function buildTrainer({ quiet = false } = {}) {
  if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('wasm-cnn is not built: run `npm run build` (node scripts/build.mjs) first');
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(here, 'worker.js')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    external: ['node:*'], // imported lazily by wasm-cnn, only on paths a worker never takes
    logLevel: quiet ? 'error' : 'warning',
    absWorkingDir: root,
    plugins: [{
      name: 'kernels-module',
      setup(b) {
        b.onResolve({ filter: /(^wasm-cnn\/wasm$|\.wasm$)/ }, () => ({ path: `./${KERNELS}`, external: true }));
      },
    }],
  });
  writeFileSync(join(outDir, KERNELS), await readKernels(join(root, 'dist', 'wasm-cnn.wasm')));
  if (!quiet) console.log(`built ${relative(process.cwd(), bundle)} (+ ${KERNELS})`);
}

/** Miniflare options running the built worker in workerd; `kv: true` binds an in-memory KV namespace as CHECKPOINTS. */
export function trainerOptions({ kv = false } = {}) {
  return {
    modulesRoot: outDir,
    modules: [
      { type: 'ESModule', path: bundle },
      { type: 'CompiledWasm', path: join(outDir, KERNELS) },
    ],
    compatibilityDate: '2025-09-01',
    ...(kv ? { kvNamespaces: ['CHECKPOINTS'] } : {}),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildTrainer();
