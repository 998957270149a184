// Checks on what a model is given: one sample's input shape, a batch x (which builds the model on
// first use) or, for a graph model, one batch per input, and integer class labels for a
// multi-class output.
import { Tensor, sameShape } from '../tensor.js';
import { kernels, heapF32, heapI32 } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { fmtBatchShape } from '../nn/layer.js';
import { checkXY, takeRows } from '../data/batches.js';
import type { Model } from './model.js';

/** What a model takes as x: a batch, or one batch per input of a graph model (in inputs order). */
export type ModelInput = Tensor | Tensor[];

/** A copy of `shape` when it is one sample's shape (positive integers, no batch axis). */
export function checkInputShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(`${where}: inputShape must be an array of positive integers (one sample, no batch axis), got ${fmtValue(shape)}`);
  }
  return shape.slice();
}

/** Builds the model from x on first use; ShapeError when x does not fit the built input shape. */
export function checkInput(model: Model, x: ModelInput, what: string): void {
  if (model.inputs.length > 0) { checkGraphInput(model, x, what); return; }
  if (!(x instanceof Tensor)) throw new ValueError(`${model.name}.${what}: x must be a Tensor, got ${describe(x)}`);
  x._checkLive(`${model.name}.${what}`, 'x');
  if (x.dtype !== 'float32') throw new ValueError(`${model.name}.${what}: x must be float32, got ${x.dtype} ${fmtShape(x.shape)}`);
  const sample = x.shape.slice(1);
  if (!model.built) { model.build(model.inputShape ?? sample); }
  if (!sameShape(sample, model.inputShape!)) {
    const first = model.layers[0];
    throw new ShapeError(`${model.name}.${what}: input ${fmtShape(x.shape)} is incompatible with ${first ? `layer '${first.name}' (${first.className})` : 'the model'}: expected shape ${fmtBatchShape(model.inputShape!)}, found ${fmtBatchShape(sample)}`);
  }
}

/** Integer labels must lie in [0, classes) for a multi-class output (`out`: its sample shape, default the first output's). */
export function checkLabels(model: Model, y: Tensor, what: string, out: number[] = model.outputShape!): void {
  const classes = out[out.length - 1];
  if (y.rank !== 1 || out.length !== 1 || classes < 2) return;
  if (y.dtype === 'int32') {
    const i = kernels().firstLabelOutOfRange(y.ptr, y.size, classes);
    if (i >= 0) {
      throw new ValueError(`${model.name}.${what}: label ${heapI32()[(y.ptr >>> 2) + i]} at index ${i} is out of range for ${classes} classes (labels must be integers in [0, ${classes - 1}])`);
    }
  } else {
    const v = heapF32();
    const base = y.ptr >>> 2;
    for (let i = 0; i < y.size; i++) {
      const l = v[base + i];
      if (!(Number.isInteger(l) && l >= 0 && l < classes)) {
        throw new ValueError(`${model.name}.${what}: label ${l} at index ${i} is out of range for ${classes} classes (labels must be integers in [0, ${classes - 1}])`);
      }
    }
  }
}

/**
 * x for a graph model as one batch per input: a Tensor for a single input, an array in inputs
 * order for several. ValueError for the wrong count, ShapeError naming the input layer.
 */
export function checkGraphInput(model: Model, x: unknown, what: string): Tensor[] {
  const inputs = model.inputs;
  const xs = Array.isArray(x) ? x : [x];
  if (xs.length !== inputs.length) {
    throw new ValueError(`${model.name}.${what}: the model has ${inputs.length} input${inputs.length === 1 ? '' : 's'} (${inputs.map((t) => `'${t.layer.name}'`).join(', ')}), got ${Array.isArray(x) ? `an array of ${xs.length} tensors` : 'one tensor'}`);
  }
  xs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`${model.name}.${what}: x${Array.isArray(x) ? `[${i}]` : ''} must be a Tensor, got ${describe(t)}`);
    t._checkLive(`${model.name}.${what}`, 'x');
    if (t.dtype !== 'float32') throw new ValueError(`${model.name}.${what}: x must be float32, got ${t.dtype} ${fmtShape(t.shape)}`);
    const want = inputs[i].sampleShape;
    if (t.rank < 1 || !sameShape(t.shape.slice(1), want)) {
      throw new ShapeError(`${model.name}.${what}: input ${fmtShape(t.shape)} is incompatible with input layer '${inputs[i].layer.name}': expected shape ${fmtBatchShape(want)}, found ${t.rank < 1 ? 'a scalar' : fmtBatchShape(t.shape.slice(1))}`);
    }
  });
  if (xs.some((t) => t.shape[0] !== xs[0].shape[0])) {
    throw new ShapeError(`${model.name}.${what}: the inputs hold different numbers of samples (${xs.map((t) => fmtShape(t.shape)).join(', ')})`);
  }
  return xs;
}

/** checkXY for one batch or, for a graph model with several inputs, each of an array. */
export function checkXs(where: string, model: Model, x: unknown, y: unknown, yOptional: boolean): void {
  if (Array.isArray(x) && model.inputs.length > 0) {
    if (x.length === 0) throw new ValueError(`${where}: x is an empty array`);
    for (const xi of x) checkXY(where, xi, y, yOptional);
  } else {
    checkXY(where, x, y, yOptional);
  }
}

/** The number of samples in x. */
export function sampleCount(x: ModelInput): number { return (Array.isArray(x) ? x[0] : x).shape[0]; }

/** Rows [start, start + count) (through `order` when given) of every batch of x. */
export function takeInputRows(x: ModelInput, order: Int32Array | null, start: number, count: number): ModelInput {
  return Array.isArray(x) ? x.map((t) => takeRows(t, order, start, count)) : takeRows(x, order, start, count);
}
