// examples/edge-worker in workerd (miniflare): a PNG or JPEG upload — as the body or as a
// multipart/form-data file — is decoded, turned grey, resized to 28x28 and classified. The pictures
// (sample-digit.png / .jpg, made by make-sample-images.mjs) are a held-out MNIST 7 drawn dark on
// white at 112x112.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
// @ts-ignore plain-JS module without types
import { buildWorker, workerOptions } from '../examples/edge-worker/build.mjs';
// @ts-ignore plain-JS module without types
import { decodeUpload } from '../examples/edge-worker/handler.js';

const here = join(fileURLToPath(new URL('..', import.meta.url)), 'examples', 'edge-worker');
const png = new Uint8Array(readFileSync(join(here, 'sample-digit.png')));
const jpg = new Uint8Array(readFileSync(join(here, 'sample-digit.jpg')));
const digit: number[] = JSON.parse(readFileSync(join(here, 'sample-digit.json'), 'utf8'));

/** A multipart/form-data body as curl -F writes it: [field name, text | { file name, type, bytes }] parts. */
function multipart(parts: [string, string | { filename: string; type: string; bytes: Uint8Array }][]): { body: Uint8Array; type: string } {
  const boundary = '----wasm-cnn-test-boundary';
  const chunks: Uint8Array[] = [];
  const text = (t: string) => chunks.push(new TextEncoder().encode(t));
  for (const [name, value] of parts) {
    text(`--${boundary}\r\n`);
    if (typeof value === 'string') text(`Content-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
    else {
      text(`Content-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.type}\r\n\r\n`);
      chunks.push(value.bytes);
      text('\r\n');
    }
  }
  text(`--${boundary}--\r\n`);
  const body = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) { body.set(c, at); at += c.length; }
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

interface Answer { digit: number; probabilities: number[]; error?: string }

describe('edge worker: PNG / JPEG uploads', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    await buildWorker({ quiet: true });
    mf = new Miniflare(workerOptions());
  });
  afterAll(async () => { await mf?.dispose(); });
  const post = (body: Uint8Array, headers: Record<string, string>) => mf.dispatchFetch('http://localhost/', { method: 'POST', headers, body });

  it('decodeUpload (in Node, the handler module itself): the 112x112 dark-on-white picture becomes the 28x28 light-on-black digit', async () => {
    const pkg = await import('wasm-cnn'); // the package handler.js imports (dist/), not src/
    await pkg.init();
    // Each 4x4 block of the picture is one digit pixel: the bilinear resize samples inside the block
    // (half-pixel centres at 4i + 1.5: the blocks' middle), so the PNG gives the digit back exactly
    // up to the 8-bit rounding of the picture (1/510).
    const pixels: Float32Array = decodeUpload(png);
    expect(pixels).toHaveLength(784);
    let worst = 0;
    for (let i = 0; i < 784; i++) worst = Math.max(worst, Math.abs(pixels[i] - digit[i]));
    expect(worst).toBeLessThanOrEqual(1 / 510 + 1e-6);
    // The JPEG within its compression error.
    const fromJpeg: Float32Array = decodeUpload(jpg);
    let mean = 0;
    for (let i = 0; i < 784; i++) mean += Math.abs(fromJpeg[i] - digit[i]) / 784;
    expect(mean).toBeLessThan(0.03);
    expect(pkg.backendInfo().liveTensors, 'decodeUpload frees its tensors').toBe(0);
  });

  it.each([
    ['PNG body, image/png', () => post(png, { 'content-type': 'image/png' })],
    ['JPEG body, image/jpeg', () => post(jpg, { 'content-type': 'image/jpeg' })],
    ['PNG body, application/octet-stream (told by its first bytes)', () => post(png, { 'content-type': 'application/octet-stream' })],
    ['JPEG as a multipart/form-data file', () => {
      const { body, type } = multipart([['note', 'a handwritten seven'], ['image', { filename: 'seven.jpg', type: 'image/jpeg', bytes: jpg }]]);
      return post(body, { 'content-type': type });
    }],
  ])('%s -> 200 { digit: 7, probabilities }', async (_name, send) => {
    const res = await send();
    const body = await res.json() as Answer;
    expect(res.status, body.error).toBe(200);
    expect(body.digit).toBe(7);
    expect(body.probabilities).toHaveLength(10);
    expect(body.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.max(...body.probabilities)).toBe(body.probabilities[7]);
  });

  it('a corrupt picture, a multipart body without a file and a non-picture image/* body are 400 with a reason', async () => {
    const broken = png.slice(0, 60);
    const a = await post(broken, { 'content-type': 'image/png' });
    expect(a.status).toBe(400);
    expect((await a.json() as Answer).error).toMatch(/cannot be decoded.*decodeImage/);
    const form = multipart([['note', 'no file']]);
    const b = await post(form.body, { 'content-type': form.type });
    expect(b.status).toBe(400);
    expect((await b.json() as Answer).error).toMatch(/no file/);
    const c = await post(new TextEncoder().encode('GIF89a....'), { 'content-type': 'image/gif' });
    expect(c.status).toBe(400);
    expect((await c.json() as Answer).error).toMatch(/not a PNG or JPEG/);
    // The worker still answers afterwards.
    expect((await post(png, { 'content-type': 'image/png' })).status).toBe(200);
  });

  it('GET names the picture uploads', async () => {
    const usage = (await (await mf.dispatchFetch('http://localhost/')).json() as { usage: string }).usage;
    expect(usage).toMatch(/PNG or JPEG/);
  });
});
