// The `ops` namespace: the ops of docs/API.md, each from its family's file (forward and gradient
// side by side there). Names are listed one by one so that nothing internal is exported by accident.
export { conv2d, conv2dBackpropInput, conv2dBackpropFilter, conv2dTranspose } from './conv/index.js';
export type { Padding2d, Conv2dOptions, Conv2dTransposeOptions } from './conv/index.js';
export { conv1d, type Padding1d, type Conv1dOptions } from './conv/index.js';
export { maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, type Pool2dOptions } from './pool.js';
export { add, sub, mul, div, pow, maximum, minimum, neg, exp, log, sqrt, abs, clip } from './elementwise.js';
export { relu, leakyRelu, elu, gelu, sigmoid, tanh, softmax, logSoftmax } from './activations.js';
export { relu6, hardSigmoid, hardSwish, silu, swish, softplus, erf } from './activations.js';
export { sum, mean, max, argMax } from './reduce.js';
export { reshape, flatten, transpose, concat, slice, pad, broadcastTo } from './shape.js';
export { batchNorm, dropout } from './normalization.js';
export { matmul, type MatmulOptions } from './matmul.js';
export { resize, type ResizeOptions } from './resize/resize.js';
export { layerNorm, groupNorm, type LayerNormOptions, type GroupNormOptions } from './norms.js';
