// Random data augmentation of NHWC image batches: flips and crops, rotation and zoom, brightness
// and contrast, cutout. The host draws each sample's parameters from the seeded generator
// (src/random.ts) in a documented order; wasm kernels move and scale the pixels (assembly/augment*.ts),
// computing the sine and cosine of the angles themselves, so a seeded batch has the same bits in
// every runtime.
import { Tensor } from '../tensor.js';
import { heapI32, kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { nextFloat, nextInt } from '../random.js';
import { planAugment, type AugmentOptions, type AugmentPlan } from './augment-options.js';

export type { AugmentOptions } from './augment-options.js';

/**
 * Returns a new tensor with each image of the float NHWC batch `x` randomly transformed (see
 * AugmentOptions), in this order: flip and crop, rotation and zoom, contrast and brightness (then
 * the valueRange clip), cutout. `x` is left unchanged. The draws, per sample in batch order, each
 * only when its option is given: the horizontal flip (`nextFloat() < 0.5`), the vertical flip, the
 * crop offsets `nextInt(2p + 1)` for rows and then columns, then one `nextFloat()` each for the
 * angle, the zoom, the brightness and the contrast, then the cutout centre `nextInt(H)`, `nextInt(W)`.
 * So a seeded run is reproducible bit for bit.
 */
export function augment(x: Tensor, options: AugmentOptions = {}): Tensor {
  checkInput(x);
  const plan = planAugment(options);
  return applyAugmentation(x, drawAugmentation(x.shape, plan), plan.valueRange);
}

function checkInput(x: Tensor): void {
  if (!(x instanceof Tensor)) throw new ValueError(`augment: x must be a Tensor, got ${typeof x}`);
  x._checkLive('augment', 'x'); // before any random draw
  if (x.rank !== 4) throw new ShapeError(`augment: x must be an NHWC batch of rank 4, got shape ${fmtShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new ValueError(`augment: x must be float32, got ${x.dtype}`);
}

/** @internal Every sample's drawn parameters; null where the augmentation is off. */
export interface AugmentDraws {
  /** 4 int32 per sample: [flipH, flipV, dy, dx], (dy, dx) the source offset of the output's top-left pixel. */
  flipCrop: Int32Array | null;
  /** 2 per sample: [angle in radians, zoom (sampling step)]. */
  affine: Float64Array | null;
  /** 2 per sample: [contrast factor, brightness delta]. */
  color: Float64Array | null;
  /** 4 int32 per sample: the zeroed rows [top, bottom) and columns [left, right), inside the image. */
  cutout: Int32Array | null;
}

/** Uniform in [-1, 1) from one draw (24 bits: exact in float64). */
const symmetric = () => 2 * nextFloat() - 1;

/** @internal Draws the per-sample parameters for a batch of `shape` in the documented order. */
export function drawAugmentation(shape: readonly number[], plan: AugmentPlan): AugmentDraws {
  const [n, h, w] = shape;
  const { flipHorizontal, flipVertical, padding, rotation, zoom, brightness, contrast, cutout } = plan;
  const flipCrop = flipHorizontal || flipVertical || padding >= 0 ? new Int32Array(4 * n) : null;
  const affine = rotation > 0 || zoom > 0 ? new Float64Array(2 * n) : null;
  const color = brightness > 0 || contrast > 0 ? new Float64Array(2 * n) : null;
  const cut = cutout ? new Int32Array(4 * n) : null;
  const radiansPerDegree = Math.PI / 180;
  for (let s = 0; s < n; s++) {
    if (flipCrop) {
      if (flipHorizontal) flipCrop[4 * s] = nextFloat() < 0.5 ? 1 : 0;
      if (flipVertical) flipCrop[4 * s + 1] = nextFloat() < 0.5 ? 1 : 0;
      if (padding >= 0) {
        flipCrop[4 * s + 2] = nextInt(2 * padding + 1) - padding;
        flipCrop[4 * s + 3] = nextInt(2 * padding + 1) - padding;
      }
    }
    if (affine) {
      affine[2 * s] = rotation > 0 ? symmetric() * rotation * radiansPerDegree : 0;
      affine[2 * s + 1] = zoom > 0 ? 1 + symmetric() * zoom : 1;
    }
    if (color) {
      const delta = brightness > 0 ? symmetric() * brightness : 0;
      color[2 * s] = contrast > 0 ? 1 + symmetric() * contrast : 1;
      color[2 * s + 1] = delta;
    }
    if (cut && cutout) {
      const top = nextInt(h) - (cutout[0] >> 1), left = nextInt(w) - (cutout[1] >> 1);
      cut.set([Math.max(0, top), Math.min(h, top + cutout[0]), Math.max(0, left), Math.min(w, left + cutout[1])], 4 * s);
    }
  }
  return { flipCrop, affine, color, cutout: cut };
}

/** @internal The flip and crop parameters alone (4 int32 per sample), as drawAugmentation draws them. */
export function drawAugmentParams(n: number, options: AugmentOptions): Int32Array {
  return drawAugmentation([n, 1, 1, 1], planAugment(options)).flipCrop ?? new Int32Array(4 * n);
}

/** @internal Applies drawn parameters (see drawAugmentation) with the wasm kernels; a new tensor. */
export function applyAugmentation(x: Tensor, draws: AugmentDraws, valueRange: readonly [number, number] | null = null): Tensor {
  checkInput(x);
  const [n, h, w, c] = x.shape;
  let out = draws.flipCrop || !draws.affine ? augmentWithParams(x, draws.flipCrop ?? new Int32Array(4 * n)) : x;
  if (draws.affine) {
    const turned = withF64Params(draws.affine, n, 'affine', (p) => {
      const t = Tensor.empty(x.shape);
      if (t.size > 0) kernels().augmentAffine(out.ptr, t.ptr, p(), n, h, w, c);
      return t;
    });
    if (out !== x) out.dispose();
    out = turned;
  }
  if (draws.color && out.size > 0) {
    const [lo, hi] = valueRange ?? [0, 0];
    withF64Params(draws.color, n, 'color', (p) => kernels().augmentColor(out.ptr, out.ptr, p(), n, h * w, c, valueRange ? 1 : 0, lo, hi));
  }
  if (draws.cutout && out.size > 0) {
    const v = out.view();
    for (let s = 0; s < n; s++) {
      const [top, bottom, left, right] = draws.cutout.subarray(4 * s, 4 * s + 4);
      for (let i = top; i < bottom; i++) v.fill(0, ((s * h + i) * w + left) * c, ((s * h + i) * w + right) * c);
    }
  }
  return out;
}

/** Runs `use` with a getter of the f64 parameters' address in the workspace (taken after any allocation of `use`). */
function withF64Params<T>(params: Float64Array, n: number, what: string, use: (ptr: () => number) => T): T {
  if (params.length !== 2 * n) throw new ValueError(`augment: need 2 ${what} parameters per sample (${2 * n}), got ${params.length}`);
  return use(() => {
    const p = workspace(params.byteLength, WorkspaceSlot.Work);
    new Float64Array(kernels().memory.buffer, p, params.length).set(params);
    return p;
  });
}

/** @internal Applies given flip and crop parameters (4 int32 per sample) with the wasm kernel. */
export function augmentWithParams(x: Tensor, params: Int32Array): Tensor {
  checkInput(x);
  const [n, h, w, c] = x.shape;
  if (params.length !== 4 * n) throw new ValueError(`augment: need 4 parameters per sample (${4 * n}), got ${params.length}`);
  const out = Tensor.empty(x.shape);
  if (out.size === 0) return out;
  const p = workspace(params.length * 4, WorkspaceSlot.Work);
  heapI32().set(params, p >>> 2);
  kernels().augmentFlipCrop(x.ptr, out.ptr, p, n, h, w, c);
  return out;
}
