// The image options of data.decodeImageBatch and data.imageFolder, checked in one place. Pure (only
// fmt.ts): the separately bundled wasm-cnn/node carries its own copy, so the error class comes in
// as a parameter (the package's ValueError, which must not be duplicated).
import { fmtValue } from '../fmt.js';

export interface ImageBatchOptions {
  /** Output [height, width] (or one number for both). Required. */
  imageSize: number | readonly [number, number];
  /** Channels of the batch: 1 (grey, BT.601 luma), 3 (RGB, the default) or 4 (RGBA); converted as decodeImage does. */
  channels?: 1 | 3 | 4;
  /** 'bilinear' (default, Keras' image_dataset_from_directory) or 'nearest'; half-pixel centres, as ops.resize. */
  interpolation?: 'bilinear' | 'nearest';
  /** Multiplies the 0..255 pixel values (default 1/255: values in [0, 1]; 1 keeps Keras' 0..255). */
  scale?: number;
  /** Names of the images for error messages (e.g. file paths); default `image <i>`. */
  names?: readonly string[];
}

export interface ResolvedImageOptions { height: number; width: number; channels: 1 | 3 | 4; interpolation: 'bilinear' | 'nearest'; scale: number }

/** Checks the image options shared by decodeImageBatch and imageFolder; `Err` (the package's ValueError) naming `where`. */
export function resolveImageOptions(where: string, o: Partial<ImageBatchOptions>, Err: new (message: string) => Error, defaultSize?: [number, number]): ResolvedImageOptions {
  const size = o.imageSize ?? defaultSize;
  const pair = typeof size === 'number' ? [size, size] : size;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isInteger(d) && d >= 1 && d <= 16384)) {
    throw new Err(`${where}: imageSize must be [height, width] (or one number), integers in 1..16384, got ${fmtValue(size)}`);
  }
  const channels = o.channels ?? 3;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new Err(`${where}: channels must be 1, 3 or 4, got ${fmtValue(channels)}`);
  const interpolation = o.interpolation ?? 'bilinear';
  if (interpolation !== 'bilinear' && interpolation !== 'nearest') throw new Err(`${where}: interpolation must be 'bilinear' or 'nearest', got ${fmtValue(interpolation)}`);
  const scale = o.scale ?? 1 / 255;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new Err(`${where}: scale must be a finite number, got ${fmtValue(scale)}`);
  return { height: pair[0], width: pair[1], channels, interpolation, scale };
}

