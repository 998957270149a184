// Convolution ops: conv2d (groups, dilation, depthwise) and conv2dTranspose, each with its
// gradient recorded right below the forward, plus the raw gradient functions and the pure
// shape/padding resolution they all share. Kernels: assembly/conv/.
import { Tensor, record, sizeOf } from '../tensor.js';
import { kernels, workspace, int32Args, threadCount, parallel, align16 } from '../backend/wasm.js';
import { gemm as hostGemm } from '../backend/gemm.js';
import { splitRows } from '../backend/threads.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { asFloat, checkRank, pair, describe } from './util.js';

/** 'valid' | 'same' (TensorFlow) | p | [padH, padW] | [[top, bottom], [left, right]]. */
export type Padding2d =
  | 'valid' | 'same' | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];

export interface Conv2dOptions {
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  dilation?: number | readonly [number, number];
  groups?: number;
  /** Fused into the kernel's epilogue. */
  activation?: 'relu' | 'linear' | null;
}

export interface Conv2dTransposeOptions {
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  /** Extra rows/columns at the bottom/right of the output (each < stride or < dilation). */
  outputPadding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
}

/**
 * Everything a conv2d kernel needs, after resolving the options. For conv2dTranspose this is the
 * geometry of the forward convolution it is the adjoint of (its input is the transpose's output).
 */
export interface ConvGeometry {
  batch: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kH: number; kW: number;
  strideH: number; strideW: number; dilH: number; dilW: number;
  padTop: number; padBottom: number; padLeft: number; padRight: number;
  groups: number;
}

/**
 * Resolves `padding` for one convolution to [top, bottom, left, right] (pure). `kH`/`kW` are the
 * dilated kernel extents. 'same' follows TensorFlow: out = ceil(in / stride), and the odd pixel
 * of padding goes to the bottom/right.
 */
export function resolvePadding(padding: Padding2d, inH: number, inW: number, kH: number, kW: number,
                               strideH: number, strideW: number, op = 'conv2d'): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const totalH = Math.max((Math.ceil(inH / strideH) - 1) * strideH + kH - inH, 0);
    const totalW = Math.max((Math.ceil(inW / strideW) - 1) * strideW + kW - inW, 0);
    const t = Math.floor(totalH / 2), l = Math.floor(totalW / 2);
    return [t, totalH - t, l, totalW - l];
  }
  const bad = (): never => {
    throw new ValueError(`${op}: padding must be 'valid', 'same', a non-negative integer, [padH, padW] or [[top, bottom], [left, right]], got ${fmtValue(padding)}`);
  };
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (typeof padding === 'number') return ok(padding) ? [padding, padding, padding, padding] : bad();
  if (!Array.isArray(padding) || padding.length !== 2) return bad();
  const [ph, pw] = padding as readonly unknown[];
  if (Array.isArray(ph) || Array.isArray(pw)) {
    if (!Array.isArray(ph) || !Array.isArray(pw) || ph.length !== 2 || pw.length !== 2 || ![...ph, ...pw].every(ok)) return bad();
    return [ph[0], ph[1], pw[0], pw[1]];
  }
  return ok(ph) && ok(pw) ? [ph, ph, pw, pw] : bad();
}

function checkGroups(groups: unknown, op: string): number {
  if (groups === undefined) return 1;
  if (!Number.isInteger(groups) || (groups as number) < 1) {
    throw new ValueError(`${op}: groups must be a positive integer, got ${describe(groups)}`);
  }
  return groups as number;
}

/** Resolves conv2d's options against the input [N,H,W,C] and HWIO weight shapes (pure; throws on misuse). */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[],
                               options: Conv2dOptions = {}, op = 'conv2d'): ConvGeometry {
  const shapes = `(input ${fmtShape(xShape)}, weights ${fmtShape(wShape)})`;
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be rank 4 (NHWC), got shape ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weights must be rank 4 (HWIO: [kernelH, kernelW, inChannels/groups, outChannels]), got shape ${fmtShape(wShape)}`);
  const [strideH, strideW] = pair(options.strides, 1, op, 'strides');
  const [dilH, dilW] = pair(options.dilation, 1, op, 'dilation');
  const groups = checkGroups(options.groups, op);
  const [batch, inH, inW, inC] = xShape;
  const [kH, kW, wIn, outC] = wShape;
  if (kH < 1 || kW < 1) throw new ShapeError(`${op}: the kernel must be at least 1x1, got ${kH}x${kW} ${shapes}`);
  if (inC % groups !== 0) throw new ValueError(`${op}: groups ${groups} must divide the input channels ${inC} ${shapes}`);
  if (outC % groups !== 0) throw new ValueError(`${op}: groups ${groups} must divide the output channels ${outC} ${shapes}`);
  if (wIn * groups !== inC) {
    throw new ShapeError(groups === 1
      ? `${op}: input has ${inC} channels but weights expect ${wIn} ${shapes}`
      : `${op}: input has ${inC} channels but weights expect ${wIn} per group x ${groups} groups = ${wIn * groups} ${shapes}`);
  }
  const effKH = (kH - 1) * dilH + 1, effKW = (kW - 1) * dilW + 1;
  const [padTop, padBottom, padLeft, padRight] = resolvePadding(options.padding ?? 'valid', inH, inW, effKH, effKW, strideH, strideW, op);
  const padH = inH + padTop + padBottom, padW = inW + padLeft + padRight;
  if (padH < effKH || padW < effKW) {
    const dil = dilH > 1 || dilW > 1 ? ` (dilated to ${effKH}x${effKW})` : '';
    throw new ShapeError(`${op}: kernel ${kH}x${kW}${dil} is larger than the padded input ${padH}x${padW} ${shapes}`);
  }
  return {
    batch, inH, inW, inC,
    outH: Math.floor((padH - effKH) / strideH) + 1, outW: Math.floor((padW - effKW) / strideW) + 1, outC,
    kH, kW, strideH, strideW, dilH, dilW, padTop, padBottom, padLeft, padRight, groups,
  };
}

/**
 * Resolves conv2dTranspose's options (pure). Output size as TensorFlow: 'valid' -> in*s +
 * max(k - s, 0), 'same' -> in*s, explicit padding -> (in-1)*s + k - top - bottom (+ outputPadding).
 * Given outputPadding with 'valid'/'same', the size is Keras' (in-1)*s + k - 2*pad + outputPadding
 * with pad 0 / k//2 (k is the dilated kernel extent). Returns the geometry of the forward convolution
 * whose input gradient this is: its input is [N, outH, outW, w[2]] and its output x.
 */
export function conv2dTransposeGeometry(xShape: readonly number[], wShape: readonly number[],
                                        options: Conv2dTransposeOptions = {}, op = 'conv2dTranspose'): ConvGeometry {
  const shapes = `(input ${fmtShape(xShape)}, weights ${fmtShape(wShape)})`;
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be rank 4 (NHWC), got shape ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weights must be rank 4 ([kernelH, kernelW, outChannels, inChannels]), got shape ${fmtShape(wShape)}`);
  const [strideH, strideW] = pair(options.strides, 1, op, 'strides');
  const [dilH, dilW] = pair(options.dilation, 1, op, 'dilation');
  const [opH, opW] = pair(options.outputPadding, 0, op, 'outputPadding', 0);
  if (opH >= Math.max(strideH, dilH) || opW >= Math.max(strideW, dilW)) {
    throw new ValueError(`${op}: outputPadding ${fmtValue(options.outputPadding)} must be smaller than the stride or the dilation (strides [${strideH},${strideW}], dilation [${dilH},${dilW}])`);
  }
  const [batch, inH, inW, inC] = xShape;
  const [kH, kW, outC, wIn] = wShape;
  if (kH < 1 || kW < 1) throw new ShapeError(`${op}: the kernel must be at least 1x1, got ${kH}x${kW} ${shapes}`);
  if (wIn !== inC) throw new ShapeError(`${op}: input has ${inC} channels but weights expect ${wIn} ${shapes}`);
  const effKH = (kH - 1) * dilH + 1, effKW = (kW - 1) * dilW + 1;
  const padding = options.padding ?? 'valid';
  let outH: number, outW: number, padTop: number, padLeft: number;
  // Without outputPadding the sizes are TensorFlow's; with it, Keras' deconv_output_length:
  // (in - 1)*s + k - 2*pad + outputPadding, pad = k//2 for 'same' and 0 for 'valid'.
  const keras = options.outputPadding !== undefined;
  if (padding === 'valid') {
    outH = keras ? (inH - 1) * strideH + effKH + opH : inH * strideH + Math.max(effKH - strideH, 0);
    outW = keras ? (inW - 1) * strideW + effKW + opW : inW * strideW + Math.max(effKW - strideW, 0);
    padTop = 0; padLeft = 0;
  } else if (padding === 'same') {
    outH = keras ? (inH - 1) * strideH + effKH - 2 * Math.floor(effKH / 2) + opH : inH * strideH;
    outW = keras ? (inW - 1) * strideW + effKW - 2 * Math.floor(effKW / 2) + opW : inW * strideW;
    // As TensorFlow: the forward 'same' padding of a convolution from the output size back to x.
    padTop = Math.floor(Math.max((inH - 1) * strideH + effKH - outH, 0) / 2);
    padLeft = Math.floor(Math.max((inW - 1) * strideW + effKW - outW, 0) / 2);
  } else {
    const [t, b, l, r] = resolvePadding(padding, 0, 0, effKH, effKW, strideH, strideW, op);
    outH = (inH - 1) * strideH + effKH - t - b + opH;
    outW = (inW - 1) * strideW + effKW - l - r + opW;
    padTop = t; padLeft = l;
  }
  if (outH < 1 || outW < 1) throw new ShapeError(`${op}: padding ${fmtValue(padding)} leaves an empty output ${outH}x${outW} ${shapes}`);
  return {
    batch, inH: outH, inW: outW, inC: outC, outH: inH, outW: inW, outC: inC,
    kH, kW, strideH, strideW, dilH, dilW,
    padTop, padBottom: (inH - 1) * strideH + effKH - padTop - outH,
    padLeft, padRight: (inW - 1) * strideW + effKW - padLeft - outW, groups: 1,
  };
}

// ---- kernel drivers --------------------------------------------------------------------------

/** Tunables for benchmarks: bytes of im2col scratch per chunk of output rows. */
export const convTuning = {
  chunkBytes: 1 << 20,
  directSingleChannel: true,
  /** Winograd F(2x2,3x3) for 3x3 stride-1 undilated ungrouped convs with at least this many input and output channels (0 = off). */
  winogradMinChannels: 8,
  /** Depthwise forward: copy each image into a zero-padded buffer first ('auto': when it pays, see depthwisePads). */
  depthwisePad: 'auto' as 'auto' | boolean,
  /** Bytes of transformed tiles (input + products) per Winograd chunk. */
  winogradChunkBytes: 1 << 20,
};

const shapeIn = (g: ConvGeometry) => [g.batch, g.inH, g.inW, g.inC];
const shapeOut = (g: ConvGeometry) => [g.batch, g.outH, g.outW, g.outC];
const shapeW = (g: ConvGeometry) => [g.kH, g.kW, g.inC / g.groups, g.outC];

function argsPtr(g: ConvGeometry): number {
  return int32Args([g.batch, g.inH, g.inW, g.inC, g.outH, g.outW, g.outC, g.kH, g.kW,
    g.strideH, g.strideW, g.dilH, g.dilW, g.padTop, g.padLeft, g.groups]);
}
/**
 * One input channel per group (groups == inC): the depthwise kernels, vectorised over channels,
 * no im2col. For a plain conv of a single input channel only the forward kernel beats im2col +
 * GEMM (measured 1.6-3x); its gradients go through GEMM (2-4x faster there than the depthwise ones).
 */
function isDepthwise(g: ConvGeometry): boolean {
  return g.groups === g.inC && g.groups > 1;
}
function isDepthwiseForward(g: ConvGeometry): boolean {
  return g.groups === g.inC && (g.groups > 1 || convTuning.directSingleChannel);
}
function isPointwise(g: ConvGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 &&
    g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}
/** Output rows per im2col chunk: about convTuning.chunkBytes of columns, a multiple of 48 rows (whole GEMM row tiles of 4 or 6). */
function chunkRows(M: number, K: number): number {
  let rows = Math.floor(convTuning.chunkBytes / (K * 4));
  rows = rows >= 96 ? rows - (rows % 48) : Math.max(rows, 16);
  return Math.max(1, Math.min(rows, M));
}

function useWinograd(g: ConvGeometry): boolean {
  const min = convTuning.winogradMinChannels;
  return min > 0 && g.kH === 3 && g.kW === 3 && g.strideH === 1 && g.strideW === 1 && g.dilH === 1 &&
    g.dilW === 1 && g.groups === 1 && g.inC >= min && g.outC >= min;
}

// ---- threads ---------------------------------------------------------------------------------
// Work is split by OUTPUT only, so every output element is computed by exactly the operations of
// the single-threaded kernel: by whole images when the batch has at least two (each thread gets a
// geometry with a smaller batch and pointers moved to its first image), else (batch 1) by output
// rows (outH shrinks, padTop moves up by the rows skipped: the kernels only use padTop through
// ih = oh*stride - padTop, so the taps, zero padding and bounds checks are unchanged).

/** Below this many multiply-adds (or window reads for pooling) a kernel runs on one thread. */
export const PARALLEL_MIN_WORK = 1 << 20;

/** One thread's share of an NHWC output: images [n0, n1) or (batch 1) output rows [oh0, oh1). */
export interface OutputPart { n0: number; n1: number; oh0: number; oh1: number }

/**
 * Splits [batch, outH] output over the pool: by images when batch > 1, by output rows (aligned to
 * rowAlign) for one image unless allowRows is false. One part when work is below the threshold.
 */
export function splitOutput(batch: number, outH: number, work: number, allowRows = true, rowAlign = 1): OutputPart[] {
  const threads = Math.min(threadCount(), 16);
  if (threads < 2 || work < PARALLEL_MIN_WORK) return [{ n0: 0, n1: batch, oh0: 0, oh1: outH }];
  if (batch > 1) return splitRows(batch, threads).map(([n0, n1]) => ({ n0, n1, oh0: 0, oh1: outH }));
  if (batch === 1 && allowRows) return splitRows(outH, threads, rowAlign).map(([oh0, oh1]) => ({ n0: 0, n1: 1, oh0, oh1 }));
  return [{ n0: 0, n1: batch, oh0: 0, oh1: outH }];
}

/** The geometry one part computes (the pointers move by partOffsets). */
function partGeometry(g: ConvGeometry, p: OutputPart): ConvGeometry {
  return { ...g, batch: p.n1 - p.n0, outH: p.oh1 - p.oh0, padTop: g.padTop - p.oh0 * g.strideH };
}
/** Float offsets of a part's first input and output element. */
function partOffsets(g: ConvGeometry, p: OutputPart): [number, number] {
  return [p.n0 * g.inH * g.inW * g.inC, (p.n0 * g.outH + p.oh0) * g.outW * g.outC];
}
/** Conv args blocks for all parts, one 16-int block each in the int-args scratch. */
function partArgs(g: ConvGeometry, parts: OutputPart[]): number[] {
  return parts.map((p, t) => {
    const q = partGeometry(g, p);
    return int32Args([q.batch, q.inH, q.inW, q.inC, q.outH, q.outW, q.outC, q.kH, q.kW,
      q.strideH, q.strideW, q.dilH, q.dilW, q.padTop, q.padLeft, q.groups], 16 * t);
  });
}
/**
 * Scratch for n parallel parts: part t's column buffer (workspace slot 1) and GEMM packing
 * workspace (slot 0), each 16-byte aligned for the kernels' vector loads and stores.
 */
function partScratch(n: number, colBytes: number, workBytes: number): { col(t: number): number; work(t: number): number } {
  const cb = align16(colBytes), wb = align16(workBytes);
  const col = workspace(cb * n, 1), work = workspace(wb * n, 0);
  return { col: (t) => col + t * cb, work: (t) => work + t * wb };
}

// ---- Winograd weight cache --------------------------------------------------------------------
// With few tiles (batch-1 inference: 49 tiles for a 14x14 map) the weight transform is ~10% of a
// Winograd conv, and it gives the same U every call while the weights stay the same. So small
// calls keep U together with a copy of the weights it came from, and reuse U only when the
// weights are bit-identical to that copy (one SIMD compare of 9*C*CO floats, ~5x cheaper than
// the transform). Checking the values, not a version number, means no write path can leave a
// stale U: optimizer kernels, assign, loading weights, a freed tensor's memory reused by another.
// Large calls (training batches) transform into scratch as before: there the transform is noise.

/** Largest tile count whose weight transform is cached (above it the transform is < ~2% of the conv). */
const WINOGRAD_CACHE_MAX_TILES = 256;
/** Bytes (weight copies + U) the cache may hold; least recently used entries go first. */
const WINOGRAD_CACHE_BYTES = 16 << 20;
interface WinogradEntry { copy: number; u: number; bytes: number }
const winogradCache = new Map<string, WinogradEntry>();
let winogradCacheBytes = 0;

function winogradWeightsFor(w: number, C: number, CO: number, flip: number, tiles: number): number {
  const k = kernels();
  const wBytes = 9 * C * CO * 4, uBytes = k.winogradWeightsBytes(C, CO), bytes = wBytes + uBytes;
  // flip: w is the forward conv's [3,3,CO,C] weights, read rotated with channels swapped.
  const transform = (u: number) => { k.winogradWeights(w, u, flip ? CO : C, flip ? C : CO, flip); return u; };
  if (tiles > WINOGRAD_CACHE_MAX_TILES || bytes > WINOGRAD_CACHE_BYTES / 4) return transform(workspace(uBytes, 2));
  const key = `${w}:${C}:${CO}:${flip}`;
  let e = winogradCache.get(key);
  if (e) {
    winogradCache.delete(key); // re-insert below: Map order is the LRU order
    winogradCache.set(key, e);
    if (k.sameBytes(e.copy, w, wBytes)) return e.u;
  } else {
    while (winogradCacheBytes + bytes > WINOGRAD_CACHE_BYTES && winogradCache.size) {
      const [oldest, old] = winogradCache.entries().next().value as [string, WinogradEntry];
      k.free(old.copy); k.free(old.u);
      winogradCacheBytes -= old.bytes;
      winogradCache.delete(oldest);
    }
    let copy = 0, u = 0;
    try { copy = k.alloc(wBytes) >>> 0; u = k.alloc(uBytes) >>> 0; } catch { /* out of memory: no caching */ }
    if (!copy || !u) {
      if (copy) k.free(copy);
      return transform(workspace(uBytes, 2));
    }
    e = { copy, u, bytes };
    winogradCache.set(key, e);
    winogradCacheBytes += bytes;
  }
  // The entry is valid once both are written; a throw in between cannot happen (plain kernels).
  k.copy(w, e.copy, wBytes / 4);
  return transform(e.u);
}

/** Winograd F(2x2,3x3): flip = 1 runs the backward-input conv of `g` (already transposed by the caller). */
function winogradInto(g: ConvGeometry, x: number, w: number, flip: number, b: number, y: number, act: number): void {
  const k = kernels();
  const C = g.inC, CO = g.outC;
  const tiles = g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
  let tc = Math.floor(convTuning.winogradChunkBytes / (16 * (C + CO) * 4));
  tc = Math.max(1, Math.min(tiles, tc >= 96 ? tc - (tc % 48) : Math.max(tc, 16)));
  const U = winogradWeightsFor(w, C, CO, flip, tiles);
  // Tiles are independent (2x2 output blocks), so parts split at even output rows.
  const parts = splitOutput(g.batch, g.outH, g.batch * g.outH * g.outW * C * CO * 4, true, 2);
  // A part's column buffer holds its V [tc][16][C] then its M [tc][16][CO].
  const scratch = partScratch(parts.length, tc * 16 * (C + CO) * 4, k.gemmWorkspaceBytes(tc, CO, C));
  const args = partArgs(g, parts);
  parallel('conv2dWinograd', parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    const v = scratch.col(t);
    return [args[t], x + 4 * xo, U, b, y + 4 * yo, act, v, v + tc * 16 * C * 4, tc, scratch.work(t)];
  }));
}

/**
 * Whether depthwiseForward should copy each image into a zero-padded buffer so that every output
 * pixel takes the four-pixels-at-a-time path. Measured side by side (2026-11-22): with a
 * channel multiplier > 1 (a conv of one input channel, like the MNIST CNN's first layer) a border
 * pixel costs several interior ones and the copy is a few floats per pixel: 1.3x faster on 28x28
 * maps. With multiplier 1 the copy (one float per channel per pixel, against kH*kW multiply-adds)
 * costs more than the clipped border path saves: 0.6-1.05x, so it stays off there.
 */
function depthwisePads(g: ConvGeometry): boolean {
  const mode = convTuning.depthwisePad;
  if (mode !== 'auto') return mode;
  if (g.outC === g.inC || g.outW < 4) return false;
  const clipped = g.padLeft > 0 || g.padTop > 0 || (g.outW - 1) * g.strideW + (g.kW - 1) * g.dilW >= g.inW + g.padLeft ||
    (g.outH - 1) * g.strideH + (g.kH - 1) * g.dilH >= g.inH + g.padTop;
  return clipped;
}

/** Depthwise (or one-input-channel) conv forward over the pool: parts by images or output rows. */
function depthwiseForwardInto(g: ConvGeometry, x: number, w: number, b: number, y: number, act: number): void {
  const k = kernels();
  const parts = splitOutput(g.batch, g.outH, g.batch * g.outH * g.outW * g.kH * g.kW * g.outC);
  const args = partArgs(g, parts);
  const pad = depthwisePads(g);
  const bytes = pad ? Math.max(...args.map((a) => k.depthwisePaddedBytes(a))) : 0;
  const scratch = pad ? partScratch(parts.length, 0, bytes) : null;
  parallel('depthwiseForward', parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    return [args[t], x + 4 * xo, w, b, y + 4 * yo, act, scratch ? scratch.work(t) : 0];
  }));
}

function forwardInto(g: ConvGeometry, x: number, w: number, b: number, y: number, act: number): void {
  const k = kernels();
  const M = g.batch * g.outH * g.outW;
  if (M === 0 || g.outC === 0) return;
  if (isDepthwiseForward(g)) { depthwiseForwardInto(g, x, w, b, y, act); return; }
  if (useWinograd(g)) { winogradInto(g, x, w, 0, b, y, act); return; }
  const Cg = g.inC / g.groups, Og = g.outC / g.groups, K = g.kH * g.kW * Cg;
  if (isPointwise(g)) {
    if (g.groups === 1) { hostGemm(false, false, M, Og, Cg, x, Cg, w, Og, y, Og, false, b, act); return; }
    const work = workspace(k.gemmWorkspaceBytes(M, Og, Cg), 0);
    k.conv2dForward(argsPtr(g), x, w, b, y, act, 0, M, work);
    return;
  }
  const rows = chunkRows(M, K);
  // Rows of the im2col GEMM are independent, so chunk boundaries (which move with the split) do not matter.
  let parts = splitOutput(g.batch, g.outH, M * K * Og * g.groups);
  // A row slice must not look like a 1x1 unpadded conv to the kernel (it would read x as A directly).
  if (parts.some((p) => isPointwise(partGeometry(g, p)))) parts = [{ n0: 0, n1: g.batch, oh0: 0, oh1: g.outH }];
  const scratch = partScratch(parts.length, rows * K * 4, k.gemmWorkspaceBytes(rows, Og, K));
  const args = partArgs(g, parts);
  parallel('conv2dForward', parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    return [args[t], x + 4 * xo, w, b, y + 4 * yo, act, scratch.col(t), rows, scratch.work(t)];
  }));
}

function backpropInputInto(g: ConvGeometry, dy: number, w: number, dx: number): void {
  const k = kernels();
  const M = g.batch * g.outH * g.outW;
  if (M === 0 || g.outC === 0) { k.fill(dx, g.batch * g.inH * g.inW * g.inC, 0); return; }
  if (isDepthwise(g) && g.outC === g.inC && g.strideH === 1 && g.strideW === 1) {
    // dx = depthwise conv of dy with the flipped kernel: the forward kernel's fast path.
    const wFlip = workspace(g.kH * g.kW * g.outC * 4, 2);
    k.flipKernel(w, wFlip, g.kH, g.kW, g.outC);
    const t: ConvGeometry = {
      ...g, inH: g.outH, inW: g.outW, outH: g.inH, outW: g.inW,
      padTop: (g.kH - 1) * g.dilH - g.padTop, padLeft: (g.kW - 1) * g.dilW - g.padLeft,
    };
    depthwiseForwardInto(t, dy, wFlip, 0, dx, 0);
    return;
  }
  if (useWinograd(g)) {
    // dx = 3x3 conv of dy with the rotated, channel-swapped kernel, padding 2 - pad.
    const t: ConvGeometry = {
      ...g, inH: g.outH, inW: g.outW, inC: g.outC, outH: g.inH, outW: g.inW, outC: g.inC,
      padTop: 2 - g.padTop, padLeft: 2 - g.padLeft,
    };
    winogradInto(t, dy, w, 1, 0, dx, 0);
    return;
  }
  // The scatter-add paths split by whole images only: each image's dx is disjoint and its adds
  // run in increasing output row whatever the chunking, as on one thread.
  if (isDepthwise(g)) {
    const parts = splitOutput(g.batch, g.outH, M * g.kH * g.kW * g.outC, false);
    const wBytes = align16(k.depthwiseWorkspaceBytes(g.inH, g.inW, g.kH, g.kW));
    const work = workspace(wBytes * parts.length, 1);
    const args = partArgs(g, parts);
    parallel('depthwiseBackwardInput', parts.map((p, t) => {
      const [xo, yo] = partOffsets(g, p);
      return [args[t], dy + 4 * yo, w, dx + 4 * xo, work + t * wBytes];
    }));
    return;
  }
  const Cg = g.inC / g.groups, Og = g.outC / g.groups, K = g.kH * g.kW * Cg;
  if (isPointwise(g)) {
    if (g.groups === 1) { hostGemm(false, true, M, Cg, Og, dy, Og, w, Og, dx, Cg); return; }
    const work = workspace(k.gemmWorkspaceBytes(M, Cg, Og), 0);
    k.conv2dBackwardInput(argsPtr(g), dy, w, dx, 0, M, work);
    return;
  }
  const rows = chunkRows(M, K);
  const colBytes = rows * K * 4, workBytes = k.gemmWorkspaceBytes(rows, K, Og);
  const threads = Math.min(threadCount(), 16);
  if (g.batch === 1 && threads > 1 && M * K * Og * g.groups >= PARALLEL_MIN_WORK) {
    // One image: each thread owns a band of dx rows, runs the GEMM for the output rows that
    // reach it and scatters only into its band (bit-identical to one thread; see the kernel).
    const bands = splitRows(g.inH, threads);
    const scratch = partScratch(bands.length, colBytes, workBytes);
    const args = argsPtr(g);
    parallel('conv2dBackwardInputRows', bands.map(([ih0, ih1], t) =>
      [args, dy, w, dx, ih0, ih1, scratch.col(t), rows, scratch.work(t)]));
    return;
  }
  const parts = splitOutput(g.batch, g.outH, M * K * Og * g.groups, false);
  const scratch = partScratch(parts.length, colBytes, workBytes);
  const args = partArgs(g, parts);
  parallel('conv2dBackwardInput', parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    return [args[t], dy + 4 * yo, w, dx + 4 * xo, scratch.col(t), rows, scratch.work(t)];
  }));
}

function backpropFilterInto(g: ConvGeometry, x: number, dy: number, dw: number): void {
  const k = kernels();
  const M = g.batch * g.outH * g.outW;
  if (M === 0 || g.outC === 0) { k.fill(dw, sizeOf(shapeW(g)), 0); return; }
  if (isDepthwise(g)) {
    // Split by output channels (whole 8-channel tiles): each dw element's sum over images, rows
    // and columns is untouched.
    const threads = Math.min(threadCount(), 16);
    const cos = threads > 1 && M * g.kH * g.kW * g.outC >= PARALLEL_MIN_WORK ? splitRows(g.outC, threads, 8) : [[0, g.outC]];
    const args = argsPtr(g);
    parallel('depthwiseBackwardFilterRange', cos.map(([c0, c1]) => [args, x, dy, dw, c0, c1]));
    return;
  }
  const Cg = g.inC / g.groups, Og = g.outC / g.groups, K = g.kH * g.kW * Cg;
  if (g.inC === 1 && g.groups === 1 && g.outC % 8 === 0 && !isPointwise(g) && convTuning.directSingleChannel) {
    // One input channel (a first layer): dw tiles in registers over zero-padded images, no
    // im2col or GEMM packing (same bits as the GEMM path). Threads take 8-channel blocks of dw.
    const threads = Math.min(threadCount(), 16);
    const cos = threads > 1 && M * K * g.outC >= PARALLEL_MIN_WORK ? splitRows(g.outC, threads, 8) : [[0, g.outC]];
    const args = argsPtr(g);
    const scratch = partScratch(cos.length, 0, k.depthwisePaddedBytes(args));
    parallel('conv2dBackwardFilterSingle', cos.map(([o0, o1], t) => [args, x, dy, dw, scratch.work(t), o0, o1]));
    return;
  }
  if (isPointwise(g)) {
    // dw = xᵀ · dy: the host GEMM splits dw's rows; each element's sum over M is untouched.
    if (g.groups === 1) { hostGemm(true, false, Cg, Og, M, x, Cg, dy, Og, dw, Og); return; }
    const work = workspace(k.gemmWorkspaceBytes(Cg, Og, M), 0);
    k.conv2dBackwardFilter(argsPtr(g), x, dy, dw, 0, M, work);
    return;
  }
  const rows = chunkRows(M, K);
  const threads = Math.min(threadCount(), 16);
  if (g.groups === 1 && threads > 1 && M * K * Og >= PARALLEL_MIN_WORK && K >= 24) {
    // The reduction over M is never split: each thread owns whole rows (taps x input channels)
    // of dw, aligned to whole GEMM micro-tiles, and runs every chunk itself with an im2col of just
    // its columns.
    const ks = splitRows(K, threads, 12);
    const kMax = Math.max(...ks.map(([k0, k1]) => k1 - k0));
    const scratch = partScratch(ks.length, rows * kMax * 4, k.gemmWorkspaceBytes(kMax, Og, rows));
    const args = argsPtr(g);
    parallel('conv2dBackwardFilterRows', ks.map(([k0, k1], t) =>
      [args, x, dy, dw, scratch.col(t), rows, scratch.work(t), k0, k1]));
    return;
  }
  if (g.groups === 1 && threads > 1 && M * K * Og >= PARALLEL_MIN_WORK && Og >= 16) {
    // Short dw rows (K < 24): split its columns (output channels) instead, each thread repeating
    // the im2col (K floats per output row: cheap next to K*Og multiply-adds).
    const cs = splitRows(Og, threads, 8);
    const nMax = Math.max(...cs.map(([o0, o1]) => o1 - o0));
    const scratch = partScratch(cs.length, rows * K * 4, k.gemmWorkspaceBytes(K, nMax, rows));
    const args = argsPtr(g);
    parallel('conv2dBackwardFilterCols', cs.map(([o0, o1], t) =>
      [args, x, dy, dw, scratch.col(t), rows, scratch.work(t), o0, o1]));
    return;
  }
  const col = workspace(rows * K * 4, 1);
  const work = workspace(k.gemmWorkspaceBytes(K, Og, rows), 0);
  k.conv2dBackwardFilter(argsPtr(g), x, dy, dw, col, rows, work);
}

/** Sum of dy [N,H,W,C] over N, H, W. */
function biasGrad(dy: Tensor, C: number): Tensor {
  const db = Tensor.empty([C]);
  kernels().conv2dBiasGrad(dy.ptr, dy.size / C, C, db.ptr);
  return db;
}

function checkBias(b: unknown, outC: number, op: string, wShape: readonly number[]): Tensor {
  const t = asFloat(b, op, 'bias');
  if (t.rank !== 1 || t.shape[0] !== outC) {
    throw new ShapeError(`${op}: bias must have shape [${outC}] (one value per output channel of weights ${fmtShape(wShape)}), got ${fmtShape(t.shape)}`);
  }
  return t;
}

function activationCode(act: unknown, op: string): number {
  if (act === undefined || act === null || act === 'linear') return 0;
  if (act === 'relu') return 1;
  throw new ValueError(`${op}: activation must be 'relu', 'linear' or omitted, got ${fmtValue(act)} (apply other activations as a separate op)`);
}

/** Lets `conv2d(x, w, { strides: 2 })` pass options where the bias goes. */
function splitBias<O>(b: unknown, options: O | undefined): [unknown, O] {
  if (b !== undefined && b !== null && !(b instanceof Tensor) && typeof b === 'object' && !Array.isArray(b) && options === undefined) {
    return [null, b as O];
  }
  return [b, (options ?? {}) as O];
}

function checkOptions(options: unknown, op: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${op}: options must be an object, got ${describe(options)}`);
  }
}

// ---- conv2d ----------------------------------------------------------------------------------

/**
 * 2-D convolution, NHWC input, HWIO weights [kH, kW, inC/groups, outC], optional bias [outC].
 * `groups === inC` is depthwise (multiplier outC/inC). activation 'relu' is fused.
 */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, options?: Conv2dOptions): Tensor {
  const op = 'conv2d';
  let bb: unknown;
  [bb, options] = splitBias(b, options);
  checkOptions(options, op);
  x = asFloat(x, op, 'x');
  w = asFloat(w, op, 'weights');
  checkRank(x, 4, op, 'input', 'NHWC');
  checkRank(w, 4, op, 'weights', 'HWIO: [kernelH, kernelW, inChannels/groups, outChannels]');
  const g = conv2dGeometry(x.shape, w.shape, options, op);
  const bias = bb == null ? null : checkBias(bb, g.outC, op, w.shape);
  const act = activationCode(options.activation, op);
  const y = Tensor.empty(shapeOut(g));
  forwardInto(g, x.ptr, w.ptr, bias ? bias.ptr : 0, y.ptr, act);
  return record(op, y, bias ? [x, w, bias] : [x, w], (dy) => {
    // The fused relu is differentiated from the output: y > 0 exactly where the sum was.
    let gz = dy;
    if (act === 1) {
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

// ---- conv2dTranspose -------------------------------------------------------------------------

/**
 * Transposed convolution: the gradient of conv2d w.r.t. its input, as a layer. Weights are
 * [kH, kW, outC, inC] as TensorFlow (the same bytes as the HWIO weights of that conv2d).
 */
export function conv2dTranspose(x: Tensor, w: Tensor, b?: Tensor | null, options?: Conv2dTransposeOptions): Tensor {
  const op = 'conv2dTranspose';
  let bb: unknown;
  [bb, options] = splitBias(b, options);
  checkOptions(options, op);
  x = asFloat(x, op, 'x');
  w = asFloat(w, op, 'weights');
  checkRank(x, 4, op, 'input', 'NHWC');
  checkRank(w, 4, op, 'weights', '[kernelH, kernelW, outChannels, inChannels]');
  const g = conv2dTransposeGeometry(x.shape, w.shape, options, op);
  const bias = bb == null ? null : checkBias(bb, g.inC, op, w.shape);
  const y = Tensor.empty(shapeIn(g));
  backpropInputInto(g, x.ptr, w.ptr, y.ptr);
  if (bias) kernels().addChannelBias(y.ptr, y.size / g.inC, g.inC, bias.ptr);
  return record(op, y, bias ? [x, w, bias] : [x, w], (dy) => {
    let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
    // Its input gradient is the forward convolution of dy; its filter gradient is conv2d's
    // filter gradient with the roles of input (dy) and output gradient (x) swapped.
    if (x.requiresGrad) { dx = Tensor.empty(x.shape); forwardInto(g, dy.ptr, w.ptr, 0, dx.ptr, 0); }
    if (w.requiresGrad) { dw = Tensor.empty(w.shape); backpropFilterInto(g, dy.ptr, x.ptr, dw.ptr); }
    if (bias?.requiresGrad) db = biasGrad(dy, g.inC);
    return bias ? [dx, dw, db] : [dx, dw];
  });
}
