// Convolution ops: conv2d (conv2d.ts), conv2dTranspose (transpose.ts), their option resolution
// (geometry.ts), kernel path choice (algorithm.ts) and kernel drivers (drivers.ts).
export { conv2d, conv2dBackpropInput, conv2dBackpropFilter } from './conv2d.js';
export { conv2dTranspose } from './transpose.js';
export {
  resolvePadding, conv2dGeometry, conv2dTransposeGeometry,
  type Padding2d, type Conv2dOptions, type Conv2dTransposeOptions, type ConvGeometry,
} from './geometry.js';
export { convTuning } from './algorithm.js';
export { PARALLEL_MIN_WORK, splitOutput, type OutputPart } from '../../backend/parallel.js';
