// conv2d (groups, dilation, depthwise) with its gradient recorded right below the forward, and the
// raw gradient functions conv2dBackpropInput / conv2dBackpropFilter. Kernel drivers: drivers.ts.
import { Tensor, record } from '../../tensor.js';
import { kernels } from '../../backend/wasm.js';
import { Activation } from '../../backend/kernels.generated.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../errors.js';
import { asFloat } from '../util.js';
import { conv2dGeometry, shapeOut, type Conv2dOptions, type ConvGeometry } from './geometry.js';
import { backpropFilterInto, backpropInputInto, forwardInto } from './drivers.js';
import { checkBias, checkOptions, convOperands } from './args.js';

export function activationCode(act: unknown, op: string): Activation {
  if (act === undefined || act === null || act === 'linear') return Activation.None;
  if (act === 'relu') return Activation.Relu;
  throw new ValueError(`${op}: activation must be 'relu', 'linear' or omitted, got ${fmtValue(act)} (apply other activations as a separate op)`);
}

/** Sum of dy [N,H,W,C] over N, H, W. */
export function biasGrad(dy: Tensor, C: number): Tensor {
  const db = Tensor.empty([C]);
  kernels().conv2dBiasGrad(dy.ptr, dy.size / C, C, db.ptr);
  return db;
}

/**
 * 2-D convolution, NHWC input, HWIO weights [kH, kW, inC/groups, outC], optional bias [outC].
 * `groups === inC` is depthwise (multiplier outC/inC). activation 'relu' is fused.
 */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, options?: Conv2dOptions): Tensor {
  const op = 'conv2d';
  let bb: unknown;
  ({ x, w, bias: bb, options } = convOperands(op, x, w, b, options, 'HWIO: [kernelH, kernelW, inChannels/groups, outChannels]'));
  const g = conv2dGeometry(x.shape, w.shape, options, op);
  const bias = bb == null ? null : checkBias(bb, g.outC, op, w.shape);
  const act = activationCode(options.activation, op);
  const y = Tensor.empty(shapeOut(g));
  forwardInto(g, x.ptr, w.ptr, bias ? bias.ptr : 0, y.ptr, act);
  return record(op, y, bias ? [x, w, bias] : [x, w], (dy) => {
    // The fused relu is differentiated from the output: y > 0 exactly where the sum was.
    let gz = dy;
    if (act === Activation.Relu) {
      gz = Tensor.empty(dy.shape);
      kernels().reluGradFromOutput(y.ptr, dy.ptr, gz.ptr, dy.size);
    }
    let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
    if (x.requiresGrad) { dx = Tensor.empty(x.shape); backpropInputInto(g, gz.ptr, w.ptr, dx.ptr); }
    if (w.requiresGrad) { dw = Tensor.empty(w.shape); backpropFilterInto(g, x.ptr, gz.ptr, dw.ptr); }
    if (bias?.requiresGrad) db = biasGrad(gz, g.outC);
    if (gz !== dy) gz.dispose();
    return bias ? [dx, dw, db] : [dx, dw];
  });
}

function checkShapeArg(shape: unknown, op: string, name: string): number[] {
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: ${name} must be 4 non-negative integers, got ${fmtValue(shape)}`);
  }
  return shape.slice();
}
function checkDy(dy: Tensor, g: ConvGeometry, op: string): void {
  const want = shapeOut(g);
  if (dy.rank !== 4 || !dy.shape.every((d, i) => d === want[i])) {
    throw new ShapeError(`${op}: dy must have the conv2d output shape ${fmtShape(want)}, got ${fmtShape(dy.shape)}`);
  }
}

/** Gradient of conv2d w.r.t. its input (not recorded for autograd). */
export function conv2dBackpropInput(inputShape: readonly number[], dy: Tensor, w: Tensor, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackpropInput';
  checkOptions(options, op);
  const xShape = checkShapeArg(inputShape, op, 'inputShape');
  dy = asFloat(dy, op, 'dy');
  w = asFloat(w, op, 'weights');
  const g = conv2dGeometry(xShape, w.shape, options, op);
  checkDy(dy, g, op);
  const dx = Tensor.empty(xShape);
  backpropInputInto(g, dy.ptr, w.ptr, dx.ptr);
  return dx;
}

/** Gradient of conv2d w.r.t. its HWIO weights (not recorded for autograd). */
export function conv2dBackpropFilter(x: Tensor, dy: Tensor, filterShape: readonly number[], options: Conv2dOptions = {}): Tensor {
  const op = 'conv2dBackpropFilter';
  checkOptions(options, op);
  const wShape = checkShapeArg(filterShape, op, 'filterShape');
  x = asFloat(x, op, 'x');
  dy = asFloat(dy, op, 'dy');
  const g = conv2dGeometry(x.shape, wShape, options, op);
  checkDy(dy, g, op);
  const dw = Tensor.empty(wShape);
  backpropFilterInto(g, x.ptr, dy.ptr, dw.ptr);
  return dw;
}
