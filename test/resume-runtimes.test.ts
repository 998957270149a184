// Resumable training across processes and runtimes: the cases of test/runtimes/resume.js (a
// Sequential and a graph model; SGD + momentum with warm-up, cosine and clipNorm, Adam with
// one-cycle and clipValue; shuffling, augmentation and dropout) trained for 6 epochs without a
// stop, and stopped after epochs 1, 2 and 4 with each resume in a new Node process, give the same
// weights bit for bit; so does a chain that resumes in a different runtime each time: Node -> Deno
// -> workerd -> Bun -> Chromium (stops after 1, 2, 4 and 5). Checkpoints travel as files (Node,
// Deno, Bun), a request body (workerd) and page.evaluate arguments (Chromium).
// WASM_CNN_SKIP_BROWSER=1 ends the chain at Bun.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { workerdJson } from './harness/workerd.js';
// @ts-ignore plain-JS module without types
import { readKernels } from '../examples/edge-worker/build.mjs';
// @ts-ignore plain-JS module without types
import { runtimeBinary } from '../examples/edge-worker/binaries.mjs';
// @ts-ignore plain-JS module without types
import { RESUME_CASES, RESUME_EPOCHS } from './runtimes/resume.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'test', 'runtimes', 'resume-cli.js');
const CHROMIUM = process.env.WASM_CNN_CHROMIUM ?? '/usr/bin/chromium';
const SKIP_BROWSER = process.env.WASM_CNN_SKIP_BROWSER === '1';

type Cases = Record<string, { checkpoint: string; weights: string; epoch: number }>;
interface Slice { runtime: string; cases: Cases }
const checkpoints = (s: Slice | null): Record<string, string> =>
  Object.fromEntries(Object.entries(s?.cases ?? {}).map(([k, v]) => [k, v.checkpoint]));
const hashes = (s: Slice): Record<string, string> => Object.fromEntries(Object.entries(s.cases).map(([k, v]) => [k, v.weights]));

let tmp = '';
let wasmUrl = '';
let wasmBytes: Uint8Array;
let counter = 0;

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' } });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${err}`))));
  });
}

/** One slice in a new Node, Deno or Bun process: checkpoints in and out through files. */
async function cliSlice(runtime: 'node' | 'deno' | 'bun', from: Slice | null, until: number): Promise<Slice> {
  const n = counter++;
  const inFile = from ? join(tmp, `in-${n}.json`) : '-';
  if (from) writeFileSync(inFile, JSON.stringify(checkpoints(from)));
  const outFile = join(tmp, `out-${n}.json`);
  const args = [cli, wasmUrl, inFile, outFile, String(until)];
  if (runtime === 'node') await run(process.execPath, args);
  else if (runtime === 'deno') await run(runtimeBinary('deno'), ['run', '--allow-read', '--allow-write', '--no-remote', '--cached-only', ...args]);
  else await run(runtimeBinary('bun'), ['--no-install', ...args]);
  return JSON.parse(readFileSync(outFile, 'utf8'));
}

/** One slice in workerd (miniflare): the checkpoints in a request body. */
function workerdSlice(from: Slice, until: number): Promise<Slice> {
  return workerdJson('test/runtimes/resume-worker.js', ['test/runtimes/resume.js', 'test/runtimes/seeded.js'], wasmBytes,
    { method: 'POST', body: JSON.stringify({ input: checkpoints(from), until }) });
}

/** One slice in headless Chromium: the checkpoints passed to the page. */
async function chromiumSlice(from: Slice, until: number): Promise<Slice> {
  const { startServer } = await import('../examples/browser/serve.mjs');
  const server = await startServer({ port: 0 });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Any page of the server's origin will do: a module script imports the bundle and resume.js into it.
    await page.goto(`${server.url}/test/runtimes/resume.js`);
    await page.addScriptTag({
      type: 'module',
      content: `import * as W from '/dist/wasm-cnn.browser.js';
        import { trainSlices } from '/test/runtimes/resume.js';
        await W.init({ simd: 'baseline' });
        window.trainSlices = (input, until) => trainSlices(W, input, until);`,
    });
    await page.waitForFunction(() => typeof (window as any).trainSlices === 'function', null, { timeout: 30_000 });
    const cases: Cases = await page.evaluate(([input, u]) => (window as any).trainSlices(input, u), [checkpoints(from), until] as const);
    expect(errors).toEqual([]);
    return { runtime: 'chromium', cases };
  } finally {
    await browser.close();
    await server.close();
  }
}

describe('resumable training: stopped after epochs 1, 2 and 4, resumed elsewhere, ends bit-identical', () => {
  let uninterrupted: Promise<Slice>;
  let first: Promise<Slice>;

  beforeAll(async () => {
    wasmBytes = new Uint8Array(await readKernels(join(root, 'dist/wasm-cnn.wasm')));
    tmp = mkdtempSync(join(tmpdir(), 'wasm-cnn-resume-'));
    const file = join(tmp, 'wasm-cnn.wasm');
    writeFileSync(file, wasmBytes);
    wasmUrl = pathToFileURL(file).href;
    uninterrupted = cliSlice('node', null, RESUME_EPOCHS);
    first = cliSlice('node', null, 1);
    uninterrupted.catch(() => {});
    first.catch(() => {});
  });
  afterAll(async () => {
    await Promise.allSettled([uninterrupted, first]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('each resume in a new Node process (Sequential and graph model, SGD + momentum + schedule and Adam)', async () => {
    const full = await uninterrupted;
    expect(Object.keys(full.cases)).toEqual(RESUME_CASES);
    for (const c of Object.values(full.cases)) expect(c.epoch).toBe(RESUME_EPOCHS);
    let s = await first;
    for (const until of [2, 4, 6]) {
      s = await cliSlice('node', s, until);
      for (const c of Object.values(s.cases)) expect(c.epoch).toBe(until);
    }
    expect(hashes(s)).toEqual(hashes(full));
    // The checkpoint itself is the same file: weights, optimizer state and random state.
    expect(checkpoints(s)).toEqual(checkpoints(full));
  }, 120_000);

  it('each resume in another runtime: Node -> Deno -> workerd -> Bun -> Chromium', async () => {
    const full = await uninterrupted;
    const trail: string[] = [];
    let s = await first;
    trail.push(s.runtime);
    s = await cliSlice('deno', s, 2); trail.push(s.runtime);
    s = await workerdSlice(s, 4); trail.push(s.runtime);
    const bunEnd = SKIP_BROWSER ? RESUME_EPOCHS : 5;
    s = await cliSlice('bun', s, bunEnd); trail.push(s.runtime);
    if (!SKIP_BROWSER) {
      expect(existsSync(CHROMIUM), `${CHROMIUM} not found (WASM_CNN_SKIP_BROWSER=1 skips the browser)`).toBe(true);
      s = await chromiumSlice(s, RESUME_EPOCHS); trail.push(s.runtime);
    }
    expect(trail.map((r) => r.split(' ')[0])).toEqual(['node', 'deno', 'workerd', 'bun', ...(SKIP_BROWSER ? [] : ['chromium'])]);
    for (const c of Object.values(s.cases)) expect(c.epoch).toBe(RESUME_EPOCHS);
    expect(hashes(s), `after ${trail.join(' -> ')}`).toEqual(hashes(full));
  }, 180_000);
});
