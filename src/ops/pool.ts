// Pooling ops over NHWC images: maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, each
// with its gradient recorded right below the forward. Kernels: assembly/pool/; size rules:
// src/geometry.ts.
import { Tensor, record } from '../tensor.js';
import { argBlock, heapI32, kernels } from '../backend/wasm.js';
import { parallel, splitOutput, type KernelFunction, type OutputPart } from '../backend/parallel.js';
import { PoolArgsLayout, writePoolArgs } from '../backend/kernels.generated.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { samePadding, windowOutputSize } from '../geometry.js';
import { asFloat, checkRank, pair, describe } from './util.js';

export interface Pool2dOptions {
  /** Window [h, w] (or one number for both); default 2 as Keras. */
  poolSize?: number | readonly [number, number];
  /** Default: poolSize. */
  strides?: number | readonly [number, number];
  /** 'valid' (default) or 'same' (TensorFlow: out = ceil(in / stride), extra pad at bottom/right). */
  padding?: 'valid' | 'same';
}

export interface PoolGeometry {
  batch: number; inH: number; inW: number; C: number; outH: number; outW: number;
  kH: number; kW: number; strideH: number; strideW: number;
  padTop: number; padBottom: number; padLeft: number; padRight: number;
}

/** Resolves pooling options against an NHWC input shape (pure; throws on misuse). */
export function pool2dGeometry(xShape: readonly number[], options: Pool2dOptions = {}, op = 'maxPool2d'): PoolGeometry {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${op}: options must be an object, got ${describe(options)}`);
  }
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be rank 4 (NHWC), got shape ${fmtShape(xShape)}`);
  const [kH, kW] = pair(options.poolSize, 2, op, 'poolSize');
  const [strideH, strideW] = pair(options.strides ?? options.poolSize, 2, op, 'strides');
  const padding = options.padding ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') {
    throw new ValueError(`${op}: padding must be 'valid' or 'same', got ${fmtValue(padding)}`);
  }
  const [batch, inH, inW, C] = xShape;
  const [padTop, padBottom] = padding === 'same' ? samePadding(inH, kH, strideH) : [0, 0];
  const [padLeft, padRight] = padding === 'same' ? samePadding(inW, kW, strideW) : [0, 0];
  if (inH + padTop + padBottom < kH || inW + padLeft + padRight < kW) {
    throw new ShapeError(`${op}: pool window ${kH}x${kW} is larger than the input ${inH}x${inW} (input ${fmtShape(xShape)}, padding '${padding}')`);
  }
  return {
    batch, inH, inW, C,
    outH: windowOutputSize(inH, kH, strideH, padTop, padBottom), outW: windowOutputSize(inW, kW, strideW, padLeft, padRight),
    kH, kW, strideH, strideW, padTop, padBottom, padLeft, padRight,
  };
}

/** Writes part t's PoolArgs block; returns its pointer. */
function poolArgs(g: PoolGeometry, p: OutputPart, t: number): number {
  const ptr = argBlock(t, PoolArgsLayout.bytes);
  writePoolArgs(heapI32(), ptr, {
    batch: p.n1 - p.n0, inH: g.inH, inW: g.inW, C: g.C, outH: p.oh1 - p.oh0, outW: g.outW, kH: g.kH, kW: g.kW,
    strideH: g.strideH, strideW: g.strideW, padTop: g.padTop - p.oh0 * g.strideH, padLeft: g.padLeft,
  });
  return ptr;
}

/**
 * Runs a window pooling kernel over the worker pool, split by output: images, or for one image
 * output rows (forward only: a backward part writes every row of its images' dx, and overlapping
 * windows add into rows shared with the next output row). `argsOf` builds a part's arguments from
 * its PoolArgs block and the byte offsets of its first input-shaped and output-shaped element.
 */
function runPool<A extends number[]>(kernel: KernelFunction<A>, g: PoolGeometry, forward: boolean,
                                     argsOf: (args: number, inOffset: number, outOffset: number) => [...A]): void {
  const parts = splitOutput(g.batch, g.outH, g.batch * g.outH * g.outW * g.C * g.kH * g.kW, forward);
  parallel(kernel, parts.map((p, t) =>
    argsOf(poolArgs(g, p, t), 4 * p.n0 * g.inH * g.inW * g.C, 4 * (p.n0 * g.outH + p.oh0) * g.outW * g.C)));
}

function prepare(x: Tensor, options: Pool2dOptions | undefined, op: string): [Tensor, PoolGeometry] {
  x = asFloat(x, op, 'x');
  checkRank(x, 4, op, 'input', 'NHWC');
  return [x, pool2dGeometry(x.shape, options ?? {}, op)];
}

/** Max over each window. Gradient: to the first position (row-major) holding the max. */
export function maxPool2d(x: Tensor, options?: Pool2dOptions): Tensor {
  const op = 'maxPool2d';
  let g: PoolGeometry;
  [x, g] = prepare(x, options, op);
  const y = Tensor.empty([g.batch, g.outH, g.outW, g.C]);
  if (y.size > 0) runPool(kernels().maxPoolForward, g, true, (args, xo, yo) => [args, x.ptr + xo, y.ptr + yo]);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    if (dx.size > 0) runPool(kernels().maxPoolBackward, g, false, (args, xo, yo) => [args, x.ptr + xo, y.ptr + yo, dy.ptr + yo, dx.ptr + xo]);
    return [dx];
  });
}

/** Mean over each window's positions inside the image (padding is not counted). */
export function avgPool2d(x: Tensor, options?: Pool2dOptions): Tensor {
  const op = 'avgPool2d';
  let g: PoolGeometry;
  [x, g] = prepare(x, options, op);
  const y = Tensor.empty([g.batch, g.outH, g.outW, g.C]);
  if (y.size > 0) runPool(kernels().avgPoolForward, g, true, (args, xo, yo) => [args, x.ptr + xo, y.ptr + yo]);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    if (dx.size > 0) runPool(kernels().avgPoolBackward, g, false, (args, xo, yo) => [args, dy.ptr + yo, dx.ptr + xo]);
    return [dx];
  });
}

/**
 * Runs a global pooling kernel over the worker pool, split by images. `argsOf` builds a part's
 * arguments from the byte offsets of its first image in the [N, HW, C] and [N, C] tensors and its
 * image count.
 */
function runGlobal<A extends number[]>(kernel: KernelFunction<A>, N: number, HW: number, C: number,
                                       argsOf: (inOffset: number, outOffset: number, images: number) => [...A]): void {
  if (N * C === 0) return;
  const parts = splitOutput(N, 1, N * HW * C, false);
  parallel(kernel, parts.map((p) => argsOf(4 * p.n0 * HW * C, 4 * p.n0 * C, p.n1 - p.n0)));
}

function prepareGlobal(x: Tensor, op: string): [Tensor, number, number, number] {
  x = asFloat(x, op, 'x');
  checkRank(x, 4, op, 'input', 'NHWC');
  const [N, H, W, C] = x.shape;
  if (H * W === 0 && N * C > 0) throw new ShapeError(`${op}: input ${fmtShape(x.shape)} has no pixels to pool`);
  return [x, N, H * W, C];
}

/** Mean over height and width: [N, H, W, C] -> [N, C]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  const op = 'globalAvgPool2d';
  let N: number, HW: number, C: number;
  [x, N, HW, C] = prepareGlobal(x, op);
  const y = Tensor.empty([N, C]);
  runGlobal(kernels().globalAvgPoolForward, N, HW, C, (xo, yo, n) => [x.ptr + xo, y.ptr + yo, n, HW, C]);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    runGlobal(kernels().globalAvgPoolBackward, N, HW, C, (xo, yo, n) => [dy.ptr + yo, dx.ptr + xo, n, HW, C]);
    return [dx];
  });
}

/** Max over height and width: [N, H, W, C] -> [N, C]. Gradient: to the first (row-major) max. */
export function globalMaxPool2d(x: Tensor): Tensor {
  const op = 'globalMaxPool2d';
  let N: number, HW: number, C: number;
  [x, N, HW, C] = prepareGlobal(x, op);
  const y = Tensor.empty([N, C]);
  runGlobal(kernels().globalMaxPoolForward, N, HW, C, (xo, yo, n) => [x.ptr + xo, y.ptr + yo, n, HW, C]);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    runGlobal(kernels().globalMaxPoolBackward, N, HW, C, (xo, yo, n) => [x.ptr + xo, y.ptr + yo, dy.ptr + yo, dx.ptr + xo, n, HW, C]);
    return [dx];
  });
}
