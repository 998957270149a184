/// <reference types="node" />
// Models as `wasm-cnn train --save` writes them and `wasm-cnn predict` reads them: the package's
// saved-model format (docs/FORMAT.md) with the class names and the image preprocessing in
// model.json's `userDefinedMetadata` (tfjs' field for application data), so predict can name the
// classes and resize any photo as training did. A path ending in .wcnn gets the packed single file,
// any other path a directory (model.json + weights.bin).
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FormatError, ValueError, type Model } from '../index.js';

export interface ModelMetadata {
  classNames: string[];
  /** The [height, width] training images were resized to. */
  imageSize: [number, number];
  channels: number;
}

/** The directory a save to `path` writes into: the packed file's parent, or the model directory itself. */
const saveDir = (path: string): string => (/\.wcnn$/i.test(path) ? dirname(path) : path);

/**
 * Creates the directory a save to `path` needs and checks that it can be written, so a bad `--save`
 * fails before training rather than after it.
 */
export function prepareSavePath(path: string): void {
  const dir = saveDir(path);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    if (/\.wcnn$/i.test(path) && existsSync(path) && statSync(path).isDirectory()) throw new Error('it is a directory');
  } catch (e) {
    throw new ValueError(`--save ${path}: cannot write there (${(e as Error).message})`);
  }
}

/** Saves `model` to `path` (a .wcnn file or a directory) with `meta` in model.json. */
export async function saveWithClassNames(model: Model, path: string, meta: ModelMetadata): Promise<void> {
  let json: { weights: { file: string }; userDefinedMetadata?: unknown } | null = null;
  let weights: Uint8Array | null = null;
  // save() calls the target with model.json's object, then packs that same object: the metadata
  // added here is in both.
  const packed = await model.save({
    save: (a) => {
      json = a.modelJson as unknown as typeof json;
      json!.userDefinedMetadata = { classNames: meta.classNames, imageSize: meta.imageSize, channels: meta.channels };
      weights = a.weights as Uint8Array;
    },
  });
  mkdirSync(saveDir(path), { recursive: true });
  if (/\.wcnn$/i.test(path)) { writeFileSync(path, packed); return; }
  const j = json as unknown as { weights: { file: string } };
  writeFileSync(join(path, j.weights.file), weights!);
  writeFileSync(join(path, 'model.json'), JSON.stringify(j, null, 1));
}

/** The `userDefinedMetadata` of a saved model (directory, model.json or packed file), or null without one. */
export function readMetadata(path: string): ModelMetadata | null {
  let json: unknown;
  try {
    const file = statSync(path).isDirectory() ? join(path, 'model.json') : path;
    const bytes = readFileSync(file);
    const packed = bytes.length >= 16 && bytes.subarray(0, 4).toString('latin1') === 'WCNM';
    const text = packed ? bytes.subarray(16, 16 + bytes.readUInt32LE(8)).toString('utf8') : bytes.toString('utf8');
    json = JSON.parse(text);
  } catch {
    return null; // Model.load reports what is wrong with the file
  }
  const m = (json as { userDefinedMetadata?: Partial<ModelMetadata> })?.userDefinedMetadata;
  if (m === undefined) return null;
  const ok = Array.isArray(m.classNames) && m.classNames.every((n) => typeof n === 'string') && Array.isArray(m.imageSize) &&
    m.imageSize.length === 2 && m.imageSize.every((d) => Number.isInteger(d) && d >= 1) && (m.channels === 1 || m.channels === 3);
  if (!ok) throw new FormatError(`${path}: model.json's userDefinedMetadata must hold classNames (strings), imageSize [h, w] and channels 1 or 3, got ${JSON.stringify(m).slice(0, 200)}`);
  return m as ModelMetadata;
}
