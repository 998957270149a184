// Metrics computed next to the loss in each training and evaluation batch, counted on the kernels
// (assembly/metrics.ts): accuracy (argmax against int32 / float labels or one-hot targets, or a
// threshold for one unit), top-k hits and confusion matrices.
import { sameShape, type Tensor } from '../tensor.js';
import { zeros } from '../creation.js';
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

/** How a kernel reads the targets of class scores pred [b, c]: 0 int32 labels, 1 float labels, 2 one-hot / soft targets; -1 for anything else. */
function labelKind(pred: Tensor, y: Tensor): number {
  const b = pred.shape[0];
  if (y.rank === 1 && y.size === b) return y.dtype === 'int32' ? 0 : 1;
  if (sameShape(y.shape, pred.shape) && y.dtype === 'float32') return 2;
  return -1;
}

const isClassScores = (pred: Tensor) => pred.rank === 2 && pred.shape[1] > 1;
const isSingleUnit = (pred: Tensor, y: Tensor) => pred.size === pred.shape[0] && y.size === pred.shape[0];

function targetsError(metric: string, pred: Tensor, y: Tensor, what: string): ShapeError {
  return new ShapeError(`${metric}: cannot compare predictions ${fmtShape(pred.shape)} with targets ${fmtShape(y.shape)} (${y.dtype}); ${what}`);
}

/** Rows whose true class is among the k highest scores of pred [b, c] (ties at the boundary count, as tf.math.in_top_k). */
export function countTopK(pred: Tensor, y: Tensor, k: number): number {
  const kind = isClassScores(pred) ? labelKind(pred, y) : -1;
  if (kind < 0) throw targetsError(`topK:${k}`, pred, y, 'it needs class scores [batch, classes] with int32 labels [batch] or one-hot targets of the same shape');
  return kernels().countTopK(pred.ptr, y.ptr, kind, pred.shape[0], pred.shape[1], k);
}

/**
 * Adds a batch to the int32 confusion matrix at `cm` (rows true class, columns predicted): argmax
 * for class scores, `pred > threshold` against `y >= 0.5` for one output unit (a 2x2 matrix).
 * Returns the matrix's number of classes.
 */
export function accumulateConfusion(pred: Tensor, y: Tensor, threshold: number, cm: number, metric: string): number {
  if (isClassScores(pred)) {
    const kind = labelKind(pred, y);
    if (kind < 0) throw targetsError(metric, pred, y, 'use int32 labels [batch] or one-hot targets of the output\'s shape');
    kernels().confusionAccumulate(pred.ptr, y.ptr, kind, pred.shape[0], pred.shape[1], cm);
    return pred.shape[1];
  }
  if (!isSingleUnit(pred, y)) throw targetsError(metric, pred, y, 'use class scores [batch, classes] or a single output unit');
  kernels().confusionAccumulateBinary(pred.ptr, y.ptr, y.dtype === 'int32' ? 1 : 0, pred.shape[0], threshold, cm);
  return 2;
}

/** Classes of the confusion matrix of an output: its units, or 2 for one unit. */
export function confusionClasses(pred: Tensor): number {
  return isClassScores(pred) ? pred.shape[1] : 2;
}

/** One batch's confusion matrix (inside a tidy: the kernel's buffer is a temporary tensor). */
export function confusionOf(pred: Tensor, y: Tensor, threshold: number, metric: string): { matrix: Int32Array; binary: boolean } {
  const c = confusionClasses(pred);
  const cm = zeros([c, c], 'int32');
  accumulateConfusion(pred, y, threshold, cm.ptr, metric);
  const matrix = cm.dataSync() as Int32Array;
  cm.dispose();
  return { matrix, binary: !isClassScores(pred) };
}
