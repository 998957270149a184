#!/usr/bin/env node
// Builds the kernels (AssemblyScript -> wasm, baseline SIMD and relaxed SIMD, then wasm-opt -O3)
// and the TypeScript host (tsc -> dist/ with .d.ts, esbuild browser bundles), after generating the
// host's kernel bindings from assembly/ (scripts/gen-kernels.mjs).
// `--wasm-only` builds just the single-threaded kernel builds (quick loop for kernel work).
import { execFileSync, execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, copyFileSync, statSync, existsSync, rmSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const wasmOnly = process.argv.includes('--wasm-only');

// The host's typed kernel bindings (src/backend/kernels.generated.ts) come from assembly/: first,
// so a declaration the generator rejects fails the build before the compilers run.
run(process.execPath, [join(root, 'scripts', 'gen-kernels.mjs')]);

mkdirSync(join(root, 'build'), { recursive: true });
mkdirSync(join(root, 'dist'), { recursive: true });

const baseFeatures = ['--enable-simd', '--enable-bulk-memory', '--enable-sign-ext',
  '--enable-nontrapping-float-to-int', '--enable-mutable-globals'];
const relaxedFeatures = [...baseFeatures, '--enable-relaxed-simd'];
const threadFeatures = ['--enable-threads'];
// Each build: its asconfig.json target, entry file, the compiler's output (asconfig's outFile) and
// where wasm-opt writes the final module.
// baseline / relaxed: what init() picks by default; *.threads: the same kernels over an imported
// shared memory, for worker threads (init({ threads })). bench / bench-relaxed: the library kernels
// plus the benchmarks' register-only peak loops (assembly/bench/), in build/bench/, not shipped.
const library = (target, out, features) => ({ target, entry: 'assembly/index.ts', raw: `build/${out}`, dest: `dist/${out}`, features });
const bench = (target, raw, out, features) => ({ target, entry: 'assembly/bench/index.ts', raw, dest: `build/bench/${out}`, features });
const variants = [
  library('baseline', 'wasm-cnn.wasm', baseFeatures),
  library('relaxed', 'wasm-cnn.relaxed.wasm', relaxedFeatures),
  library('threads', 'wasm-cnn.threads.wasm', [...baseFeatures, ...threadFeatures]),
  library('relaxed-threads', 'wasm-cnn.relaxed.threads.wasm', [...relaxedFeatures, ...threadFeatures]),
  bench('bench', 'build/wasm-cnn.bench.wasm', 'wasm-cnn.wasm', baseFeatures),
  bench('bench-relaxed', 'build/wasm-cnn.bench.relaxed.wasm', 'wasm-cnn.relaxed.wasm', relaxedFeatures),
];
const exec = promisify(execFile);
mkdirSync(join(root, 'build', 'bench'), { recursive: true });
// --wasm-only is the quick inner loop for kernel work: it skips the threaded builds (the bench
// builds stay, so bench/gemm.mjs measures the kernels just built).
const selected = wasmOnly ? variants.filter((v) => !v.target.includes('threads')) : variants;
await Promise.all(selected.map(async (v) => {
  try {
    await exec(bin('asc'), [v.entry, '--config', 'asconfig.json', '--target', v.target], { cwd: root });
    await exec(bin('wasm-opt'), [join(root, v.raw), '-O3', ...v.features, '-o', join(root, v.dest)], { cwd: root });
  } catch (e) {
    process.stderr.write(`build of ${v.dest} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}\n`);
    process.exit(1);
  }
  console.log(`built ${v.dest} (${statSync(join(root, v.dest)).size} bytes)`);
}));

// In the esbuild bundles, src/data/fflate.ts becomes an accessor that require()s a virtual module
// re-exporting the two fflate functions parseIdx uses: esbuild evaluates a require()d module (and
// what it imports) lazily, on the first call, so fflate's tables are built on the first gzipped
// parseIdx instead of at import; the ESM re-export keeps fflate tree-shaken to gunzip. (tsc's dist/
// keeps the static import.)
// The same for src/data/image-codecs.ts: fast-png and jpeg-js are evaluated on the first decodeImage.
const lazyModule = (name, file, accessor, reexport) => ({
  name,
  setup(b) {
    b.onLoad({ filter: new RegExp(`[\\\\/]src[\\\\/]data[\\\\/]${file}\\.ts$`) }, () => ({
      contents: `let lib = null;\nexport function ${accessor}() { return lib ??= require('wasm-cnn:${name}'); }\n`,
      loader: 'js',
    }));
    b.onResolve({ filter: new RegExp(`^wasm-cnn:${name}$`) }, (args) => ({ path: args.path, namespace: name }));
    b.onLoad({ filter: /.*/, namespace: name }, () => ({ contents: reexport, loader: 'js', resolveDir: join(root, 'src', 'data') }));
  },
});
const lazyFflate = lazyModule('fflate-gunzip', 'fflate', 'fflate', "export { gunzipSync, Gunzip } from 'fflate';\n");
const lazyCodecs = lazyModule('image-codecs', 'image-codecs', 'imageCodecs',
  "export { decode as decodePng } from 'fast-png';\nexport { default as decodeJpeg } from 'jpeg-js/lib/decoder.js';\n");

if (!wasmOnly) {
  run(bin('tsc'), ['-p', 'tsconfig.json']);
  console.log('built dist/ (TypeScript host)');
  // Browser ESM bundles: one fetching dist/wasm-cnn(.relaxed).wasm next to it, one with the
  // baseline kernels inlined.
  const common = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true,
    legalComments: 'none', external: ['node:*'], absWorkingDir: root, logLevel: 'warning', plugins: [lazyFflate, lazyCodecs] };
  await esbuild({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/wasm-cnn.browser.js' });
  await esbuild({ ...common, entryPoints: ['src/inline.ts'], loader: { '.wasm': 'binary' }, outfile: 'dist/wasm-cnn.inline.js' });
  // The kernel worker, self-contained, for Node worker_threads and browser Web Workers.
  await esbuild({ ...common, entryPoints: ['src/worker.ts'], outfile: 'dist/wasm-cnn.worker.js' });
  // What the package's exports map serves: the main entry as ONE file (dist/pkg-index.js), and
  // wasm-cnn/node, the CLI and the ONNX importer as files that import it (so all share one Tensor
  // class and one backend). A single file loads ~40 ms faster than tsc's ~60 modules, and a few
  // ms faster than the same code split in chunks; dist/index.js etc. (tsc) remain for the tests
  // and benchmarks that reach into internals. The files sit in dist/ itself, so the kernels'
  // default URL (next to the module) still resolves to dist/wasm-cnn.wasm. The ONNX importer (with
  // protobufjs) is loaded by loadOnnx's dynamic import().
  // Fully minified (identifiers too): V8 parses all of it at import and each function again on
  // its first call, and short names measurably cut both (~1 ms at import, a few ms over the first
  // prediction's first calls). Linked source maps (read by `node --enable-source-maps`, ignored
  // otherwise) give stack traces the original names back.
  for (const f of readdirSync(join(root, 'dist'))) if (f.startsWith('pkg-')) rmSync(join(root, 'dist', f));
  const pkg = {
    bundle: true, format: 'esm', minify: true, sourcemap: 'linked', sourcesContent: false, platform: 'neutral',
    target: 'es2022', mainFields: ['module', 'main'], legalComments: 'none', absWorkingDir: root,
    logLevel: 'warning', metafile: true,
  };
  // Imports of these src files become imports of the given dist file (kept external).
  const redirect = (map) => ({
    name: 'redirect',
    setup(b) {
      b.onResolve({ filter: /\.js$/ }, (args) => {
        if (!args.importer) return undefined;
        const target = map[relative(root, join(args.resolveDir, args.path)).replaceAll('\\', '/')];
        return target ? { path: target, external: true } : undefined;
      });
    },
  });
  const main = './pkg-index.js';
  const builds = {
    'pkg-index.js': { entryPoints: ['src/index.ts'], plugins: [lazyFflate, lazyCodecs, redirect({ 'src/io/onnx/import.js': './pkg-onnx.js', 'src/io/onnx/to-model.js': './pkg-onnx-model.js' })] },
    'pkg-onnx.js': { entryPoints: ['src/io/onnx/import.ts'], plugins: [redirect({ 'src/index.js': main })] },
    'pkg-onnx-model.js': { entryPoints: ['src/io/onnx/to-model.ts'], plugins: [redirect({ 'src/index.js': main })] },
    'pkg-node.js': { entryPoints: ['src/node.ts'], plugins: [redirect({ 'src/index.js': main })] },
    'pkg-cli.js': { entryPoints: ['src/cli/main.ts'], plugins: [redirect({ 'src/index.js': main, 'src/node.js': './pkg-node.js' })] },
  };
  const inputs = {};
  for (const [out, o] of Object.entries(builds)) {
    const r = await esbuild({ ...pkg, ...o, outfile: join('dist', out), external: ['node:*', 'mnist', './pkg-*'] });
    inputs[out] = Object.keys(r.metafile.inputs).filter((p) => p.startsWith('src/'));
  }
  // The other files must not carry their own copy of anything with state or identity (Tensor, the
  // backend, error classes, layers, ...): only pure helpers may appear in two files.
  const pure = new Set(['src/fmt.ts', 'src/data/image-folder-options.ts', 'src/backend/features.ts', 'src/io/onnx/proto.ts', 'src/io/onnx/pb-writer.ts', 'src/io/onnx/schema.ts', 'src/geometry.ts', 'src/io/file-kind.ts']);
  for (const out of ['pkg-onnx.js', 'pkg-onnx-model.js', 'pkg-node.js', 'pkg-cli.js']) {
    const dup = inputs[out].filter((p) => inputs['pkg-index.js'].includes(p) && !pure.has(p));
    if (dup.length) throw new Error(`build: dist/${out} bundles its own copy of ${dup.join(', ')} (import it from ./index.js instead)`);
  }
  for (const f of readdirSync(join(root, 'dist')).filter((n) => n.startsWith('pkg-') && n.endsWith('.js'))) {
    console.log(`built dist/${f} (${statSync(join(root, 'dist', f)).size} bytes)`);
  }
  for (const f of ['wasm-cnn.browser.js', 'wasm-cnn.inline.js', 'wasm-cnn.worker.js']) {
    console.log(`built dist/${f} (${statSync(join(root, 'dist', f)).size} bytes)`);
  }
}
