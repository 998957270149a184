// The options of data.augment: their documentation, checks and normalised form. Every option is
// checked before the first random draw, so a bad call leaves the seeded generator untouched.
import { ValueError, fmtValue, rejectUnknownOptions } from '../errors.js';

export interface AugmentOptions {
  /** Mirror each image left-right with probability 0.5. */
  flipHorizontal?: boolean;
  /** Mirror each image upside-down with probability 0.5. */
  flipVertical?: boolean;
  /**
   * Pad each image with `padding` zeros on every side and cut an H x W window back out at a
   * uniformly drawn offset (torchvision's `RandomCrop(size, padding)`): a random shift of up to
   * `padding` pixels in each direction, the uncovered border filled with zeros.
   */
  randomCrop?: { padding: number };
  /**
   * Turn each image about its centre by an angle drawn uniformly from [-rotation, rotation)
   * degrees (positive: counter-clockwise), bilinear, zeros where the turned image leaves the frame
   * (torchvision's `RandomRotation(degrees)`; Keras' `RandomRotation(rotation / 360, fill_mode='constant')`).
   */
  rotation?: number;
  /**
   * Scale each image about its centre: the sampling step is drawn uniformly from
   * [1 - zoom, 1 + zoom), so above 1 zooms out (zeros fill the border) and below 1 zooms in
   * (Keras' `RandomZoom(zoom, fill_mode='constant')`, both axes alike). In [0, 1).
   */
  zoom?: number;
  /** Add one value drawn uniformly from [-brightness, brightness) to every value of an image (Keras' RandomBrightness, in the data's units). */
  brightness?: number;
  /**
   * Scale each image's deviation from its per-channel mean by a factor drawn uniformly from
   * [1 - contrast, 1 + contrast) (Keras' RandomContrast). In [0, 1].
   */
  contrast?: number;
  /**
   * Zero one square (or [h, w] rectangle) per image whose centre is drawn uniformly over the
   * image; the part past the border is cut off (DeVries and Taylor's Cutout).
   */
  cutout?: { size: number | readonly [number, number] };
  /** Clip the results of brightness and contrast to [low, high] (Keras' `value_range`), e.g. [0, 1]. */
  valueRange?: readonly [number, number];
}

/** Checked options: -1 / 0 / null where an augmentation is off. */
export interface AugmentPlan {
  flipHorizontal: boolean;
  flipVertical: boolean;
  padding: number;
  rotation: number;
  zoom: number;
  brightness: number;
  contrast: number;
  cutout: [number, number] | null;
  valueRange: [number, number] | null;
}

const KNOWN = ['flipHorizontal', 'flipVertical', 'randomCrop', 'rotation', 'zoom', 'brightness', 'contrast', 'cutout', 'valueRange'];

function finiteIn(name: string, v: unknown, lo: number, hi: number, hiOpen: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || (hiOpen ? v >= hi : v > hi)) {
    throw new ValueError(`augment: ${name} must be a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${fmtValue(v)}`);
  }
  return v;
}

export function planAugment(options: AugmentOptions): AugmentPlan {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`augment: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  rejectUnknownOptions('augment', options, KNOWN);
  const { flipHorizontal = false, flipVertical = false, randomCrop } = options;
  if (typeof flipHorizontal !== 'boolean') throw new ValueError(`augment: flipHorizontal must be a boolean, got ${fmtValue(flipHorizontal)}`);
  if (typeof flipVertical !== 'boolean') throw new ValueError(`augment: flipVertical must be a boolean, got ${fmtValue(flipVertical)}`);
  let padding = -1;
  if (randomCrop !== undefined) {
    const p = randomCrop?.padding;
    if (!Number.isInteger(p) || p < 0) {
      throw new ValueError(`augment: randomCrop.padding must be a non-negative integer, got ${fmtValue(p)}`);
    }
    padding = p;
  }
  const rotation = options.rotation === undefined ? 0 : finiteIn('rotation (degrees)', options.rotation, 0, 180, false);
  const zoom = options.zoom === undefined ? 0 : finiteIn('zoom', options.zoom, 0, 1, true);
  const brightness = options.brightness === undefined ? 0 : finiteIn('brightness', options.brightness, 0, Number.MAX_VALUE, false);
  const contrast = options.contrast === undefined ? 0 : finiteIn('contrast', options.contrast, 0, 1, false);
  let cutout: [number, number] | null = null;
  if (options.cutout !== undefined) {
    const size = options.cutout?.size;
    const hw = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? [size[0], size[1]] : null;
    if (hw === null || !hw.every((v) => Number.isInteger(v) && v >= 1)) {
      throw new ValueError(`augment: cutout.size must be a positive integer or [h, w] of them, got ${fmtValue(size)}`);
    }
    cutout = hw as [number, number];
  }
  let valueRange: [number, number] | null = null;
  if (options.valueRange !== undefined) {
    const r = options.valueRange;
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] < r[1])) {
      throw new ValueError(`augment: valueRange must be [low, high] of finite numbers with low < high, got ${fmtValue(r)}`);
    }
    valueRange = [r[0], r[1]];
  }
  return { flipHorizontal, flipVertical, padding, rotation, zoom, brightness, contrast, cutout, valueRange };
}
