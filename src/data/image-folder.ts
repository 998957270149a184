/// <reference types="node" />
// data.imageFolder (wasm-cnn/node), Keras' image_dataset_from_directory: one sub-folder per class,
// class names sorted, files in a stable (sorted) order, a seeded validation split, and datasets
// of [x, y] batches that read, decode and resize their files only when a batch is asked for
// (data.decodeImageBatch), so memory follows the batch size, not the number of files.
// Built on the public API (it is bundled into wasm-cnn/node, which imports the main entry).
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { data, tensor, ValueError, type Tensor } from '../index.js';
import type { Dataset } from './dataset.js';
import { fmtValue } from '../fmt.js';
import { openFailure } from '../io/file-kind.js';
import { resolveImageOptions, type ResolvedImageOptions } from './image-folder-options.js';

export interface ImageFolderOptions {
  /** Every image is resized to [height, width] (one number: square). Default [256, 256], as Keras. */
  imageSize?: number | readonly [number, number];
  /** Channels of the batches: 1, 3 (default) or 4; or Keras' colorMode 'grayscale' | 'rgb' | 'rgba'. */
  channels?: 1 | 3 | 4;
  colorMode?: 'grayscale' | 'rgb' | 'rgba';
  /** Images per batch. Default 32. */
  batchSize?: number;
  /** Fraction of the files held out as `validation` (taken after a seeded shuffle of all files, as Keras). */
  validationSplit?: number;
  /** Which datasets to build when splitting: 'training', 'validation' or 'both' (default); the other is null. */
  subset?: 'training' | 'validation' | 'both';
  /** Seeds the validation split and the training order of every epoch. Required with validationSplit (as Keras). */
  seed?: number;
  /** Shuffle the training files every epoch. Default true. */
  shuffle?: boolean;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: 'bilinear' | 'nearest';
  /** Multiplies the 0..255 pixel values; default 1/255 (values in [0, 1], as the IDX loaders); 1 keeps Keras' 0..255. */
  scale?: number;
  /** 'int' (default): int32 labels [B]; 'categorical': float32 one-hot [B, classes]. */
  labelMode?: 'int' | 'categorical';
}

export interface ImageFolder {
  /** The sub-folder names, sorted: label i is classNames[i]. */
  classNames: string[];
  /** Batches [x float32 [B, h, w, C], y] of the training files (null for subset 'validation'). */
  train: Dataset<[Tensor, Tensor]> | null;
  /** The held-out batches, in file order (null without validationSplit, or for subset 'training'). */
  validation: Dataset<[Tensor, Tensor]> | null;
  /** The files of each part (paths under dir), in file order, and their labels. */
  files: { train: string[]; validation: string[]; trainLabels: number[]; validationLabels: number[] };
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;
const KNOWN = ['imageSize', 'channels', 'colorMode', 'batchSize', 'validationSplit', 'subset', 'seed', 'shuffle', 'interpolation', 'scale', 'labelMode'];
const COLOR_MODES = { grayscale: 1, rgb: 3, rgba: 4 } as const;

function entries(dir: string, what: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new ValueError(`imageFolder: cannot read ${what} ${dir} (${openFailure(e)})`);
  }
}

/** The image files under `dir`, recursively, in sorted order at every level (symbolic links are not followed). */
function imageFiles(dir: string): string[] {
  const out: string[] = [];
  const sorted = entries(dir, 'the folder').sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of sorted) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...imageFiles(path));
    else if (e.isFile() && IMAGE_FILE.test(e.name)) out.push(path);
  }
  return out;
}

/** A seeded permutation of 0..n-1 (Fisher-Yates driven by splitmix32(seed)): the same split in every runtime. */
function splitPermutation(n: number, seed: number): number[] {
  let x = (Math.floor(seed) >>> 0 ^ Math.floor(seed / 4294967296) >>> 0) >>> 0;
  const next = (): number => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const limit = 4294967296 - (4294967296 % (i + 1));
    let v: number;
    do { v = next(); } while (v >= limit);
    const j = v % (i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

interface Resolved { image: ResolvedImageOptions; batchSize: number; split: number; subset: string; seed: number | undefined; shuffle: boolean; categorical: boolean }

function resolveOptions(options: ImageFolderOptions): Resolved {
  if (options === null || typeof options !== 'object') throw new ValueError(`imageFolder: options must be an object, got ${fmtValue(options)}`);
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) throw new ValueError(`imageFolder: unknown option '${key}' (known: ${KNOWN.join(', ')})`);
  const o = options;
  if (o.colorMode !== undefined && !Object.hasOwn(COLOR_MODES, o.colorMode)) throw new ValueError(`imageFolder: colorMode must be 'grayscale', 'rgb' or 'rgba', got ${fmtValue(o.colorMode)}`);
  if (o.colorMode !== undefined && o.channels !== undefined) throw new ValueError('imageFolder: give channels or colorMode, not both');
  const channels = o.colorMode !== undefined ? COLOR_MODES[o.colorMode] : o.channels;
  const image = resolveImageOptions('imageFolder', { imageSize: o.imageSize, channels, interpolation: o.interpolation, scale: o.scale }, ValueError, [256, 256]);
  const batchSize = o.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValueError(`imageFolder: batchSize must be a positive integer, got ${fmtValue(o.batchSize)}`);
  const split = o.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new ValueError(`imageFolder: validationSplit must be a number in [0, 1), got ${fmtValue(o.validationSplit)}`);
  const subset = o.subset ?? 'both';
  if (!['training', 'validation', 'both'].includes(subset)) throw new ValueError(`imageFolder: subset must be 'training', 'validation' or 'both', got ${fmtValue(o.subset)}`);
  if (o.subset !== undefined && split === 0) throw new ValueError('imageFolder: subset needs validationSplit');
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isFinite(o.seed))) throw new ValueError(`imageFolder: seed must be a finite number, got ${fmtValue(o.seed)}`);
  const shuffle = o.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new ValueError(`imageFolder: shuffle must be a boolean, got ${fmtValue(o.shuffle)}`);
  if (split > 0 && o.seed === undefined) throw new ValueError('imageFolder: validationSplit needs a seed, so that the training and validation files never overlap between calls (as Keras)');
  const labelMode = o.labelMode ?? 'int';
  if (labelMode !== 'int' && labelMode !== 'categorical') throw new ValueError(`imageFolder: labelMode must be 'int' or 'categorical', got ${fmtValue(o.labelMode)}`);
  return { image, batchSize, split, subset, seed: o.seed, shuffle, categorical: labelMode === 'categorical' };
}

/**
 * Lists `dir` (one sub-folder per class, PNG / JPEG files at any depth inside it) and returns the
 * class names and datasets of [x, y] batches. Listing is immediate; files are read when batches
 * are. ValueError for a missing folder, fewer than two classes, a class without images or bad
 * options; iterating gives FormatError naming the file for one that is not a readable PNG / JPEG.
 */
export function imageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolder {
  if (typeof dir !== 'string' || dir === '') throw new ValueError(`imageFolder: dir must be a non-empty string, got ${fmtValue(dir)}`);
  const o = resolveOptions(options);
  let isDir = false;
  try { isDir = statSync(dir).isDirectory(); } catch (e) { throw new ValueError(`imageFolder: cannot read the folder ${dir} (${openFailure(e)})`); }
  if (!isDir) throw new ValueError(`imageFolder: ${dir} is not a folder`);
  const classNames = entries(dir, 'the folder').filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (classNames.length === 0) throw new ValueError(`imageFolder: ${dir} holds no class sub-folders (expected one folder of images per class)`);
  if (classNames.length === 1) throw new ValueError(`imageFolder: ${dir} holds one class sub-folder ('${classNames[0]}'); classification needs at least 2`);
  const files: string[] = [];
  const labels: number[] = [];
  classNames.forEach((name, label) => {
    const found = imageFiles(join(dir, name));
    if (found.length === 0) throw new ValueError(`imageFolder: the class folder ${join(dir, name)} holds no PNG or JPEG files (.png, .jpg, .jpeg)`);
    for (const f of found) { files.push(f); labels.push(label); }
  });
  let trainIdx = files.map((_, i) => i), valIdx: number[] = [];
  if (o.split > 0) {
    const nVal = Math.floor(files.length * o.split);
    if (nVal === 0 || nVal === files.length) throw new ValueError(`imageFolder: validationSplit ${o.split} of ${files.length} files leaves ${nVal === 0 ? 'no validation' : 'no training'} files`);
    const perm = splitPermutation(files.length, o.seed!);
    trainIdx = perm.slice(0, files.length - nVal).sort((a, b) => a - b);
    valIdx = perm.slice(files.length - nVal).sort((a, b) => a - b);
  }
  const batches = (idx: number[], shuffle: boolean): Dataset<[Tensor, Tensor]> => {
    let ds = data.dataset(idx);
    // Seed + 1: the epochs' orders are not the split's permutation.
    if (shuffle) ds = ds.shuffle(idx.length, o.seed === undefined ? {} : { seed: o.seed + 1 });
    return ds.batch(o.batchSize).map(async (ids) => loadBatch(files, labels, Array.from((ids as Tensor).dataSync()), o, classNames.length));
  };
  const wantTrain = o.subset !== 'validation', wantVal = o.split > 0 && o.subset !== 'training';
  return {
    classNames,
    train: wantTrain ? batches(trainIdx, o.shuffle) : null,
    validation: wantVal ? batches(valIdx, false) : null,
    files: { train: trainIdx.map((i) => files[i]), validation: valIdx.map((i) => files[i]), trainLabels: trainIdx.map((i) => labels[i]), validationLabels: valIdx.map((i) => labels[i]) },
  };
}

/** Reads, decodes and resizes the files `ids` into one batch [x, y]. */
async function loadBatch(files: string[], labels: number[], ids: number[], o: Resolved, classes: number): Promise<[Tensor, Tensor]> {
  const bytes = await Promise.all(ids.map(async (i) => {
    try {
      return await readFile(files[i]);
    } catch (e) {
      throw new ValueError(`imageFolder: cannot read ${files[i]} (${openFailure(e)})`);
    }
  }));
  const x = data.decodeImageBatch(bytes, { imageSize: [o.image.height, o.image.width], channels: o.image.channels, interpolation: o.image.interpolation, scale: o.image.scale, names: ids.map((i) => files[i]) });
  try {
    if (!o.categorical) return [x, tensor(Int32Array.from(ids, (i) => labels[i]), [ids.length], 'int32')];
    const hot = new Float32Array(ids.length * classes);
    ids.forEach((i, r) => { hot[r * classes + labels[i]] = 1; });
    return [x, tensor(hot, [ids.length, classes])];
  } catch (e) {
    x.dispose();
    throw e;
  }
}
