// Argument checks shared by conv2d and conv2dTranspose: operands, the options object, the bias
// and where it may be left out.
import { Tensor } from '../../tensor.js';
import { ShapeError, ValueError, fmtShape } from '../../errors.js';
import { asFloat, checkRank, describe } from '../util.js';

export function checkBias(b: unknown, outC: number, op: string, wShape: readonly number[]): Tensor {
  const t = asFloat(b, op, 'bias');
  if (t.rank !== 1 || t.shape[0] !== outC) {
    throw new ShapeError(`${op}: bias must have shape [${outC}] (one value per output channel of weights ${fmtShape(wShape)}), got ${fmtShape(t.shape)}`);
  }
  return t;
}

/** Lets `conv2d(x, w, { strides: 2 })` pass options where the bias goes. */
function splitBias<O>(b: unknown, options: O | undefined): [unknown, O] {
  if (b !== undefined && b !== null && !(b instanceof Tensor) && typeof b === 'object' && !Array.isArray(b) && options === undefined) {
    return [null, b as O];
  }
  return [b, (options ?? {}) as O];
}

/**
 * The checked operands of conv2d / conv2dTranspose / conv1d: float x and weights of rank `rank`
 * (4 for images), the options (an object; passed where the bias goes, they move to `options`)
 * and the bias still unchecked.
 */
export function convOperands<O>(op: string, x: Tensor, w: Tensor, b: unknown, options: O | undefined,
                                weightsLayout: string, rank = 4, inputLayout = 'NHWC'): { x: Tensor; w: Tensor; bias: unknown; options: O } {
  const [bias, opts] = splitBias(b, options);
  checkOptions(opts, op);
  x = asFloat(x, op, 'x');
  w = asFloat(w, op, 'weights');
  checkRank(x, rank, op, 'input', inputLayout);
  checkRank(w, rank, op, 'weights', weightsLayout);
  return { x, w, bias, options: opts };
}

export function checkOptions(options: unknown, op: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${op}: options must be an object, got ${describe(options)}`);
  }
}
