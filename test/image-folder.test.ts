// data.imageFolder (wasm-cnn/node) on the committed tree test/fixtures/image-folder (written by
// test/fixtures/image_folder_tree.py), and data.decodeImageBatch against ops.resize on data.toFloat
// of data.decodeImage: the same bits.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { data as baseData, ops, tidy, backendInfo, nn, optim, Sequential, setSeed, type Tensor } from '../src/index.js';
import { data, imageFolder } from '../src/node.js';

const ROOT = fileURLToPath(new URL('./fixtures/image-folder', import.meta.url));
const FILES = ['cat/a-rgb.png', 'cat/b-grey.png', 'cat/c.jpg', 'dog/a-rgba.png', 'dog/b-palette.png', 'dog/c-grey.JPEG', 'fox/a.png', 'fox/nested/b.jpeg'];
const LABELS = [0, 0, 0, 1, 1, 1, 2, 2];
const bitsOf = (t: Tensor) => Array.from(new Uint32Array(t.dataSync().buffer));

/** The reference pipeline, one image at a time, in wasm: decodeImage -> toFloat -> ops.resize. */
function reference(file: string, size: [number, number], channels: 1 | 3 | 4, method: 'bilinear' | 'nearest'): number[] {
  return tidy(() => {
    const img = baseData.toFloat(baseData.decodeImage(readFileSync(join(ROOT, file)), { channels }), { scale: 1 / 255 });
    return bitsOf(ops.resize(img, size, { method }));
  });
}

async function all(ds: AsyncIterable<[Tensor, Tensor]>): Promise<{ x: number[][]; y: number[] }> {
  const x: number[][] = [], y: number[] = [];
  for await (const [xb, yb] of ds) {
    const per = xb.size / xb.shape[0];
    const b = bitsOf(xb);
    for (let i = 0; i < xb.shape[0]; i++) x.push(b.slice(i * per, (i + 1) * per));
    y.push(...Array.from(yb.dataSync()));
  }
  return { x, y };
}

describe('data.imageFolder', () => {
  it('lists classes (sorted sub-folders) and image files (sorted, nested, other files skipped)', () => {
    const f = imageFolder(ROOT, { imageSize: 4, shuffle: false });
    expect(f.classNames).toEqual(['cat', 'dog', 'fox']);
    expect(f.files.train.map((p) => p.slice(ROOT.length + 1))).toEqual(FILES);
    expect(f.files.trainLabels).toEqual(LABELS);
    expect(f.validation).toBe(null);
    expect(data.imageFolder).toBe(imageFolder);
  });

  for (const [channels, method, size] of [[3, 'bilinear', [6, 5]], [1, 'bilinear', [3, 8]], [4, 'nearest', [5, 5]], [3, 'bilinear', [7, 5]]] as const) {
    it(`batches are ops.resize(toFloat(decodeImage)) bit for bit: ${channels} channels, ${method}, ${size.join('x')}`, async () => {
      const before = backendInfo().liveTensors;
      const f = imageFolder(ROOT, { imageSize: size as [number, number], channels, interpolation: method, batchSize: 3, shuffle: false });
      const shapes: number[][] = [];
      for await (const [xb] of f.train!) shapes.push(xb.shape.slice());
      expect(shapes).toEqual([[3, ...size, channels], [3, ...size, channels], [2, ...size, channels]]);
      const got = await all(f.train!);
      expect(got.y).toEqual(LABELS);
      FILES.forEach((file, i) => expect(got.x[i], file).toEqual(reference(file, size as [number, number], channels, method)));
      expect(backendInfo().liveTensors).toBe(before);
    });
  }

  it('shuffles the training files every epoch, reproducibly with a seed; the validation split is seeded and disjoint', async () => {
    const a = imageFolder(ROOT, { imageSize: 2, batchSize: 8, seed: 4 });
    const b = imageFolder(ROOT, { imageSize: 2, batchSize: 8, seed: 4 });
    const e0 = (await all(a.train!)).y, e1 = (await all(a.train!)).y;
    expect((await all(b.train!)).y).toEqual(e0);
    expect((await all(b.train!)).y).toEqual(e1);
    expect([...e0].sort()).toEqual([...LABELS].sort());
    const s = imageFolder(ROOT, { imageSize: 2, validationSplit: 0.25, seed: 11, colorMode: 'grayscale' });
    expect(s.files.validation).toHaveLength(2);
    expect(s.files.train).toHaveLength(6);
    expect([...s.files.train, ...s.files.validation].sort()).toEqual(FILES.map((f) => join(ROOT, f)).sort());
    expect(imageFolder(ROOT, { imageSize: 2, validationSplit: 0.25, seed: 11 }).files.validation).toEqual(s.files.validation);
    const val = await all(s.validation!);
    expect(val.y).toEqual(s.files.validationLabels);
    expect(imageFolder(ROOT, { imageSize: 2, validationSplit: 0.25, seed: 11, subset: 'training' }).validation).toBe(null);
    const cat = imageFolder(ROOT, { imageSize: 2, labelMode: 'categorical', shuffle: false, batchSize: 8 });
    for await (const [, y] of cat.train!) expect(y.arraySync()).toEqual(LABELS.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0))));
  });

  it('decodeImageBatch takes bytes of any sizes into one batch; fit streams from the folder with flat memory', async () => {
    const bytes = FILES.slice(0, 3).map((f) => readFileSync(join(ROOT, f)));
    const x = baseData.decodeImageBatch(bytes, { imageSize: [4, 4], channels: 3 });
    expect(x.shape).toEqual([3, 4, 4, 3]);
    expect(bitsOf(x).slice(0, 48)).toEqual(reference(FILES[0], [4, 4], 3, 'bilinear'));
    x.dispose();
    setSeed(1);
    const m = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3 }), nn.flatten(), nn.dense({ units: 3 })], { inputShape: [6, 6, 3] });
    m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    const f = imageFolder(ROOT, { imageSize: 6, batchSize: 3, seed: 2, validationSplit: 0.25 });
    await m.fit(f.train!.prefetch(2), { epochs: 1, verbose: 0, validationData: f.validation! });
    const after1 = backendInfo();
    const h = await m.fit(f.train!.prefetch(2), { epochs: 4, initialEpoch: 1, verbose: 0, validationData: f.validation! });
    const after4 = backendInfo();
    expect([after4.liveTensors, after4.liveBytes, after4.memoryBytes]).toEqual([after1.liveTensors, after1.liveBytes, after1.memoryBytes]);
    expect(h.valLoss).toHaveLength(3);
    m.dispose();
  });
});
