// BatchNormalization over the channel (last) axis, fused in wasm (assembly/batch-norm/): training
// normalises with the batch mean and biased variance and updates the moving statistics as Keras
// (running = running*momentum + batch*(1-momentum), the variance from the unbiased batch
// variance); inference uses the moving statistics.
import { Tensor, record } from '../tensor.js';
import { kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { getInitializer } from './initializers.js';
import { Layer, type LayerOptions, fmtBatchShape, checkKeys, optNumber } from './layer.js';

/** Scratch slot for the model kernels' f64 accumulators. */
export const MODEL_SCRATCH_SLOT = WorkspaceSlot.BatchNorm;

export interface BatchNormOptions extends LayerOptions {
  /** Moving-average momentum; default 0.99 (Keras). */
  momentum?: number;
  /** Added to the variance; default 1e-3 (Keras). */
  epsilon?: number;
  /** Only the last (channel) axis is supported: -1 or the rank-1 index. */
  axis?: number;
}

export class BatchNormalization extends Layer {
  readonly className: string = 'BatchNormalization';
  readonly baseName: string = 'batch_normalization';
  readonly momentum: number;
  readonly epsilon: number;
  gamma: Tensor | null = null;
  beta: Tensor | null = null;
  /** Running mean per channel (non-trainable). */
  movingMean: Tensor | null = null;
  /** Running variance per channel (non-trainable). */
  movingVariance: Tensor | null = null;
  private readonly axis: number;

  constructor(opts?: BatchNormOptions) {
    const L = 'batchNorm';
    super(opts, L);
    checkKeys(L, opts, ['momentum', 'epsilon', 'axis']);
    const o = (opts ?? {}) as Record<string, unknown>;
    this.momentum = optNumber(L, o, 'momentum', 0.99, 0, 1);
    this.epsilon = optNumber(L, o, 'epsilon', 1e-3, 0, Infinity, true);
    const axis = o.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new ValueError(`${L}: option 'axis' must be an integer (the channel axis, -1), got ${fmtValue(axis)}`);
    this.axis = axis;
  }

  computeOutputShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw new ShapeError(`${this.label}: expects input of rank >= 2 (batch, ..., channels), got ${fmtBatchShape(shape)}`);
    if (this.axis !== -1 && this.axis !== shape.length) {
      throw new ValueError(`${this.label}: only the last (channel) axis is supported, got axis ${this.axis} for input ${fmtBatchShape(shape)}`);
    }
    const c = shape[shape.length - 1];
    if (this.gamma && c !== this.gamma.size) {
      throw new ShapeError(`${this.label}: input has ${c} channels but the layer was built for ${this.gamma.size} (input ${fmtBatchShape(shape)})`);
    }
    return shape.slice();
  }

  protected override compatible(): boolean { return true; }

  protected override createWeights(shape: readonly number[]): void {
    const c = shape[shape.length - 1];
    const zeros = getInitializer('zeros', this.label);
    const ones = getInitializer('ones', this.label);
    this.gamma = this.addWeight('gamma', [c], ones);
    this.beta = this.addWeight('beta', [c], zeros);
    this.movingMean = this.addWeight('moving_mean', [c], zeros, false);
    this.movingVariance = this.addWeight('moving_variance', [c], ones, false);
  }

  protected call(x: Tensor, training: boolean): Tensor {
    const c = x.shape[x.rank - 1];
    const rows = x.size / c;
    const k = kernels();
    const gamma = this.gamma!, beta = this.beta!;
    if (!training) {
      return normalise(x, rows, c, this.movingMean!, this.movingVariance!, gamma, beta, this.epsilon, false);
    }
    if (rows <= 1) {
      throw new ValueError(`${this.label}: training needs more than one value per channel, got input ${fmtShape(x.shape)} (N*H*W = ${rows})`);
    }
    const mean = Tensor.empty([c]);
    const variance = Tensor.empty([c]);
    try {
      k.bnMoments(x.ptr, rows, c, mean.ptr, variance.ptr, workspace(c * 24, MODEL_SCRATCH_SLOT));
      const out = normalise(x, rows, c, mean, variance, gamma, beta, this.epsilon, true);
      k.bnUpdateMoving(this.movingMean!.ptr, this.movingVariance!.ptr, mean.ptr, variance.ptr, c, this.momentum, rows);
      return out;
    } finally {
      mean.dispose();
      variance.dispose();
    }
  }

  protected config(): Record<string, unknown> {
    return { momentum: this.momentum, epsilon: this.epsilon };
  }
}

/**
 * gamma * (x - mean) / sqrt(variance + eps) + beta, differentiable in x, gamma and beta. With
 * `batchStats` the mean and variance are functions of x (training); otherwise constants.
 */
function normalise(x: Tensor, rows: number, c: number, mean: Tensor, variance: Tensor, gamma: Tensor, beta: Tensor,
                   eps: number, batchStats: boolean): Tensor {
  const k = kernels();
  const out = Tensor.empty(x.shape);
  const invstd = Tensor.empty([c]);
  k.bnForward(x.ptr, rows, c, mean.ptr, variance.ptr, gamma.ptr, beta.ptr, eps, out.ptr, invstd.ptr);
  // The backward needs the mean used here; the batch mean is freed by the caller, so copy it.
  const savedMean = batchStats ? mean.detach() : mean;
  record('batchNorm', out, [x, gamma, beta], (g) => {
    const dx = Tensor.empty(x.shape);
    const dgamma = Tensor.empty([c]);
    const dbeta = Tensor.empty([c]);
    kernels().bnBackward(x.ptr, g.ptr, rows, c, savedMean.ptr, invstd.ptr, gamma.ptr, dx.ptr, dgamma.ptr, dbeta.ptr,
      batchStats ? 1 : 0, workspace(c * 24, MODEL_SCRATCH_SLOT));
    return [dx, dgamma, dbeta];
  }, batchStats ? [savedMean, invstd] : [invstd]);
  if (out._node === null) {
    // Nothing recorded (no grad needed): the saved statistics are not needed either.
    invstd.dispose();
    if (batchStats) savedMean.dispose();
  }
  return out;
}
