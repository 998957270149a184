// Keras' random image preprocessing layers: RandomFlip, RandomRotation, RandomZoom, RandomContrast,
// RandomBrightness. In training each transforms its batch with data.augment (seeded, bit-identical
// in every runtime; inside fit, from the fit's own random stream); in inference each hands its input
// on unchanged. No gradient flows through them, so they belong at the front of a model, on the
// input images (as in Keras, where they are not differentiable either).
import { Tensor } from '../tensor.js';
import { ValueError, fmtValue } from '../errors.js';
import { augment, type AugmentOptions } from '../data/augment.js';
import { Layer, type LayerOptions, checkKeys, optNumber } from './layer.js';

/** The shared part: rank-4 images in, the same shape out, augment in training. */
abstract class RandomImageLayer extends Layer {
  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    return shape.slice();
  }
  protected abstract augmentOptions(): AugmentOptions;
  protected call(x: Tensor, training: boolean): Tensor {
    if (!training) return x;
    if (x.requiresGrad) {
      throw new ValueError(`${this.name}: its input needs a gradient, but no gradient flows through a random preprocessing layer; put it first, on the input images`);
    }
    return augment(x, this.augmentOptions());
  }
}

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';
export interface RandomFlipOptions extends LayerOptions {
  /** Default 'horizontal_and_vertical', as Keras. */
  mode?: FlipMode;
}

/** Keras RandomFlip: each image mirrored left-right and/or upside-down with probability 0.5. */
export class RandomFlip extends RandomImageLayer {
  readonly className: string = 'RandomFlip';
  readonly baseName: string = 'random_flip';
  readonly mode: FlipMode;
  constructor(opts?: RandomFlipOptions) {
    const L = 'randomFlip';
    super(opts, L);
    checkKeys(L, opts, ['mode']);
    const mode = opts?.mode ?? 'horizontal_and_vertical';
    if (mode !== 'horizontal' && mode !== 'vertical' && mode !== 'horizontal_and_vertical') {
      throw new ValueError(`${L}: option 'mode' must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got ${fmtValue(mode)}`);
    }
    this.mode = mode;
  }
  protected augmentOptions(): AugmentOptions {
    return { flipHorizontal: this.mode !== 'vertical', flipVertical: this.mode !== 'horizontal' };
  }
  protected config(): Record<string, unknown> { return { mode: this.mode }; }
}

export interface RandomFactorOptions extends LayerOptions { factor: number }

/** A layer of one required `factor` in [0, max]. */
abstract class RandomFactorLayer extends RandomImageLayer {
  readonly factor: number;
  constructor(opts: RandomFactorOptions, L: string, max: number, more: string[] = []) {
    super(opts, L);
    this.factor = requiredFactor(L, opts, max, more);
  }
  protected config(): Record<string, unknown> { return { factor: this.factor }; }
}

/** Keras RandomRotation(factor): an angle uniform in [-factor, factor) of a full turn, zeros outside (fill_mode 'constant'). */
export class RandomRotation extends RandomFactorLayer {
  readonly className: string = 'RandomRotation';
  readonly baseName: string = 'random_rotation';
  constructor(opts: RandomFactorOptions) { super(opts, 'randomRotation', 0.5); }
  protected augmentOptions(): AugmentOptions { return { rotation: this.factor * 360 }; }
}

/** Keras RandomZoom(heightFactor): a sampling step uniform in [1 - f, 1 + f) on both axes (above 1 zooms out), zeros outside. */
export class RandomZoom extends RandomImageLayer {
  readonly className: string = 'RandomZoom';
  readonly baseName: string = 'random_zoom';
  readonly heightFactor: number;
  constructor(opts: { heightFactor: number } & LayerOptions) {
    const L = 'randomZoom';
    super(opts, L);
    checkKeys(L, opts, ['heightFactor']);
    if (opts?.heightFactor === undefined) throw new ValueError(`${L}: option 'heightFactor' is required`);
    this.heightFactor = optNumber(L, opts as unknown as Record<string, unknown>, 'heightFactor', 0, 0, 1, false, true);
  }
  protected augmentOptions(): AugmentOptions { return { zoom: this.heightFactor }; }
  protected config(): Record<string, unknown> { return { heightFactor: this.heightFactor }; }
}

/** Keras RandomContrast(factor): each channel's deviation from the image mean times a factor uniform in [1 - f, 1 + f). */
export class RandomContrast extends RandomFactorLayer {
  readonly className: string = 'RandomContrast';
  readonly baseName: string = 'random_contrast';
  constructor(opts: RandomFactorOptions) { super(opts, 'randomContrast', 1); }
  protected augmentOptions(): AugmentOptions { return { contrast: this.factor }; }
}

export interface RandomBrightnessOptions extends RandomFactorOptions {
  /** The images' value range, [0, 255] by default as Keras; results are clipped to it. */
  valueRange?: [number, number];
}

/** Keras RandomBrightness(factor, valueRange): plus a delta uniform in [-f, f) times the range's width, clipped to the range. */
export class RandomBrightness extends RandomFactorLayer {
  readonly className: string = 'RandomBrightness';
  readonly baseName: string = 'random_brightness';
  readonly valueRange: [number, number];
  constructor(opts: RandomBrightnessOptions) {
    const L = 'randomBrightness';
    super(opts, L, 1, ['valueRange']);
    const r = opts.valueRange ?? [0, 255];
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] < r[1])) {
      throw new ValueError(`${L}: option 'valueRange' must be [low, high] of finite numbers with low < high, got ${fmtValue(r)}`);
    }
    this.valueRange = [r[0], r[1]];
  }
  protected augmentOptions(): AugmentOptions {
    return { brightness: this.factor * (this.valueRange[1] - this.valueRange[0]), valueRange: this.valueRange };
  }
  protected override config(): Record<string, unknown> { return { factor: this.factor, valueRange: this.valueRange.slice() }; }
}

function requiredFactor(L: string, opts: RandomFactorOptions, max: number, more: string[]): number {
  checkKeys(L, opts, ['factor', ...more]);
  if (opts?.factor === undefined) throw new ValueError(`${L}: option 'factor' is required`);
  return optNumber(L, opts as unknown as Record<string, unknown>, 'factor', 0, 0, max);
}

export const randomFlip = (opts?: RandomFlipOptions): RandomFlip => new RandomFlip(opts);
export const randomRotation = (opts: RandomFactorOptions): RandomRotation => new RandomRotation(opts);
export const randomZoom = (opts: { heightFactor: number } & LayerOptions): RandomZoom => new RandomZoom(opts);
export const randomContrast = (opts: RandomFactorOptions): RandomContrast => new RandomContrast(opts);
export const randomBrightness = (opts: RandomBrightnessOptions): RandomBrightness => new RandomBrightness(opts);
