// Per-sample loss weights in fit, as Keras' sample_weight / class_weight: the loss of a batch is
// sum_i w_i * loss_i / batchSize (Keras' 'sum_over_batch_size': divided by the batch size, not by
// the sum of the weights). Every built-in loss is a mean over the batch of per-sample losses, so
// the weighted loss's gradient is each sample's row of the unweighted gradient times its weight: an
// op that passes predictions through and scales their gradient rows gives it exactly, and the
// weighted value is summed from the loss of each group of samples sharing a weight.
import { Tensor, tidy, noGrad, record, isGradEnabled } from '../tensor.js';
import { tensor } from '../creation.js';
import { mul } from '../ops/elementwise.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { takeRows } from '../data/batches.js';
import type { LossFn } from '../losses.js';
import type { Compiled } from './compile.js';
import type { Model } from './model.js';

/**
 * One weight per sample of x from fit's `classWeight` (a weight per class label, 1 for a label it
 * does not list) or `sampleWeight` (a tensor [N]); null when neither is given. ValueError for both
 * at once, a label the output cannot have, a weight that is negative or not finite, a wrong length.
 */
export function resolveSampleWeights(model: Model, c: Compiled, ys: Tensor[], n: number, classWeight: unknown, sampleWeight: unknown): Float32Array | null {
  const where = `${model.name}.fit`;
  if (classWeight !== undefined && sampleWeight !== undefined) throw new ValueError(`${where}: give classWeight or sampleWeight, not both`);
  if (sampleWeight !== undefined) return fromSampleWeight(where, sampleWeight, n);
  if (classWeight === undefined) return null;
  if (c.outputNames.length > 1) throw new ValueError(`${where}: classWeight is for a model with one output (this one has ${c.outputNames.length}); pass sampleWeight instead`);
  const units = model.outputShapes[0]?.at(-1) ?? 1;
  const classes = units > 1 ? units : 2;
  const table = classTable(where, classWeight, classes);
  const labels = labelsOf(ys[0]);
  return Float32Array.from(labels, (l) => table.get(l) ?? 1);
}

function fromSampleWeight(where: string, w: unknown, n: number): Float32Array {
  if (!(w instanceof Tensor)) throw new ValueError(`${where}: option 'sampleWeight' must be a Tensor [${n}] (one weight per sample), got ${describe(w)}`);
  w._checkLive(where, 'sampleWeight');
  const oneColumn = w.rank === 2 && w.shape[1] === 1;
  if ((w.rank !== 1 && !oneColumn) || w.shape[0] !== n) {
    throw new ShapeError(`${where}: option 'sampleWeight' must have shape [${n}] (one weight per sample of x), got ${fmtShape(w.shape)}`);
  }
  const values = Float32Array.from(w.view());
  const bad = values.findIndex((v) => !(v >= 0 && Number.isFinite(v)));
  if (bad >= 0) throw new ValueError(`${where}: option 'sampleWeight' must hold finite weights >= 0, got ${values[bad]} at index ${bad}`);
  return values;
}

function classTable(where: string, classWeight: unknown, classes: number): Map<number, number> {
  if (classWeight === null || typeof classWeight !== 'object' || Array.isArray(classWeight) || classWeight instanceof Tensor) {
    throw new ValueError(`${where}: option 'classWeight' must be an object { [label]: weight }, got ${describe(classWeight)}`);
  }
  const table = new Map<number, number>();
  for (const [key, weight] of Object.entries(classWeight)) {
    const label = Number(key);
    if (!/^\d+$/.test(key) || label >= classes) {
      throw new ValueError(`${where}: classWeight has label '${key}' but the output has ${classes} classes (labels 0 to ${classes - 1})`);
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new ValueError(`${where}: classWeight of label ${key} must be a finite number >= 0, got ${fmtValue(weight)}`);
    }
    table.set(label, weight);
  }
  return table;
}

/** Each sample's class as Keras reads it for class weights: the label, the rounded single target, or the argmax of a one-hot row. */
function labelsOf(y: Tensor): number[] {
  const v = y.view();
  const n = y.shape[0];
  const width = y.size / Math.max(1, n);
  if (width === 1) return Array.from(v, (x) => Math.round(x));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (v[i * width + j] > v[i * width + best]) best = j;
    out.push(best);
  }
  return out;
}

/** The weights of a batch: rows order[start .. start + count) (or start .. start + count in order). */
export function batchWeights(weights: Float32Array, order: Int32Array | null, start: number, count: number): Float32Array {
  return order ? Float32Array.from(order.subarray(start, start + count), (i) => weights[i]) : weights.subarray(start, start + count);
}

/** `loss(pred, y)` with the batch's samples weighted by `w`: sum_i w_i loss_i / batch size. */
export function weightedLoss(loss: LossFn, pred: Tensor, y: Tensor, w: Float32Array): Tensor {
  const unweighted = loss(scaleRowGradients(pred, w), y);
  if (!(unweighted instanceof Tensor) || unweighted.size !== 1) return unweighted; // the caller names what is wrong
  const value = weightedValue(loss, pred, y, w, unweighted);
  const out = Tensor.empty(unweighted.shape);
  out.view()[0] = value;
  // The value is the weighted one; the gradient is already weighted below the loss.
  return record('sampleWeightedLoss', out, [unweighted], (g) => [g]);
}

/** pred itself in value; the gradient reaching it is scaled row by row by w. */
function scaleRowGradients(pred: Tensor, w: Float32Array): Tensor {
  if (!isGradEnabled() || !pred.requiresGrad) return pred;
  const column = tensor(w, [w.length, ...pred.shape.slice(1).map(() => 1)]);
  // A view of pred's memory (as reshape makes): the value passes through without a copy.
  return record('sampleWeights', pred._viewAs(pred.shape), [pred], (g) => [mul(g, column)], [column]);
}

/** sum_i w_i loss_i / n, from the mean loss of each group of samples that share a weight. */
function weightedValue(loss: LossFn, pred: Tensor, y: Tensor, w: Float32Array, unweighted: Tensor): number {
  const n = w.length;
  const groups = new Map<number, number[]>();
  w.forEach((wi, i) => { if (wi !== 0) { const g = groups.get(wi); if (g) g.push(i); else groups.set(wi, [i]); } });
  let total = 0;
  for (const [wk, rows] of groups) {
    if (rows.length === n) return wk * unweighted.view()[0];
    const order = Int32Array.from(rows);
    const mean = tidy(() => noGrad(() => loss(takeRows(pred, order, 0, rows.length), takeRows(y, order, 0, rows.length)).view()[0]));
    total += wk * mean * rows.length;
  }
  return total / n;
}
