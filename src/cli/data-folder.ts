/// <reference types="node" />
// `wasm-cnn train --data DIR` when DIR holds images rather than IDX files: one folder per class of
// PNG / JPEG files of any size (a seeded share held out for testing), or DIR/train and DIR/test
// each laid out that way. The images stream through data.imageFolder: read, decoded and resized
// per batch, so memory does not grow with the number of files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { data, ValueError, type Tensor, type Model } from '../index.js';
import { imageFolder, findIdxFiles } from '../node.js';
import type { Dataset } from '../data/dataset.js';
import type { TrainOptions } from './args.js';

/** Where `--data DIR` reads from: IDX files, DIR/train + DIR/test class folders, or one tree of class folders. */
export type DataLayout = 'idx' | 'train-test-folders' | 'class-folders';

const subfolders = (dir: string): string[] => {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
};

/** IDX when DIR has the IDX files or no sub-folders (so a wrong directory keeps the IDX loader's message), else image folders. */
export function dataLayout(dir: string): DataLayout {
  let isDir = false;
  try { isDir = statSync(dir).isDirectory(); } catch { /* the IDX loader words the error */ }
  if (!isDir) return 'idx';
  try { findIdxFiles(dir); return 'idx'; } catch { /* not IDX */ }
  const subs = subfolders(dir);
  if (subs.length === 0) return 'idx';
  if (subs.includes('train') && subs.includes('test') && subfolders(join(dir, 'train')).length > 0) return 'train-test-folders';
  return 'class-folders';
}

export interface FolderData {
  classNames: string[];
  train: Dataset<[Tensor, Tensor]>;
  test: Dataset<[Tensor, Tensor]>;
  nTrain: number;
  nTest: number;
  /** One sample's shape [h, w, c]. */
  shape: [number, number, number];
  label: string;
}

/** 1 for grey files (with or without alpha), else 3: decided by the first training file. */
function channelsOf(file: string): 1 | 3 {
  const img = data.decodeImage(readFileSync(file));
  const c = img.shape[2];
  img.dispose();
  return c <= 2 ? 1 : 3;
}

/** The streaming datasets of an image-folder `--data DIR` (layout from dataLayout). */
export function loadFolderData(dir: string, layout: Exclude<DataLayout, 'idx'>, o: TrainOptions): FolderData {
  const size = o.imageSize ?? 64;
  const base = { imageSize: size, batchSize: o.batchSize, seed: o.seed };
  if (layout === 'train-test-folders') {
    const probe = imageFolder(join(dir, 'train'), { ...base, shuffle: false });
    const channels = channelsOf(probe.files.train[0]);
    const train = imageFolder(join(dir, 'train'), { ...base, channels });
    const test = imageFolder(join(dir, 'test'), { ...base, channels, shuffle: false, batchSize: 256 });
    if (test.classNames.join('\n') !== train.classNames.join('\n')) {
      throw new ValueError(`${dir}: test/ holds the classes ${test.classNames.join(', ')} but train/ holds ${train.classNames.join(', ')}; both need the same class folders`);
    }
    return {
      classNames: train.classNames, train: train.train!, test: test.train!, nTrain: train.files.train.length, nTest: test.files.train.length,
      shape: [size, size, channels], label: `image folders ${join(dir, 'train')} and ${join(dir, 'test')}`,
    };
  }
  const probe = imageFolder(dir, { ...base, shuffle: false });
  const channels = channelsOf(probe.files.train[0]);
  const split = imageFolder(dir, { ...base, channels, validationSplit: o.validationSplit, seed: o.seed });
  return {
    classNames: split.classNames, train: split.train!, test: split.validation!, nTrain: split.files.train.length, nTest: split.files.validation.length,
    shape: [size, size, channels], label: `image folders in ${dir} (${Math.round(o.validationSplit * 100)}% held out, seed ${o.seed})`,
  };
}

/** The confusion matrix of `model` over a dataset of [x, y] batches (rows: true class), streamed. */
export async function streamingConfusion(model: Model, test: Dataset<[Tensor, Tensor]>, k: number): Promise<Int32Array> {
  const counts = new Int32Array(k * k);
  for await (const [x, y] of test) {
    const logits = model.predict(x, { batchSize: 256 });
    const pred = logits.argMax(-1);
    const p = pred.dataSync(), t = y.dataSync();
    for (let i = 0; i < p.length; i++) counts[t[i] * k + p[i]]++;
    logits.dispose(); pred.dispose();
  }
  return counts;
}
