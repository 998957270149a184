// The convolution kernel drivers: for one ConvGeometry and raw pointers, pick the kernel path
// (src/ops/conv/algorithm.ts), size the scratch and split the work over the pool. Forward, input
// gradient and filter gradient side by side; the ops in conv2d.ts / transpose.ts call these.
// Kernels: assembly/conv/.
import { sizeOf } from '../../tensor.js';
import { kernels, workspace, align16, WorkspaceSlot } from '../../backend/wasm.js';
import { parallel, splitOutput, splitParts, splitRows, splitThreads, splitTuning } from '../../backend/parallel.js';
import { Activation } from '../../backend/kernels.generated.js';
import { gemm as hostGemm } from '../../backend/gemm.js';
import { shapeW, type ConvGeometry } from './geometry.js';
import { chunkRows, convTuning, spaceToDepthGeometry, depthwisePads, isDepthwise, isDepthwiseForward, isPointwise, useGroupedDirect, useWinograd, useWinograd5, useWinogradDirectProducts, useWinogradFilter, winogradChunkTiles } from './algorithm.js';
import { convArgs, partArgs, partOffsets, partScratch } from './parts.js';
import { winogradWeightsFor } from './winograd-cache.js';
import { withoutDeadTaps } from './live-taps.js';
import { profileStepKind } from '../../backend/profile.js';

/** Winograd F(2x2,3x3): flip = 1 runs the backward-input conv of `g` (already transposed by the caller). */
function winogradInto(g: ConvGeometry, x: number, w: number, flip: number, b: number, y: number, act: Activation): void {
  const k = kernels();
  const C = g.inC, CO = g.outC;
  const tiles = g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
  const tc = winogradChunkTiles(tiles, C, CO);
  const U = winogradWeightsFor(w, C, CO, flip, tiles);
  const work = g.batch * g.outH * g.outW * C * CO * 4;
  const direct = useWinogradDirectProducts(C, CO) ? 1 : 0;
  const channels = direct ? null : winogradChannelParts(g, work);
  if (channels) {
    // Each part: every tile, its output channels (its columns of U), in its own V and M.
    const nMax = Math.max(...channels.map(([c0, c1]) => c1 - c0));
    const scratch = partScratch(channels.length, tc * 16 * (C + nMax) * 4, k.gemmWorkspaceBytes(tc, nMax, C));
    const args = convArgs(g);
    parallel(k.conv2dWinograd, channels.map(([c0, c1], t) => {
      const v = scratch.col(t);
      return [args, x, U, b, y, act, v, v + tc * 16 * C * 4, tc, scratch.work(t), 0, c0, c1];
    }));
    return;
  }
  // Tiles are independent (2x2 output blocks), so parts split at even output rows.
  const parts = splitOutput(g.batch, g.outH, work, true, 2);
  // A part's column buffer holds its V [tc][16][C] then its M [tc][16][CO].
  const scratch = partScratch(parts.length, tc * 16 * (C + CO) * 4, k.gemmWorkspaceBytes(tc, CO, C));
  const args = partArgs(g, parts);
  parallel(k.conv2dWinograd, parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    const v = scratch.col(t);
    return [args[t], x + 4 * xo, U, b, y + 4 * yo, act, v, v + tc * 16 * C * 4, tc, scratch.work(t), direct, 0, CO];
  }));
}

/**
 * Output-channel ranges (whole 8-column GEMM tiles) for a Winograd conv of one image on a small
 * map, or null to split rows. With few tile rows a row split is uneven (7 tile rows of a 14x14
 * map go 4 + 3) and every thread streams all of U (16 MB for 512 channels); a channel split is
 * even and each thread reads its own columns of U, at the cost of every part transforming the
 * whole input (16·C per tile against 16·C·CO/threads multiply-adds).
 */
function winogradChannelParts(g: ConvGeometry, work: number): [number, number][] | null {
  const threads = splitThreads();
  const tileRows = Math.ceil(g.outH / 2);
  if (threads < 2 || g.batch !== 1 || work < splitTuning.work || tileRows >= convTuning.winogradChannelSplitTileRows * threads) return null;
  if (g.outC < 16 * threads) return null;
  return splitRows(g.outC, splitParts(), 8);
}

/** Winograd F(2x2,5x5) forward: parts split at even output rows, as winogradInto's. */
function winograd5Into(g: ConvGeometry, x: number, w: number, b: number, y: number, act: Activation): void {
  const k = kernels();
  const C = g.inC, CO = g.outC;
  const tiles = g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
  const tc = winogradChunkTiles(tiles, C, CO, 36);
  const U = winogradWeightsFor(w, C, CO, 0, tiles, 5);
  const parts = splitOutput(g.batch, g.outH, g.batch * g.outH * g.outW * C * CO * 9, true, 2);
  // A part's column buffer holds its V [tc][36][C] then its M [tc][36][CO].
  const scratch = partScratch(parts.length, tc * 36 * (C + CO) * 4, k.gemmWorkspaceBytes(tc, CO, C));
  const args = partArgs(g, parts);
  parallel(k.conv2dWinograd5, parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    const v = scratch.col(t);
    return [args[t], x + 4 * xo, U, b, y + 4 * yo, act, v, v + tc * 36 * C * 4, tc, scratch.work(t)];
  }));
}

/** The strided conv `g` as the Winograd 3x3 conv `t` over its space-to-depth input (algorithm.ts spaceToDepthGeometry). */
function spaceToDepthInto(g: ConvGeometry, t: ConvGeometry, x: number, w: number, b: number, y: number, act: Activation): void {
  const k = kernels();
  const s = g.strideH;
  const xBytes = align16(t.batch * t.inH * t.inW * t.inC * 4), wBytes = 9 * t.inC * t.outC * 4;
  const xs = workspace(xBytes + wBytes, WorkspaceSlot.Rearranged), ws = xs + xBytes;
  k.spaceToDepthInput(x, xs, g.batch, g.inH, g.inW, g.inC, s, g.padTop, g.padLeft, t.inH, t.inW);
  k.spaceToDepthWeights(w, ws, g.kH, g.kW, g.inC, g.outC, s);
  winogradInto(t, xs, ws, 0, b, y, act);
}

/** Depthwise (or one-input-channel) conv forward over the pool: parts by images or output rows. */
function depthwiseForwardInto(g: ConvGeometry, x: number, w: number, b: number, y: number, act: Activation): void {
  const k = kernels();
  const parts = splitOutput(g.batch, g.outH, g.batch * g.outH * g.outW * g.kH * g.kW * g.outC);
  const args = partArgs(g, parts);
  const pad = depthwisePads(g);
  const bytes = pad ? Math.max(...args.map((a) => k.depthwisePaddedBytes(a))) : 0;
  const scratch = pad ? partScratch(parts.length, 0, bytes) : null;
  parallel(k.depthwiseForward, parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    return [args[t], x + 4 * xo, w, b, y + 4 * yo, act, scratch ? scratch.work(t) : 0, convTuning.depthwiseUnrolled ? 1 : 0];
  }));
}

/** Grouped conv of small groups over the pool: parts by images or output rows, no scratch. */
function groupedForwardInto(g: ConvGeometry, x: number, w: number, b: number, y: number, act: Activation): void {
  const parts = splitOutput(g.batch, g.outH, g.batch * g.outH * g.outW * g.kH * g.kW * g.outC * (g.inC / g.groups));
  const args = partArgs(g, parts);
  parallel(kernels().groupedForward, parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    return [args[t], x + 4 * xo, w, b, y + 4 * yo, act];
  }));
}

/** y = conv2d(x, w) (+ b, then the activation `act`). */
export function forwardInto(g: ConvGeometry, x: number, w: number, b: number, y: number, act: Activation): void {
  const k = kernels();
  const M = g.batch * g.outH * g.outW;
  if (M === 0 || g.outC === 0) return;
  const live = convTuning.dropDeadTaps ? withoutDeadTaps(g, w) : null;
  if (live) { forwardInto(live.g, x, live.w, b, y, act); return; }
  if (isDepthwiseForward(g)) {
    profileStepKind(g.groups > 1 ? 'conv depthwise' : 'conv direct (1 input channel)');
    depthwiseForwardInto(g, x, w, b, y, act);
    return;
  }
  if (useWinograd(g)) { profileStepKind('conv winograd'); winogradInto(g, x, w, 0, b, y, act); return; }
  const s2d = spaceToDepthGeometry(g);
  if (s2d) { profileStepKind('conv winograd (space-to-depth)'); spaceToDepthInto(g, s2d, x, w, b, y, act); return; }
  if (useWinograd5(g)) { profileStepKind('conv winograd 5x5'); winograd5Into(g, x, w, b, y, act); return; }
  const Cg = g.inC / g.groups, Og = g.outC / g.groups, K = g.kH * g.kW * Cg;
  if (isPointwise(g)) {
    profileStepKind(g.groups > 1 ? 'conv 1x1 pointwise (grouped)' : 'conv 1x1 pointwise');
    if (g.groups === 1) { hostGemm(false, false, M, Og, Cg, x, Cg, w, Og, y, Og, false, b, act); return; }
    const work = workspace(k.gemmWorkspaceBytes(M, Og, Cg), WorkspaceSlot.Work);
    k.conv2dForward(convArgs(g), x, w, b, y, act, 0, M, work);
    return;
  }
  if (useGroupedDirect(g)) { profileStepKind('conv grouped direct'); groupedForwardInto(g, x, w, b, y, act); return; }
  profileStepKind(g.groups > 1 ? 'conv im2col-gemm (grouped)' : 'conv im2col-gemm');
  const rows = chunkRows(M, K);
  // Rows of the im2col GEMM are independent, so chunk boundaries (which move with the split) do not matter.
  const parts = splitOutput(g.batch, g.outH, M * K * Og * g.groups);
  const scratch = partScratch(parts.length, rows * K * 4, k.gemmWorkspaceBytes(rows, Og, K));
  const args = partArgs(g, parts);
  parallel(k.conv2dForward, parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    return [args[t], x + 4 * xo, w, b, y + 4 * yo, act, scratch.col(t), rows, scratch.work(t)];
  }));
}

/** dx = the gradient of conv2d w.r.t. its input, from dy. */
export function backpropInputInto(g: ConvGeometry, dy: number, w: number, dx: number): void {
  const k = kernels();
  const M = g.batch * g.outH * g.outW;
  if (M === 0 || g.outC === 0) { k.fill(dx, g.batch * g.inH * g.inW * g.inC, 0); return; }
  if (isDepthwise(g) && g.outC === g.inC && g.strideH === 1 && g.strideW === 1) {
    // dx = depthwise conv of dy with the flipped kernel: the forward kernel's fast path.
    const wFlip = workspace(g.kH * g.kW * g.outC * 4, WorkspaceSlot.Weights);
    k.flipKernel(w, wFlip, g.kH, g.kW, g.outC);
    const t: ConvGeometry = {
      ...g, inH: g.outH, inW: g.outW, outH: g.inH, outW: g.inW,
      padTop: (g.kH - 1) * g.dilH - g.padTop, padLeft: (g.kW - 1) * g.dilW - g.padLeft,
    };
    depthwiseForwardInto(t, dy, wFlip, 0, dx, Activation.None);
    return;
  }
  if (useWinograd(g)) {
    // dx = 3x3 conv of dy with the rotated, channel-swapped kernel, padding 2 - pad.
    const t: ConvGeometry = {
      ...g, inH: g.outH, inW: g.outW, inC: g.outC, outH: g.inH, outW: g.inW, outC: g.inC,
      padTop: 2 - g.padTop, padLeft: 2 - g.padLeft,
    };
    winogradInto(t, dy, w, 1, 0, dx, Activation.None);
    return;
  }
  // The scatter-add paths split by whole images only: each image's dx is disjoint and its adds
  // run in increasing output row whatever the chunking, as on one thread.
  if (isDepthwise(g)) {
    const parts = splitOutput(g.batch, g.outH, M * g.kH * g.kW * g.outC, false);
    const wBytes = align16(k.depthwiseWorkspaceBytes(g.inH, g.inW, g.kH, g.kW));
    const work = workspace(wBytes * parts.length, WorkspaceSlot.Columns);
    const args = partArgs(g, parts);
    parallel(k.depthwiseBackwardInput, parts.map((p, t) => {
      const [xo, yo] = partOffsets(g, p);
      return [args[t], dy + 4 * yo, w, dx + 4 * xo, work + t * wBytes];
    }));
    return;
  }
  const Cg = g.inC / g.groups, Og = g.outC / g.groups, K = g.kH * g.kW * Cg;
  if (isPointwise(g)) {
    if (g.groups === 1) { hostGemm(false, true, M, Cg, Og, dy, Og, w, Og, dx, Cg); return; }
    const work = workspace(k.gemmWorkspaceBytes(M, Cg, Og), WorkspaceSlot.Work);
    k.conv2dBackwardInput(convArgs(g), dy, w, dx, 0, M, work);
    return;
  }
  const rows = chunkRows(M, K);
  const colBytes = rows * K * 4, workBytes = k.gemmWorkspaceBytes(rows, K, Og);
  const threads = splitThreads();
  if (g.batch === 1 && threads > 1 && M * K * Og * g.groups >= splitTuning.work) {
    // One image: each thread owns a band of dx rows, runs the GEMM for the output rows that
    // reach it and scatters only into its band (bit-identical to one thread; see the kernel).
    const bands = splitRows(g.inH, threads);
    const scratch = partScratch(bands.length, colBytes, workBytes);
    const args = convArgs(g);
    parallel(k.conv2dBackwardInputRows, bands.map(([ih0, ih1], t) =>
      [args, dy, w, dx, ih0, ih1, scratch.col(t), rows, scratch.work(t)]));
    return;
  }
  const parts = splitOutput(g.batch, g.outH, M * K * Og * g.groups, false);
  const scratch = partScratch(parts.length, colBytes, workBytes);
  const args = partArgs(g, parts);
  parallel(k.conv2dBackwardInput, parts.map((p, t) => {
    const [xo, yo] = partOffsets(g, p);
    return [args[t], dy + 4 * yo, w, dx + 4 * xo, scratch.col(t), rows, scratch.work(t)];
  }));
}

/**
 * dw through Winograd F(3x3,2x2): each thread owns whole transformed positions (all tiles, in the
 * same chunks), so every sum is the single-threaded one; then one output transform.
 */
function winogradFilterInto(g: ConvGeometry, x: number, dy: number, dw: number): void {
  const k = kernels();
  const C = g.inC, CO = g.outC;
  const tiles = g.batch * Math.ceil(g.outH / 2) * Math.ceil(g.outW / 2);
  const tc = winogradChunkTiles(tiles, C, CO);
  const threads = splitThreads();
  const es = threads > 1 && tiles * 16 * C * CO >= splitTuning.work ? splitRows(16, threads) : [[0, 16]];
  // A part's column buffer holds its V [tc][16][C] then its D [tc][16][CO].
  const scratch = partScratch(es.length, tc * 16 * (C + CO) * 4, k.gemmWorkspaceBytes(C, CO, tc));
  const macc = workspace(16 * C * CO * 4, WorkspaceSlot.Weights);
  const args = convArgs(g);
  parallel(k.conv2dWinogradFilter, es.map(([e0, e1], t) => {
    const v = scratch.col(t);
    return [args, x, dy, macc, v, v + tc * 16 * C * 4, tc, scratch.work(t), e0, e1];
  }));
  k.winogradFilterOutput(macc, dw, C * CO);
}

/** dw = the gradient of conv2d w.r.t. its HWIO weights, from x and dy. */
export function backpropFilterInto(g: ConvGeometry, x: number, dy: number, dw: number): void {
  const k = kernels();
  const M = g.batch * g.outH * g.outW;
  if (M === 0 || g.outC === 0) { k.fill(dw, sizeOf(shapeW(g)), 0); return; }
  const threads = splitThreads();
  if (isDepthwise(g)) {
    // Split by output channels (whole 8-channel tiles): each dw element's sum over images, rows
    // and columns is untouched.
    const cos = threads > 1 && M * g.kH * g.kW * g.outC >= splitTuning.work ? splitRows(g.outC, threads, 8) : [[0, g.outC]];
    const args = convArgs(g);
    parallel(k.depthwiseBackwardFilterRange, cos.map(([c0, c1]) => [args, x, dy, dw, c0, c1]));
    return;
  }
  if (useWinogradFilter(g)) { winogradFilterInto(g, x, dy, dw); return; }
  const Cg = g.inC / g.groups, Og = g.outC / g.groups, K = g.kH * g.kW * Cg;
  if (g.inC === 1 && g.groups === 1 && g.outC % 8 === 0 && !isPointwise(g) && convTuning.directSingleChannel) {
    // One input channel (a first layer): dw tiles in registers over zero-padded images, no
    // im2col or GEMM packing (same bits as the GEMM path). Threads take 8-channel blocks of dw.
    const cos = threads > 1 && M * K * g.outC >= splitTuning.work ? splitRows(g.outC, threads, 8) : [[0, g.outC]];
    const args = convArgs(g);
    const scratch = partScratch(cos.length, 0, k.depthwisePaddedBytes(args));
    parallel(k.conv2dBackwardFilterSingle, cos.map(([o0, o1], t) => [args, x, dy, dw, scratch.work(t), o0, o1]));
    return;
  }
  if (isPointwise(g)) {
    // dw = xᵀ · dy: the host GEMM splits dw's rows; each element's sum over M is untouched.
    if (g.groups === 1) { hostGemm(true, false, Cg, Og, M, x, Cg, dy, Og, dw, Og); return; }
    const work = workspace(k.gemmWorkspaceBytes(Cg, Og, M), WorkspaceSlot.Work);
    k.conv2dBackwardFilter(convArgs(g), x, dy, dw, 0, M, work);
    return;
  }
  const rows = chunkRows(M, K);
  if (g.groups === 1 && threads > 1 && M * K * Og >= splitTuning.work && K >= 24) {
    // The reduction over M is never split: each thread owns whole rows (taps x input channels)
    // of dw, aligned to whole GEMM micro-tiles, and runs every chunk itself with an im2col of just
    // its columns.
    const ks = splitRows(K, threads, 12);
    const kMax = Math.max(...ks.map(([k0, k1]) => k1 - k0));
    const scratch = partScratch(ks.length, rows * kMax * 4, k.gemmWorkspaceBytes(kMax, Og, rows));
    const args = convArgs(g);
    parallel(k.conv2dBackwardFilterRows, ks.map(([k0, k1], t) =>
      [args, x, dy, dw, scratch.col(t), rows, scratch.work(t), k0, k1]));
    return;
  }
  if (g.groups === 1 && threads > 1 && M * K * Og >= splitTuning.work && Og >= 16) {
    // Short dw rows (K < 24): split its columns (output channels) instead, each thread repeating
    // the im2col (K floats per output row: cheap next to K*Og multiply-adds).
    const cs = splitRows(Og, threads, 8);
    const nMax = Math.max(...cs.map(([o0, o1]) => o1 - o0));
    const scratch = partScratch(cs.length, rows * K * 4, k.gemmWorkspaceBytes(K, nMax, rows));
    const args = convArgs(g);
    parallel(k.conv2dBackwardFilterCols, cs.map(([o0, o1], t) =>
      [args, x, dy, dw, scratch.col(t), rows, scratch.work(t), o0, o1]));
    return;
  }
  const col = workspace(rows * K * 4, WorkspaceSlot.Columns);
  const work = workspace(k.gemmWorkspaceBytes(K, Og, rows), WorkspaceSlot.Work);
  k.conv2dBackwardFilter(convArgs(g), x, dy, dw, col, rows, work);
}
