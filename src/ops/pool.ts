// Pooling ops over NHWC images: maxPool2d, avgPool2d, globalAvgPool2d, globalMaxPool2d, each
// with its gradient recorded right below the forward. Kernels: assembly/pool/.
import { Tensor, record } from '../tensor.js';
import { int32Args, parallel } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { asFloat, checkRank, pair, describe } from './util.js';
import { resolvePadding, splitOutput } from './conv.js';

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
  const [padTop, padBottom, padLeft, padRight] = resolvePadding(padding, inH, inW, kH, kW, strideH, strideW, op);
  const padH = inH + padTop + padBottom, padW = inW + padLeft + padRight;
  if (padH < kH || padW < kW) {
    throw new ShapeError(`${op}: pool window ${kH}x${kW} is larger than the input ${inH}x${inW} (input ${fmtShape(xShape)}, padding '${padding}')`);
  }
  return {
    batch, inH, inW, C,
    outH: Math.floor((padH - kH) / strideH) + 1, outW: Math.floor((padW - kW) / strideW) + 1,
    kH, kW, strideH, strideW, padTop, padBottom, padLeft, padRight,
  };
}

/**
 * Runs a pooling kernel (args, a, b[, c, d]) over the worker pool, split by output: images, or for
 * one image output rows (forward only: a backward part writes every row of its images' dx,
 * overlapping windows add into rows shared with the next output row).
 * `ins`/`outs` are pointers into input-shaped / output-shaped tensors, moved to each part's start.
 */
function runPool(name: string, g: PoolGeometry, ins: number[], outs: number[], forward: boolean, order: ('i' | 'o')[]): void {
  const parts = splitOutput(g.batch, g.outH, g.batch * g.outH * g.outW * g.C * g.kH * g.kW, forward);
  parallel(name, parts.map((p, t) => {
    const args = int32Args([p.n1 - p.n0, g.inH, g.inW, g.C, p.oh1 - p.oh0, g.outW, g.kH, g.kW,
      g.strideH, g.strideW, g.padTop - p.oh0 * g.strideH, g.padLeft], 12 * t);
    const xo = 4 * p.n0 * g.inH * g.inW * g.C, yo = 4 * (p.n0 * g.outH + p.oh0) * g.outW * g.C;
    let i = 0, o = 0;
    return [args, ...order.map((k) => (k === 'i' ? ins[i++] + xo : outs[o++] + yo))];
  }));
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
  if (y.size > 0) runPool('maxPoolForward', g, [x.ptr], [y.ptr], true, ['i', 'o']);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    if (dx.size > 0) runPool('maxPoolBackward', g, [x.ptr, dx.ptr], [y.ptr, dy.ptr], false, ['i', 'o', 'o', 'i']);
    return [dx];
  });
}

/** Mean over each window's positions inside the image (padding is not counted). */
export function avgPool2d(x: Tensor, options?: Pool2dOptions): Tensor {
  const op = 'avgPool2d';
  let g: PoolGeometry;
  [x, g] = prepare(x, options, op);
  const y = Tensor.empty([g.batch, g.outH, g.outW, g.C]);
  if (y.size > 0) runPool('avgPoolForward', g, [x.ptr], [y.ptr], true, ['i', 'o']);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    if (dx.size > 0) runPool('avgPoolBackward', g, [dx.ptr], [dy.ptr], false, ['o', 'i']);
    return [dx];
  });
}

/**
 * Runs a global pooling kernel (pointers..., N, HW, C) over the worker pool, split by images.
 * `ins`/`outs` point into [N, HW, C] / [N, C] tensors, moved to each part's first image.
 */
function runGlobal(name: string, N: number, HW: number, C: number, ins: number[], outs: number[], order: ('i' | 'o')[]): void {
  if (N * C === 0) return;
  const parts = splitOutput(N, 1, N * HW * C, false);
  parallel(name, parts.map((p) => {
    let i = 0, o = 0;
    const ptrs = order.map((k) => (k === 'i' ? ins[i++] + 4 * p.n0 * HW * C : outs[o++] + 4 * p.n0 * C));
    return [...ptrs, p.n1 - p.n0, HW, C];
  }));
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
  runGlobal('globalAvgPoolForward', N, HW, C, [x.ptr], [y.ptr], ['i', 'o']);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    runGlobal('globalAvgPoolBackward', N, HW, C, [dx.ptr], [dy.ptr], ['o', 'i']);
    return [dx];
  });
}

/** Max over height and width: [N, H, W, C] -> [N, C]. Gradient: to the first (row-major) max. */
export function globalMaxPool2d(x: Tensor): Tensor {
  const op = 'globalMaxPool2d';
  let N: number, HW: number, C: number;
  [x, N, HW, C] = prepareGlobal(x, op);
  const y = Tensor.empty([N, C]);
  runGlobal('globalMaxPoolForward', N, HW, C, [x.ptr], [y.ptr], ['i', 'o']);
  return record(op, y, [x], (dy) => {
    const dx = Tensor.empty(x.shape);
    runGlobal('globalMaxPoolBackward', N, HW, C, [x.ptr, dx.ptr], [y.ptr, dy.ptr], ['i', 'o', 'o', 'i']);
    return [dx];
  });
}
