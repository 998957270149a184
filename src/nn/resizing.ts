// Resampling layers (no parameters), both on ops.resize: UpSampling2D (integer factors, Keras'
// default 'nearest' or 'bilinear') and Resizing (a fixed output size, Keras' default 'bilinear').
// Bilinear uses half-pixel centres as Keras (PyTorch align_corners=False); nearest with an integer
// factor repeats each pixel, as Keras and PyTorch 'nearest'.
import type { Tensor } from '../tensor.js';
import { ValueError, fmtValue } from '../errors.js';
import { ops } from './ops.js';
import { Layer, type LayerOptions, checkKeys, optInt, optPair } from './layer.js';

export type Interpolation = 'nearest' | 'bilinear';

function optInterpolation(layer: string, opts: Record<string, unknown>, dflt: Interpolation): Interpolation {
  const v = opts.interpolation ?? dflt;
  if (v !== 'nearest' && v !== 'bilinear') {
    throw new ValueError(`${layer}: option 'interpolation' must be 'nearest' or 'bilinear', got ${fmtValue(v)}`);
  }
  return v;
}

export interface UpSampling2DOptions extends LayerOptions {
  /** Factor along height and width (or [h, w]); default 2. */
  size?: number | [number, number];
  /** Default 'nearest'. */
  interpolation?: Interpolation;
}

export class UpSampling2D extends Layer {
  readonly className: string = 'UpSampling2D';
  readonly baseName: string = 'up_sampling2d';
  readonly size: [number, number];
  readonly interpolation: Interpolation;

  constructor(opts?: UpSampling2DOptions) {
    const L = 'upSampling2d';
    super(opts, L);
    checkKeys(L, opts, ['size', 'interpolation']);
    const o = (opts ?? {}) as Record<string, unknown>;
    this.size = optPair(L, o, 'size', 2);
    this.interpolation = optInterpolation(L, o, 'nearest');
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    return [shape[0] * this.size[0], shape[1] * this.size[1], shape[2]];
  }

  protected call(x: Tensor): Tensor {
    return ops.resize(x, [x.shape[1] * this.size[0], x.shape[2] * this.size[1]], { method: this.interpolation });
  }

  protected config(): Record<string, unknown> { return { size: this.size.slice(), interpolation: this.interpolation }; }
}

export interface ResizingOptions extends LayerOptions {
  height: number;
  width: number;
  /** Default 'bilinear'. */
  interpolation?: Interpolation;
}

export class Resizing extends Layer {
  readonly className: string = 'Resizing';
  readonly baseName: string = 'resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: Interpolation;

  constructor(opts: ResizingOptions) {
    const L = 'resizing';
    super(opts, L);
    checkKeys(L, opts, ['height', 'width', 'interpolation']);
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.height = optInt(L, o, 'height', undefined);
    this.width = optInt(L, o, 'width', undefined);
    this.interpolation = optInterpolation(L, o, 'bilinear');
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    return [this.height, this.width, shape[2]];
  }

  protected call(x: Tensor): Tensor {
    return ops.resize(x, [this.height, this.width], { method: this.interpolation });
  }

  protected config(): Record<string, unknown> {
    return { height: this.height, width: this.width, interpolation: this.interpolation };
  }
}

export const upSampling2d = (opts?: UpSampling2DOptions): UpSampling2D => new UpSampling2D(opts);
export const resizing = (opts: ResizingOptions): Resizing => new Resizing(opts);
