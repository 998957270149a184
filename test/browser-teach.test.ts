// The demo page's "teach it your own classes" panel (examples/browser/teach/) in Chromium
// (playwright-core, /usr/bin/chromium): two classes from drawn and uploaded pictures, training on
// the page, then live predictions of new drawings; nothing fetched from outside the page's origin.
// WASM_CNN_SKIP_BROWSER=1 skips it on purpose.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encode as encodePng } from 'fast-png';
import type { Browser, Page } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.WASM_CNN_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = process.env.WASM_CNN_SKIP_BROWSER === '1';

/** A 96x96 PNG of a dark ring on white paper, as a photographed "0" would be. */
function ringPng(): Uint8Array {
  const side = 96, grey = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
    const r = Math.hypot(x - 47.5, (y - 47.5) * 0.8);
    grey[y * side + x] = Math.abs(r - 28) < 5 ? 20 : 235;
  }
  return encodePng({ width: side, height: side, data: grey, channels: 1, depth: 8 });
}

describe.skipIf(SKIP)('browser demo: teach it your own classes (Chromium)', () => {
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (WASM_CNN_SKIP_BROWSER=1 skips the browser tests)`);
    const { startServer } = await import('../examples/browser/serve.mjs');
    server = await startServer({ port: 0 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function draw(page: Page, points: [number, number][]): Promise<void> {
    const box = (await page.locator('#teachPad').boundingBox())!;
    const at = ([fx, fy]: [number, number]) => [box.x + fx * box.width, box.y + fy * box.height] as const;
    await page.mouse.move(...at(points[0]));
    await page.mouse.down();
    for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
    await page.mouse.up();
  }
  const stick = (dx = 0): [number, number][] => [[0.5 + dx, 0.15], [0.5 + dx, 0.5], [0.48 + dx, 0.85]];
  const ring = (s = 1): [number, number][] => Array.from({ length: 17 }, (_, k) => [0.5 + 0.28 * s * Math.cos(k * Math.PI / 8), 0.5 + 0.34 * s * Math.sin(k * Math.PI / 8)]);

  it('two classes from drawings and an upload: trains on the page, then classifies new drawings; offline', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const errors: string[] = [], outside: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      outside.push(url.href);
      return route.abort();
    });
    await page.goto(`${server.url}/examples/browser/?epochs=1`);
    await page.waitForFunction(() => (window as any).__teach?.ready === true, null, { timeout: 30_000 });
    // The digit demo fills its cards (feature maps, confusion matrix) with its first snapshot: wait
    // for it, so the layout holds still while the mouse draws.
    await page.waitForFunction(() => (window as any).__demo.snapshots >= 1, null, { timeout: 30_000 });
    const rows = page.locator('#teachClasses .teach-class');
    expect(await rows.count()).toBe(2);
    await rows.nth(0).locator('.teach-name').fill('stick');
    await rows.nth(1).locator('.teach-name').fill('ring');

    for (const dx of [-0.12, 0, 0.1]) { await draw(page, stick(dx)); await rows.nth(0).locator('[data-act=draw]').click(); }
    for (const s of [0.8, 1]) { await draw(page, ring(s)); await rows.nth(1).locator('[data-act=draw]').click(); }
    await rows.nth(1).locator('input[type=file]').setInputFiles({ name: 'ring.png', mimeType: 'image/png', buffer: Buffer.from(ringPng()) });
    await page.waitForFunction(() => (window as any).__teach.classes[1].count === 3, null, { timeout: 10_000 });
    expect(await page.evaluate(() => (window as any).__teach.classes)).toEqual([{ name: 'stick', count: 3 }, { name: 'ring', count: 3 }]);
    expect(await rows.nth(1).locator('.teach-thumbs canvas').count()).toBe(3);

    await page.locator('#teachTrain').click();
    await page.waitForFunction(() => (window as any).__teach.trained === true || (window as any).__teach.errors.length > 0, null, { timeout: 90_000 });
    const trained = await page.evaluate(() => (window as any).__teach);
    expect(trained.errors).toEqual([]);
    expect(trained.losses.at(-1)).toBeLessThan(trained.losses[0]);

    const predictionAfter = async (points: [number, number][]) => {
      await page.locator('#teachClear').click();
      const before = await page.evaluate(() => (window as any).__teach.predictions);
      await draw(page, points);
      await page.waitForFunction((n) => (window as any).__teach.predictions > n, before, { timeout: 10_000 });
      return page.evaluate(() => (window as any).__teach.prediction);
    };
    const a = await predictionAfter(stick(0.05));
    expect(a.probs).toHaveLength(2);
    expect(Math.abs(a.probs[0] + a.probs[1] - 1)).toBeLessThan(1e-5);
    expect(a.name).toBe('stick');
    const b = await predictionAfter(ring(0.9));
    expect(b.name).toBe('ring');
    expect(await page.locator('#teachPrediction .teach-bar.best span').textContent()).toBe('ring');

    mkdirSync(`${root}test-results`, { recursive: true });
    await page.locator('#teach').screenshot({ path: `${root}test-results/browser-teach.png` });
    expect(outside, 'requests outside the page origin').toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 150_000);
});
