// Inference batch norm of a channel-wise concatenation, with an optional relu, in one pass: what
// an imported graph's Concat -> BatchNormalization -> Relu chain (DenseNet's pre-activation
// layers) computes, without the concatenated copy or the Relu's own pass. No gradient: it serves
// the ONNX importer's inference steps, which run under noGrad.
import { Tensor } from '../tensor.js';
import { kernels, workspace, heapI32, WorkspaceSlot } from '../backend/wasm.js';
import { parallel } from '../backend/parallel.js';
import { rowRanges } from '../backend/elementwise.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { asFloat, describe } from './util.js';

export interface BatchNormParams {
  mean: Tensor;
  variance: Tensor;
  /** null: 1. */
  gamma: Tensor | null;
  /** null: 0. */
  beta: Tensor | null;
  epsilon: number;
}

/**
 * relu?(batchNorm(concat(xs, last axis), mean, variance, gamma, beta, epsilon)): the xs share every
 * dim but the last (channel) one, and the parameters hold one value per channel of the result.
 * Each element gets the operations of ops.batchNorm (then ops.relu), so the bits are theirs.
 */
export function batchNormConcat(xs: readonly Tensor[], p: BatchNormParams, relu: boolean): Tensor {
  const op = 'batchNormConcat';
  if (!Array.isArray(xs) || xs.length === 0) throw new ValueError(`${op}: expects a non-empty array of tensors, got ${describe(xs)}`);
  const ts = xs.map((x, i) => asFloat(x, op, `xs[${i}]`));
  const lead = ts[0].shape.slice(0, -1);
  if (ts[0].rank === 0 || ts.some((t) => t.rank !== ts[0].rank || t.shape.slice(0, -1).some((d, i) => d !== lead[i]))) {
    throw new ShapeError(`${op}: the inputs must share every dim but the last, got ${ts.map((t) => fmtShape(t.shape)).join(', ')}`);
  }
  const C = ts.reduce((n, t) => n + t.shape[t.rank - 1], 0);
  const params = [p.mean, p.variance, p.gamma, p.beta].map((t, i) => (t === null ? null : asFloat(t, op, ['mean', 'variance', 'gamma', 'beta'][i])));
  for (const t of params) {
    if (t && t.size !== C) throw new ShapeError(`${op}: parameters must hold one value per channel (${C}), got ${fmtShape(t.shape)}`);
  }
  if (!(p.epsilon >= 0) || !Number.isFinite(p.epsilon)) throw new ValueError(`${op}: epsilon must be a finite number >= 0, got ${describe(p.epsilon)}`);
  const [mean, variance, gamma, beta] = params;
  const rows = lead.reduce((a, b) => a * b, 1);
  const out = Tensor.empty([...lead, C]);
  if (out.size === 0) return out;
  const k = kernels();
  // The per-channel factor, then the (pointer, channels) table the kernel walks.
  const scale = workspace(4 * C, WorkspaceSlot.Work);
  k.batchNormScale(variance!.ptr, gamma ? gamma.ptr : 0, C, p.epsilon, scale);
  const sources = ts.filter((t) => t.size > 0);
  const table = workspace(8 * sources.length, WorkspaceSlot.Columns);
  const heap = heapI32();
  sources.forEach((t, j) => { heap[(table >>> 2) + 2 * j] = t.ptr; heap[(table >>> 2) + 2 * j + 1] = t.shape[t.rank - 1]; });
  parallel(k.batchNormConcatRows, rowRanges(rows, C).map(([r0, r1]) => [
    table, sources.length, r0, r1, mean!.ptr, scale, beta ? beta.ptr : 0, out.ptr, C, relu ? 1 : 0,
  ]));
  return out;
}
