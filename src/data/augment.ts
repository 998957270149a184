// Random data augmentation of NHWC image batches: flips and crops with zero padding. The host
// draws each sample's parameters from the seeded generator (src/random.ts), in a fixed order;
// one wasm kernel (assembly/augment.ts) then moves the pixels in a single pass.
import { Tensor } from '../tensor.js';
import { heapI32, kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { nextFloat, nextInt } from '../random.js';

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
}

const KNOWN = new Set(['flipHorizontal', 'flipVertical', 'randomCrop']);

/**
 * Returns a new tensor with each image of the float NHWC batch `x` randomly flipped and/or
 * shifted (see AugmentOptions). `x` is left unchanged. Draws, per sample in batch order: the
 * horizontal flip (`nextFloat() < 0.5`) if asked, then the vertical flip, then the crop offsets
 * `nextInt(2p + 1)` for rows and then columns. So a seeded run is reproducible bit for bit.
 */
export function augment(x: Tensor, options: AugmentOptions = {}): Tensor {
  checkInput(x);
  const params = drawAugmentParams(x.shape[0], options);
  return augmentWithParams(x, params);
}

function checkInput(x: Tensor): void {
  if (!(x instanceof Tensor)) throw new ValueError(`augment: x must be a Tensor, got ${typeof x}`);
  x._checkLive('augment', 'x'); // before any random draw
  if (x.rank !== 4) throw new ShapeError(`augment: x must be an NHWC batch of rank 4, got shape ${fmtShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new ValueError(`augment: x must be float32, got ${x.dtype}`);
}

/**
 * @internal Draws the per-sample parameters in the documented order: 4 int32 per sample,
 * [flipH, flipV, dy, dx], where (dy, dx) is the source offset of the output's top-left pixel.
 */
export function drawAugmentParams(n: number, options: AugmentOptions): Int32Array {
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`augment: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  for (const k of Object.keys(options)) {
    if (!KNOWN.has(k)) throw new ValueError(`augment: unknown option '${k}' (known: ${[...KNOWN].join(', ')})`);
  }
  const { flipHorizontal = false, flipVertical = false, randomCrop } = options;
  if (typeof flipHorizontal !== 'boolean') throw new ValueError(`augment: flipHorizontal must be a boolean, got ${fmtValue(flipHorizontal)}`);
  if (typeof flipVertical !== 'boolean') throw new ValueError(`augment: flipVertical must be a boolean, got ${fmtValue(flipVertical)}`);
  let pad = -1;
  if (randomCrop !== undefined) {
    const p = randomCrop?.padding;
    if (!Number.isInteger(p) || p < 0) {
      throw new ValueError(`augment: randomCrop.padding must be a non-negative integer, got ${fmtValue(p)}`);
    }
    pad = p;
  }
  const params = new Int32Array(4 * n);
  for (let s = 0; s < n; s++) {
    if (flipHorizontal) params[4 * s] = nextFloat() < 0.5 ? 1 : 0;
    if (flipVertical) params[4 * s + 1] = nextFloat() < 0.5 ? 1 : 0;
    if (pad >= 0) {
      params[4 * s + 2] = nextInt(2 * pad + 1) - pad;
      params[4 * s + 3] = nextInt(2 * pad + 1) - pad;
    }
  }
  return params;
}

/** @internal Applies given per-sample parameters (see drawAugmentParams) with the wasm kernel. */
export function augmentWithParams(x: Tensor, params: Int32Array): Tensor {
  checkInput(x);
  const [n, h, w, c] = x.shape;
  if (params.length !== 4 * n) throw new ValueError(`augment: need 4 parameters per sample (${4 * n}), got ${params.length}`);
  const out = Tensor.empty(x.shape);
  if (out.size === 0) return out;
  const p = workspace(params.length * 4, WorkspaceSlot.Work);
  heapI32().set(params, p >> 2);
  kernels().augmentFlipCrop(x.ptr, out.ptr, p, n, h, w, c);
  return out;
}
