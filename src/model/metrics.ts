// Metrics computed next to the loss in each training and evaluation batch. Accuracy counts on the
// kernels: argmax against int32 / float labels or one-hot targets, or a threshold for one unit.
import { sameShape, type Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ShapeError, fmtShape } from '../errors.js';

/** Correct predictions in a batch: argmax vs labels / one-hot, or a threshold for one unit. */
export function countCorrect(pred: Tensor, y: Tensor, threshold: number): number {
  const k = kernels();
  const b = pred.shape[0];
  const classes = pred.rank >= 2 ? pred.shape[pred.rank - 1] : 1;
  if (pred.rank === 2 && classes > 1) {
    if (y.rank === 1 && y.size === b) {
      return y.dtype === 'int32' ? k.countArgmaxLabels(pred.ptr, y.ptr, b, classes) : k.countArgmaxFloatLabels(pred.ptr, y.ptr, b, classes);
    }
    if (sameShape(y.shape, pred.shape) && y.dtype === 'float32') return k.countArgmaxOneHot(pred.ptr, y.ptr, b, classes);
  } else if (pred.size === b && y.size === b) {
    if (y.dtype === 'float32') return k.countThreshold(pred.ptr, y.ptr, b, threshold);
    const p = pred.dataSync(), t = y.dataSync();
    let n = 0;
    for (let i = 0; i < b; i++) if ((p[i] > threshold) === (t[i] >= 0.5)) n++;
    return n;
  }
  throw new ShapeError(`accuracy: cannot compare predictions ${fmtShape(pred.shape)} with targets ${fmtShape(y.shape)} (${y.dtype}); use int32 labels [batch], one-hot targets of the output's shape, or a single output unit`);
}
