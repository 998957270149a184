// Checks on what a model is given: one sample's input shape, a batch x (which builds the model on
// first use), and integer class labels for a multi-class output.
import { sameShape, type Tensor } from '../tensor.js';
import { kernels, heapF32, heapI32 } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { fmtBatchShape } from '../nn/layer.js';
import type { Model } from './model.js';

/** A copy of `shape` when it is one sample's shape (positive integers, no batch axis). */
export function checkInputShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(`${where}: inputShape must be an array of positive integers (one sample, no batch axis), got ${fmtValue(shape)}`);
  }
  return shape.slice();
}

/** Builds the model from x on first use; ShapeError when x does not fit the built input shape. */
export function checkInput(model: Model, x: Tensor, what: string): void {
  x._checkLive(`${model.name}.${what}`, 'x');
  if (x.dtype !== 'float32') throw new ValueError(`${model.name}.${what}: x must be float32, got ${x.dtype} ${fmtShape(x.shape)}`);
  const sample = x.shape.slice(1);
  if (!model.built) { model.build(model.inputShape ?? sample); }
  if (!sameShape(sample, model.inputShape!)) {
    const first = model.layers[0];
    throw new ShapeError(`${model.name}.${what}: input ${fmtShape(x.shape)} is incompatible with ${first ? `layer '${first.name}' (${first.className})` : 'the model'}: expected shape ${fmtBatchShape(model.inputShape!)}, found ${fmtBatchShape(sample)}`);
  }
}

/** Integer labels must lie in [0, classes) for a multi-class output. */
export function checkLabels(model: Model, y: Tensor, what: string): void {
  const out = model.outputShape!;
  const classes = out[out.length - 1];
  if (y.rank !== 1 || out.length !== 1 || classes < 2) return;
  if (y.dtype === 'int32') {
    const i = kernels().firstLabelOutOfRange(y.ptr, y.size, classes);
    if (i >= 0) {
      throw new ValueError(`${model.name}.${what}: label ${heapI32()[(y.ptr >> 2) + i]} at index ${i} is out of range for ${classes} classes (labels must be integers in [0, ${classes - 1}])`);
    }
  } else {
    const v = heapF32();
    const base = y.ptr >> 2;
    for (let i = 0; i < y.size; i++) {
      const l = v[base + i];
      if (!(Number.isInteger(l) && l >= 0 && l < classes)) {
        throw new ValueError(`${model.name}.${what}: label ${l} at index ${i} is out of range for ${classes} classes (labels must be integers in [0, ${classes - 1}])`);
      }
    }
  }
}
