// The seeded image pipeline of test/runtimes/seeded-images.js — decode committed PNG and JPEG
// files, resize, batch with a seeded shuffle, augment with every op of data.augment — gives
// bit-identical batches in Node, Deno, Bun, workerd (miniflare) and Chromium (playwright-core,
// /usr/bin/chromium) on the baseline SIMD build; a runtime whose result differs by one ulp is
// caught. WASM_CNN_SKIP_BROWSER=1 leaves Chromium out on purpose.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as W from '../src/index.js';
// @ts-ignore plain-JS module without types
import { IMAGE_FILES, seededImagePipeline } from './runtimes/seeded-images.js';
// @ts-ignore plain-JS module without types
import { readKernels } from '../examples/edge-worker/build.mjs';
// @ts-ignore plain-JS module without types
import { runtimeBinary } from '../examples/edge-worker/binaries.mjs';
import { workerdJson } from './harness/workerd.js';
import { runJson as runJsonOf } from './harness/run-json.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'test', 'runtimes', 'seeded-images-cli.js');
const CHROMIUM = process.env.WASM_CNN_CHROMIUM ?? '/usr/bin/chromium';
const SKIP_BROWSER = process.env.WASM_CNN_SKIP_BROWSER === '1';

interface Images { decoded: string[]; resized: string; batches: string[]; sum: number }
interface Run { runtime: string; variant: string; images: Images; error?: string }

const runJson = (binary: () => string, args: string[]) => runJsonOf<Run>(binary, args);

async function runChromium(): Promise<Run> {
  const { startServer } = await import('../examples/browser/serve.mjs');
  const server = await startServer({ port: 0 });
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/test/runtimes/browser-images.html`);
    await page.waitForFunction(() => (window as any).__result !== undefined, null, { timeout: 30_000 });
    const result: Run = await page.evaluate(() => (window as any).__result);
    if (errors.length) result.error = errors.join('\n');
    return result;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The runtimes whose pipeline differs from the reference run's, each with the first field that differs. */
function mismatches(runs: Record<string, Run>, reference = 'node'): string[] {
  const want = runs[reference].images;
  const out: string[] = [];
  for (const [name, run] of Object.entries(runs)) {
    if (name === reference) continue;
    const field = (Object.keys(want) as (keyof Images)[]).find((k) => JSON.stringify(run.images?.[k]) !== JSON.stringify(want[k]));
    if (field) out.push(`${name}: ${field} ${JSON.stringify(run.images?.[field])} != ${JSON.stringify(want[field])}`);
  }
  return out;
}

describe('seeded image pipeline (decode, resize, shuffle, augment): bit-identical in Node, Deno, Bun, workerd and Chromium', () => {
  const runs: Record<string, Promise<Run>> = {};
  let tmp = '', url = '';

  beforeAll(async () => {
    const wasm = new Uint8Array(await readKernels(join(root, 'dist/wasm-cnn.wasm')));
    tmp = mkdtempSync(join(tmpdir(), 'wasm-cnn-images-'));
    writeFileSync(join(tmp, 'wasm-cnn.wasm'), wasm);
    url = pathToFileURL(join(tmp, 'wasm-cnn.wasm')).href;
    const files = IMAGE_FILES.map((f: string) => Array.from(readFileSync(join(root, 'test/fixtures/images', f))));
    runs.node = runJson(() => process.execPath, [cli, url]);
    runs.deno = runJson(() => runtimeBinary('deno'), ['run', '--allow-read', '--no-remote', '--cached-only', cli, url]);
    runs.bun = runJson(() => runtimeBinary('bun'), ['--no-install', cli, url]);
    runs.workerd = workerdJson<Run>('test/runtimes/seeded-images-worker.js', ['test/runtimes/seeded-images.js', 'test/runtimes/seeded.js'], wasm,
      { method: 'POST', body: JSON.stringify(files) });
    if (!SKIP_BROWSER) runs.chromium = runChromium();
    for (const p of Object.values(runs)) p.catch(() => {});
  });
  afterAll(async () => {
    await Promise.allSettled(Object.values(runs));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('Node, dist/index.js: every file decodes, the batches differ from each other, and match the TypeScript sources run here', async () => {
    const node = await runs.node;
    expect(node.variant).toBe('baseline');
    expect(node.images.decoded).toHaveLength(IMAGE_FILES.length);
    expect(node.images.batches).toHaveLength(4); // 6 images in batches of 4, two epochs
    expect(new Set(node.images.batches).size).toBe(4);
    if (W.backendInfo().variant === 'baseline') {
      const files = IMAGE_FILES.map((f: string) => new Uint8Array(readFileSync(join(root, 'test/fixtures/images', f))));
      expect(seededImagePipeline(W, files)).toEqual(node.images);
    }
  });

  it.each(['deno', 'bun', 'workerd', ...(SKIP_BROWSER ? [] : ['chromium'])])('%s gives the same decoded pixels, resized batch and augmented batches as Node', async (name) => {
    if (name === 'chromium' && !existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (WASM_CNN_SKIP_BROWSER=1 skips the browser)`);
    const [other, node] = await Promise.all([runs[name], runs.node]);
    expect(other.error).toBeUndefined();
    expect(other.variant).toBe('baseline');
    expect(mismatches({ node, [name]: other })).toEqual([]);
  });

  it('a runtime one ulp off is caught: Node with one resized value perturbed differs in the resized hash and the batch holding it', async () => {
    const [node, deno, perturbed] = await Promise.all([runs.node, runs.deno, runJson(() => process.execPath, [cli, url, '--perturb'])]);
    const found = mismatches({ node, deno, perturbed });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^perturbed: resized /);
    expect(perturbed.images.batches.filter((b, i) => b !== node.images.batches[i]).length).toBeGreaterThanOrEqual(1);
    expect(perturbed.images.sum).not.toBe(node.images.sum);
  });
});
