// Convolution ops: conv2d and its two backprop functions (conv2d.ts), conv2dTranspose
// (transpose.ts), option resolution (geometry.ts), kernel path choice (algorithm.ts), per-thread
// parts (parts.ts) and kernel drivers (drivers.ts).
export { conv2d, conv2dBackpropInput, conv2dBackpropFilter } from './conv2d.js';
export { conv2dTranspose } from './transpose.js';
export type { Padding2d, Conv2dOptions, Conv2dTransposeOptions } from './geometry.js';
export { conv1d } from './conv1d.js';
export type { Padding1d, Conv1dOptions } from './conv1d.js';
