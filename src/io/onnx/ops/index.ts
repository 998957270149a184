// The op registry: one handler per ONNX op type (default domain). Adding an op is a handler in
// the file of its family and one entry here.
import type { OpHandler } from '../graph-context.js';
import { clip, elu, gelu, leakyRelu, logSoftmax, prelu, relu, sigmoid, softmax, tanh } from './activation.js';
import { erf, hardSigmoid, hardSwish, softplus } from './activation.js';
import { constant, constantOfShape } from './constants.js';
import { conv, convTranspose } from './conv.js';
import { add, div, max, min, mul, sub } from './elementwise.js';
import { gemm, matMul } from './gemm.js';
import { cast, dropout, identity } from './identity.js';
import { batchNormalization } from './normalization.js';
import { globalPool, pool } from './pool.js';
import { concat, flatten, gather, pad, reshape, shape, slice, squeezeOrUnsqueeze, transpose } from './shape.js';
import { resize } from './resize.js';
import { layerNormalization, pow, sqrt } from './norms.js';
import { reduceMax, reduceMean, reduceMin, reduceSum } from './reduce.js';
import { instanceNormalization } from './normalization.js';

export const OP_HANDLERS: Readonly<Record<string, OpHandler>> = {
  Add: add,
  AveragePool: pool,
  BatchNormalization: batchNormalization,
  Cast: cast,
  Clip: clip,
  Concat: concat,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Conv: conv,
  ConvTranspose: convTranspose,
  Div: div,
  Dropout: dropout,
  Elu: elu,
  Flatten: flatten,
  Gather: gather,
  Gelu: gelu,
  Gemm: gemm,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  Identity: identity,
  LeakyRelu: leakyRelu,
  LogSoftmax: logSoftmax,
  MatMul: matMul,
  MaxPool: pool,
  Mul: mul,
  Pad: pad,
  PRelu: prelu,
  Relu: relu,
  Reshape: reshape,
  Shape: shape,
  Sigmoid: sigmoid,
  Softmax: softmax,
  Slice: slice,
  Squeeze: squeezeOrUnsqueeze,
  Sub: sub,
  Tanh: tanh,
  Transpose: transpose,
  Unsqueeze: squeezeOrUnsqueeze,
  Resize: resize,
  Upsample: resize,
  Max: max,
  Min: min,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Softplus: softplus,
  Erf: erf,
  LayerNormalization: layerNormalization,
  ReduceMean: reduceMean,
  Sqrt: sqrt,
  Pow: pow,
  ReduceSum: reduceSum,
  ReduceMax: reduceMax,
  ReduceMin: reduceMin,
  InstanceNormalization: instanceNormalization,
};

/** Op types loadOnnx runs (default ONNX domain), in the order error messages list them. */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(OP_HANDLERS);

/** The handler of `opType`, if the importer supports it. */
export function opHandler(opType: string): OpHandler | undefined {
  return Object.hasOwn(OP_HANDLERS, opType) ? OP_HANDLERS[opType] : undefined;
}
