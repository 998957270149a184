// Chainable Tensor methods (x.add(y).relu().sum()): attached to Tensor.prototype, typed by
// declaration merging. Each method is the op of the same name with `this` as first argument.
// Imported for its side effect by src/index.ts.
import { Tensor, type TensorLike } from '../tensor.js';
import { add, sub, mul, div, neg, exp, log, sqrt, pow, abs, clip, maximum, minimum } from './elementwise.js';
import { relu, leakyRelu, elu, gelu, sigmoid, tanh, softmax, logSoftmax } from './activations.js';
import { relu6, hardSigmoid, hardSwish, silu, swish, softplus, erf } from './activations.js';
import { sum, mean, max, argMax } from './reduce.js';
import { reshape, flatten, transpose, concat, slice, pad, broadcastTo } from './shape.js';
import { dropout } from './normalization.js';
import { conv2d, conv2dTranspose, type Conv2dOptions, type Conv2dTransposeOptions } from './conv/index.js';
import { maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, type Pool2dOptions } from './pool.js';
import { matmul, type MatmulOptions } from './matmul.js';
import { resize, type ResizeOptions } from './resize/resize.js';

declare module '../tensor.js' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    pow(exponent: TensorLike): Tensor;
    abs(): Tensor;
    clip(min: number, max: number): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    relu(): Tensor;
    leakyRelu(alpha?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    sum(axis?: number | number[], keepDims?: boolean): Tensor;
    mean(axis?: number | number[], keepDims?: boolean): Tensor;
    max(axis?: number | number[], keepDims?: boolean): Tensor;
    argMax(axis?: number): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    concat(others: TensorLike | readonly TensorLike[], axis?: number): Tensor;
    slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor;
    pad(paddings: readonly (readonly [number, number])[], value?: number): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    dropout(rate: number, training?: boolean): Tensor;
    matmul(b: Tensor, options?: MatmulOptions): Tensor;
    conv2d(w: Tensor, b?: Tensor | null, options?: Conv2dOptions): Tensor;
    conv2dTranspose(w: Tensor, b?: Tensor | null, options?: Conv2dTransposeOptions): Tensor;
    maxPool2d(options?: Pool2dOptions): Tensor;
    avgPool2d(options?: Pool2dOptions): Tensor;
    globalAvgPool2d(): Tensor;
    globalMaxPool2d(): Tensor;
    resize(size: readonly number[], options?: ResizeOptions): Tensor;
    relu6(): Tensor;
    hardSigmoid(): Tensor;
    hardSwish(): Tensor;
    silu(): Tensor;
    swish(): Tensor;
    softplus(): Tensor;
    erf(): Tensor;
  }
}

const methods: { [K in keyof Tensor]?: (this: Tensor, ...args: any[]) => unknown } = {
  add(b: TensorLike) { return add(this, b); },
  sub(b: TensorLike) { return sub(this, b); },
  mul(b: TensorLike) { return mul(this, b); },
  div(b: TensorLike) { return div(this, b); },
  neg() { return neg(this); },
  exp() { return exp(this); },
  log() { return log(this); },
  sqrt() { return sqrt(this); },
  pow(e: TensorLike) { return pow(this, e); },
  abs() { return abs(this); },
  clip(lo: number, hi: number) { return clip(this, lo, hi); },
  maximum(b: TensorLike) { return maximum(this, b); },
  minimum(b: TensorLike) { return minimum(this, b); },
  relu() { return relu(this); },
  leakyRelu(alpha?: number) { return leakyRelu(this, alpha); },
  elu(alpha?: number) { return elu(this, alpha); },
  gelu() { return gelu(this); },
  sigmoid() { return sigmoid(this); },
  tanh() { return tanh(this); },
  softmax(axis?: number) { return softmax(this, axis); },
  logSoftmax(axis?: number) { return logSoftmax(this, axis); },
  sum(axis?: number | number[], keepDims?: boolean) { return sum(this, axis, keepDims); },
  mean(axis?: number | number[], keepDims?: boolean) { return mean(this, axis, keepDims); },
  max(axis?: number | number[], keepDims?: boolean) { return max(this, axis, keepDims); },
  argMax(axis?: number) { return argMax(this, axis); },
  reshape(shape: readonly number[]) { return reshape(this, shape); },
  flatten() { return flatten(this); },
  transpose(perm?: readonly number[]) { return transpose(this, perm); },
  concat(others: TensorLike | readonly TensorLike[], axis?: number) {
    return concat([this, ...(Array.isArray(others) ? others : [others as TensorLike])], axis);
  },
  slice(begin: number | readonly number[], size?: number | readonly number[]) { return slice(this, begin, size); },
  pad(paddings: readonly (readonly [number, number])[], value?: number) { return pad(this, paddings, value); },
  broadcastTo(shape: readonly number[]) { return broadcastTo(this, shape); },
  dropout(rate: number, training?: boolean) { return dropout(this, rate, training); },
  matmul(b: Tensor, options?: MatmulOptions) { return matmul(this, b, options); },
  conv2d(w: Tensor, b?: Tensor | null, options?: Conv2dOptions) { return conv2d(this, w, b, options); },
  conv2dTranspose(w: Tensor, b?: Tensor | null, options?: Conv2dTransposeOptions) { return conv2dTranspose(this, w, b, options); },
  maxPool2d(options?: Pool2dOptions) { return maxPool2d(this, options); },
  avgPool2d(options?: Pool2dOptions) { return avgPool2d(this, options); },
  globalAvgPool2d() { return globalAvgPool2d(this); },
  globalMaxPool2d() { return globalMaxPool2d(this); },
  resize(size: readonly number[], options?: ResizeOptions) { return resize(this, size, options); },
  relu6() { return relu6(this); },
  hardSigmoid() { return hardSigmoid(this); },
  hardSwish() { return hardSwish(this); },
  silu() { return silu(this); },
  swish() { return swish(this); },
  softplus() { return softplus(this); },
  erf() { return erf(this); },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}
