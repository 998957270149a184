// Layer normalization and group normalization, forward and gradient side by side. Statistics are
// each normalised set's own (biased variance, as PyTorch), so the gradient of x runs through them.
// Kernels: assembly/norm/ (f64 statistics; the mean kept as hi + lo so large offsets stay exact).
import { Tensor, record, type TensorLike } from '../tensor.js';
import { kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue, rejectUnknownOptions } from '../errors.js';
import { asFloat, normAxis, describe } from './util.js';

export interface LayerNormOptions {
  /**
   * The normalised axes: -1 (the last axis, the default), or an array of the trailing axes
   * (e.g. [-3, -2, -1] for H, W and C of an NHWC image, PyTorch's LayerNorm([C, H, W])).
   */
  axis?: number | readonly number[];
  /** Added to the variance; default 1e-5 (PyTorch). */
  epsilon?: number;
}

export interface GroupNormOptions {
  /** Added to the variance; default 1e-5 (PyTorch). */
  epsilon?: number;
}

/** Float32 values per normalised set in the saved statistics (mean as hi + lo, and rstd). */
const STAT_STRIDE = 3;

function readOptions(op: string, opts: unknown, keys: string[]): Record<string, unknown> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new ValueError(`${op}: options must be an object, got ${describe(opts)}`);
  rejectUnknownOptions(op, opts, keys);
  return opts as Record<string, unknown>;
}

function readEpsilon(op: string, o: Record<string, unknown>): number {
  const eps = o.epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new ValueError(`${op}: epsilon must be a finite number >= 0, got ${fmtValue(eps)}`);
  }
  return eps;
}

/** The first normalised axis: `axis` must name the last axis or the trailing axes (in any order). */
export function layerNormStart(axis: unknown, rank: number, op: string): number {
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => typeof a === 'number')) {
    throw new ValueError(`${op}: axis must be an integer or a non-empty array of integers, got ${fmtValue(axis)}`);
  }
  const axes = [...new Set(list.map((a) => normAxis(a, rank, op)))].sort((a, b) => a - b);
  const start = rank - axes.length;
  if (axes.length !== list.length || axes.some((a, i) => a !== start + i)) {
    throw new ValueError(`${op}: axis ${fmtValue(axis)} must be the last axis or the trailing axes (e.g. -1 or [-2, -1]) of an input of rank ${rank}`);
  }
  return start;
}

const withoutLeadingOnes = (s: readonly number[]): number[] => s.slice(Math.max(0, s.findIndex((d) => d !== 1)));

/** gamma / beta: null, or the normalised dims (leading 1s allowed). */
function affineParam(v: TensorLike | null | undefined, name: string, dims: readonly number[], x: Tensor, op: string): Tensor | null {
  if (v === undefined || v === null) return null;
  const t = asFloat(v, op, name);
  const size = dims.reduce((a, b) => a * b, 1);
  if (t.size !== size || fmtShape(withoutLeadingOnes(t.shape)) !== fmtShape(withoutLeadingOnes(dims))) {
    throw new ShapeError(`${op}: ${name} ${fmtShape(t.shape)} must have the shape ${fmtShape(dims)} of the normalised axes (x ${fmtShape(x.shape)})`);
  }
  return t;
}

/**
 * Runs a normalisation: `forward(stats, out)` fills the output, `backward(stats, g, dx, dgamma,
 * dbeta)` the wanted gradients (pointer 0 for the others). The statistics are saved for the
 * backward only when a gradient is recorded.
 */
function normalise(op: string, t: Tensor, gamma: Tensor | null, beta: Tensor | null, sets: number,
                   forward: (stats: number, out: Tensor) => void,
                   backward: (stats: number, g: Tensor, dx: number, dgamma: number, dbeta: number) => void): Tensor {
  const out = Tensor.empty(t.shape);
  const stats = Tensor.empty([sets * STAT_STRIDE]);
  if (out.size) forward(stats.ptr, out);
  const inputs = [t, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const res = record(op, out, inputs, (g) => {
    const grad = (u: Tensor | null) => (u && u.requiresGrad ? Tensor.empty(u.shape) : null);
    const dx = grad(t), dgamma = grad(gamma), dbeta = grad(beta);
    if (t.size) backward(stats.ptr, g, dx?.ptr ?? 0, dgamma?.ptr ?? 0, dbeta?.ptr ?? 0);
    else for (const d of [dgamma, dbeta]) d?.view().fill(0);
    return [dx, ...(gamma ? [dgamma] : []), ...(beta ? [dbeta] : [])];
  }, [stats]);
  if (!res._node) stats.dispose();
  return res;
}

/**
 * Layer normalization: (x - mean) / sqrt(var + epsilon) * gamma + beta, with the mean and biased
 * variance of each sample over the normalised axes (the last one by default; see
 * LayerNormOptions.axis). gamma / beta have the normalised axes' shape, or are null (1 / 0).
 * Differentiable in x, gamma and beta.
 */
export function layerNorm(x: TensorLike, gamma?: TensorLike | null, beta?: TensorLike | null, opts?: LayerNormOptions): Tensor {
  const op = 'layerNorm';
  const t = asFloat(x, op);
  const o = readOptions(op, opts, ['axis', 'epsilon']);
  if (t.rank === 0) throw new ShapeError(`${op}: x must have at least one axis, got a scalar`);
  const start = layerNormStart(o.axis ?? -1, t.rank, op);
  const eps = readEpsilon(op, o);
  const dims = t.shape.slice(start);
  const gm = affineParam(gamma, 'gamma', dims, t, op);
  const bt = affineParam(beta, 'beta', dims, t, op);
  const cols = dims.reduce((a, b) => a * b, 1);
  const rows = cols === 0 ? 0 : t.size / cols;
  const gp = gm ? gm.ptr : 0, bp = bt ? bt.ptr : 0;
  return normalise(op, t, gm, bt, rows, (stats, out) => {
    const k = kernels();
    k.layerNormMoments(t.ptr, rows, cols, eps, stats);
    k.layerNormForward(t.ptr, rows, cols, stats, gp, bp, out.ptr);
  }, (stats, g, dx, dgamma, dbeta) => {
    kernels().layerNormBackward(t.ptr, g.ptr, rows, cols, stats, gp, dx, dgamma, dbeta, workspace(16 * cols, WorkspaceSlot.Work));
  });
}

/**
 * Group normalization (PyTorch GroupNorm) on channel-last x [batch, ..., channels] (NHWC images):
 * the channels are split into `groups` consecutive groups, and each sample's group is normalised
 * with the mean and biased variance over its spatial positions and channels; then the per-channel
 * gamma and beta ([C], or null for 1 / 0). groups = 1 normalises each sample over everything
 * (LayerNorm over H, W, C); groups = C is instance normalization. Differentiable in x, gamma, beta.
 */
export function groupNorm(x: TensorLike, groups: number, gamma?: TensorLike | null, beta?: TensorLike | null, opts?: GroupNormOptions): Tensor {
  const op = 'groupNorm';
  const t = asFloat(x, op);
  const o = readOptions(op, opts, ['epsilon']);
  if (t.rank < 2) throw new ShapeError(`${op}: x must be [batch, ..., channels] (rank >= 2), got shape ${fmtShape(t.shape)}`);
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1) {
    throw new ValueError(`${op}: groups must be a positive integer, got ${fmtValue(groups)}`);
  }
  const C = t.shape[t.rank - 1];
  if (C % groups !== 0) {
    throw new ShapeError(`${op}: ${C} channels are not divisible into ${groups} groups (x ${fmtShape(t.shape)})`);
  }
  const eps = readEpsilon(op, o);
  const gm = affineParam(gamma, 'gamma', [C], t, op);
  const bt = affineParam(beta, 'beta', [C], t, op);
  const n = t.shape[0];
  const spatial = t.shape.slice(1, -1).reduce((a, b) => a * b, 1);
  const gp = gm ? gm.ptr : 0, bp = bt ? bt.ptr : 0;
  return normalise(op, t, gm, bt, n * groups, (stats, out) => {
    const k = kernels();
    k.groupNormMoments(t.ptr, n, spatial, C, groups, eps, stats, workspace(24 * C, WorkspaceSlot.Work));
    k.groupNormForward(t.ptr, n, spatial, C, groups, stats, gp, bp, out.ptr, workspace(12 * C, WorkspaceSlot.Work));
  }, (stats, g, dx, dgamma, dbeta) => {
    kernels().groupNormBackward(t.ptr, g.ptr, n, spatial, C, groups, stats, gp, dx, dgamma, dbeta, workspace(52 * C, WorkspaceSlot.Work));
  });
}
