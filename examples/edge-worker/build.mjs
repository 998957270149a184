#!/usr/bin/env node
// Bundles worker.js the way wrangler does for Cloudflare Workers: one ESM file with wasm-cnn and
// model.json inlined, the kernels (wasm-cnn/wasm) kept as a separate CompiledWasm module and
// weights.bin as a Data module, all written to examples/edge-worker/dist/. Rebuilds only when an
// input is newer than the bundle (or with --force). Also exports the miniflare options that
// serve.mjs, cold-start.mjs and test/runtimes.test.ts use to run the bundle in workerd.
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
export const outDir = join(here, 'dist');
const bundle = join(outDir, 'worker.js');
const meta = join(outDir, 'meta.json');

// Modules kept out of the JS bundle: import specifier -> [file shipped beside it, source file].
const sideModules = {
  wasm: { name: 'wasm-cnn.wasm', type: 'CompiledWasm', from: join(root, 'dist', 'wasm-cnn.wasm') },
  bin: { name: 'weights.bin', type: 'Data', from: join(here, 'model', 'weights.bin') },
};

/**
 * The bytes of a kernel build, validated: retried for a few seconds while the file is not a
 * valid module (a concurrent `npm run build` may be rewriting it).
 */
export async function readKernels(path = sideModules.wasm.from) {
  for (let attempt = 0; ; attempt++) {
    const bytes = existsSync(path) ? readFileSync(path) : new Uint8Array(0);
    if (bytes.length > 0 && WebAssembly.validate(bytes)) return bytes;
    if (attempt === 20) throw new Error(`${path} is not a valid wasm module: run \`npm run build\``);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** True when the bundle is missing or older than any file esbuild read (or a side module). */
function stale() {
  if (!existsSync(bundle) || !existsSync(meta)) return true;
  const built = statSync(bundle).mtimeMs;
  const inputs = Object.keys(JSON.parse(readFileSync(meta, 'utf8')).inputs).map((p) => resolve(root, p));
  inputs.push(...Object.values(sideModules).map((m) => m.from));
  return inputs.some((p) => !existsSync(p) || statSync(p).mtimeMs > built);
}

/** Builds dist/worker.js (+ wasm-cnn.wasm, weights.bin) if needed; resolves to true when it built. */
export async function buildWorker({ force = false, quiet = false } = {}) {
  if (!existsSync(join(root, 'dist', 'index.js')) || !existsSync(sideModules.wasm.from)) {
    throw new Error('wasm-cnn is not built: run `npm run build` (node scripts/build.mjs) first');
  }
  if (!force && !stale()) return false;
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    entryPoints: [join(here, 'worker.js')],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'], // what wrangler asks packages for
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    // wasm-cnn imports node:fs & co. only lazily, on paths a worker never takes.
    external: ['node:*'],
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
    absWorkingDir: root,
    plugins: [{
      name: 'worker-modules',
      setup(b) {
        // wasm-cnn/wasm (any .wasm) and *.bin become imports of files next to the bundle,
        // which workerd loads as CompiledWasm and Data modules (wrangler's default rules).
        b.onResolve({ filter: /(^wasm-cnn\/wasm$|\.wasm$|\.bin$)/ }, (args) => {
          const m = args.path.endsWith('.bin') ? sideModules.bin : sideModules.wasm;
          return { path: `./${m.name}`, external: true };
        });
      },
    }],
  });
  writeFileSync(join(outDir, sideModules.wasm.name), await readKernels());
  copyFileSync(sideModules.bin.from, join(outDir, sideModules.bin.name));
  writeFileSync(meta, JSON.stringify(result.metafile));
  if (!quiet) console.log(`built ${relative(process.cwd(), bundle)} (+ ${Object.values(sideModules).map((m) => m.name).join(', ')})`);
  return true;
}

/** Miniflare options running the built worker in workerd (no network, no persistence). */
export function workerOptions() {
  return {
    modulesRoot: outDir,
    modules: [
      { type: 'ESModule', path: bundle },
      ...Object.values(sideModules).map((m) => ({ type: m.type, path: join(outDir, m.name) })),
    ],
    compatibilityDate: '2025-09-01',
  };
}

/** Sizes of what the worker ships: raw and gzip bytes per file. */
export function bundleSizes() {
  const files = [
    { file: 'worker.js', what: 'JS: worker + wasm-cnn + model.json' },
    { file: sideModules.wasm.name, what: 'kernels (CompiledWasm)' },
    { file: sideModules.bin.name, what: 'model weights (Data)' },
  ];
  return files.map((f) => {
    const bytes = readFileSync(join(outDir, f.file));
    return { ...f, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await buildWorker({ force: process.argv.includes('--force') });
  if (!built) console.log(`${relative(process.cwd(), bundle)} is up to date`);
  for (const s of bundleSizes()) {
    console.log(`${s.file.padEnd(14)} ${String(s.raw).padStart(8)} bytes, gzip ${String(s.gzip).padStart(7)}  ${s.what}`);
  }
}
