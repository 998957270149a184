// conv2dTranspose, with its gradient recorded right below the forward: it runs conv2d's drivers
// with the roles of input and output swapped.
import { Tensor, record } from '../../tensor.js';
import { kernels } from '../../backend/wasm.js';
import { Activation } from '../../backend/kernels.generated.js';
import { conv2dTransposeGeometry, shapeIn, type Conv2dTransposeOptions } from './geometry.js';
import { backpropFilterInto, backpropInputInto, forwardInto } from './drivers.js';
import { checkBias, convOperands } from './args.js';
import { biasGrad } from './conv2d.js';

/**
 * Transposed convolution: the gradient of conv2d w.r.t. its input, as a layer. Weights are
 * [kH, kW, outC, inC] as TensorFlow (the same bytes as the HWIO weights of that conv2d).
 */
export function conv2dTranspose(x: Tensor, w: Tensor, b?: Tensor | null, options?: Conv2dTransposeOptions): Tensor {
  const op = 'conv2dTranspose';
  let bb: unknown;
  ({ x, w, bias: bb, options } = convOperands(op, x, w, b, options, '[kernelH, kernelW, outChannels, inChannels]'));
  const g = conv2dTransposeGeometry(x.shape, w.shape, options, op);
  const bias = bb == null ? null : checkBias(bb, g.inC, op, w.shape);
  const y = Tensor.empty(shapeIn(g));
  backpropInputInto(g, x.ptr, w.ptr, y.ptr);
  if (bias) kernels().addChannelBias(y.ptr, y.size / g.inC, g.inC, bias.ptr);
  return record(op, y, bias ? [x, w, bias] : [x, w], (dy) => {
    let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
    // Its input gradient is the forward convolution of dy; its filter gradient is conv2d's
    // filter gradient with the roles of input (dy) and output gradient (x) swapped.
    if (x.requiresGrad) { dx = Tensor.empty(x.shape); forwardInto(g, dy.ptr, w.ptr, 0, dx.ptr, Activation.None); }
    if (w.requiresGrad) { dw = Tensor.empty(w.shape); backpropFilterInto(g, dy.ptr, x.ptr, dw.ptr); }
    if (bias?.requiresGrad) db = biasGrad(dy, g.inC);
    return bias ? [dx, dw, db] : [dx, dw];
  });
}
