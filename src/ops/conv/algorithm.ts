// Which kernel path a convolution takes (depthwise, pointwise GEMM, Winograd, im2col + GEMM) and
// the tuning knobs those choices and the chunk sizes read. Pure functions of a ConvGeometry.
import type { ConvGeometry } from './geometry.js';
import { kernels } from '../../backend/wasm.js';

/** Tunables for benchmarks: bytes of im2col scratch per chunk of output rows, and the path switches. */
export const convTuning = {
  chunkBytes: 1 << 20,
  directSingleChannel: true,
  /** Winograd F(2x2,3x3) for 3x3 stride-1 undilated ungrouped convs with at least this many input and output channels (0 = off). */
  winogradMinChannels: 8,
  /** Depthwise forward: copy each image into a zero-padded buffer first ('auto': when it pays, see depthwisePads). */
  depthwisePad: 'auto' as 'auto' | boolean,
  /** Depthwise forward, multiplier 1: the unrolled kernels for three-tap and stride-2 rows (same sums, same bits). */
  depthwiseUnrolled: true,
  /** Grouped convs with at most this many input and output channels per group skip im2col + GEMM (0 = off). */
  groupedDirectMaxChannels: 16,
  /** Forward convs drop kernel taps that read only padding (src/ops/conv/live-taps.ts). */
  dropDeadTaps: true,
  /** Winograd F(3x3,2x2) weight gradient for Winograd-eligible convs with at least this many input and output channels (0 = off). */
  winogradFilterMinChannels: 16,
  /** Winograd forward: the 16 products without GEMM packing when both channel counts are at most this (0 = off). */
  winogradDirectMaxChannels: 32,
  /** Winograd F(2x2,5x5) forward for 5x5 stride-1 undilated ungrouped convs with at least this many input and output channels, both multiples of 4 (0 = off). */
  winograd5MinChannels: 32,
  /** Strided convs with kernels of 2s < k <= 3s taps as Winograd 3x3 convs over a space-to-depth input (see useSpaceToDepth). */
  spaceToDepth: true,
  /**
   * Winograd at batch 1 on fewer than this many tile rows per thread (maps below 8 rows per
   * thread) splits output channels over the threads instead of rows (0 = never).
   */
  winogradChannelSplitTileRows: 4,
  /** Bytes of transformed tiles (input + products) per Winograd chunk. */
  winogradChunkBytes: 1 << 20,
  /**
   * Bytes of Winograd-transformed weights (with the copies they are checked against) kept between
   * small calls; one entry may take a quarter. AlexNet's three 3x3 convs need 24 MB (1.07-1.14x).
   */
  winogradCacheBytes: 64 << 20,
  /**
   * A fused conv's silu (same bits every way): 'twoPass' (Sigmoid into scratch, then Mul), 'onePass'
   * (assembly/elementwise/silu.ts), 'inKernel' (depthwise convs apply it row by row, others one pass).
   */
  siluEpilogue: 'inKernel' as 'twoPass' | 'onePass' | 'inKernel',
};

/**
 * One input channel per group (groups == inC): the depthwise kernels, vectorised over channels,
 * no im2col. For a plain conv of a single input channel only the forward kernel beats im2col +
 * GEMM (measured 1.6-3x); its gradients go through GEMM (2-4x faster there than the depthwise ones).
 */
export function isDepthwise(g: ConvGeometry): boolean {
  return g.groups === g.inC && g.groups > 1;
}
export function isDepthwiseForward(g: ConvGeometry): boolean {
  return g.groups === g.inC && (g.groups > 1 || convTuning.directSingleChannel);
}

/**
 * A 1x1, stride-1, unpadded convolution: x is the GEMM's A matrix as it is. The host decides it
 * here only, and tells conv2dForward / BackwardInput / BackwardFilter by passing no column buffer
 * (col = 0), whereupon they read x directly.
 */
export function isPointwise(g: ConvGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 &&
    g.padLeft === 0 && g.outH === g.inH && g.outW === g.inW;
}

/** Output rows per im2col chunk: about convTuning.chunkBytes of columns, whole GEMM row tiles (12 of them) when that many fit. */
export function chunkRows(M: number, K: number): number {
  const align = 12 * kernels().gemmTileRows();
  let rows = Math.floor(convTuning.chunkBytes / (K * 4));
  rows = rows >= 2 * align ? rows - (rows % align) : Math.max(rows, 16);
  return Math.max(1, Math.min(rows, M));
}

export function useWinograd(g: ConvGeometry): boolean {
  const min = convTuning.winogradMinChannels;
  return min > 0 && g.kH === 3 && g.kW === 3 && g.strideH === 1 && g.strideW === 1 && g.dilH === 1 &&
    g.dilW === 1 && g.groups === 1 && g.inC >= min && g.outC >= min;
}

/**
 * Forward 5x5 convs through Winograd F(2x2,5x5) (assembly/conv/winograd5.ts): 36 multiply-adds
 * per 2x2 output tile and channel pair against 100. Its sums run in another order than im2col's,
 * so it is taken from 32 channels up only, where no existing path's bits are pinned (the LeNet
 * MNIST nets' 5x5 convs have fewer). Gradients keep im2col + GEMM.
 */
export function useWinograd5(g: ConvGeometry): boolean {
  const min = convTuning.winograd5MinChannels;
  return min > 0 && g.kH === 5 && g.kW === 5 && g.strideH === 1 && g.strideW === 1 && g.dilH === 1 &&
    g.dilW === 1 && g.groups === 1 && g.inC >= min && g.outC >= min && g.inC % 4 === 0 && g.outC % 4 === 0;
}

/**
 * A forward conv of stride s (both ways, s >= 3) whose kernel spans 2s < k <= 3s taps, as a
 * stride-1 3x3 conv over s x s pixel blocks of s*s*C channels (assembly/conv/space-to-depth.ts)
 * that takes Winograd: AlexNet's 11x11 stride-4 first conv 1.6x (144 taps per block against 121,
 * then 16 products per 2x2 tile against 36). Other sums than im2col's, so not below stride 3
 * (no seeded path has one); gradients keep im2col + GEMM. The 3x3 conv's geometry, or null.
 */
export function spaceToDepthGeometry(g: ConvGeometry): ConvGeometry | null {
  const s = g.strideH;
  if (!convTuning.spaceToDepth || s < 3 || g.strideW !== s || g.dilH !== 1 || g.dilW !== 1 || g.groups !== 1 ||
    g.kH <= 2 * s || g.kH > 3 * s || g.kW <= 2 * s || g.kW > 3 * s) return null;
  const t: ConvGeometry = {
    ...g, inH: g.outH + 2, inW: g.outW + 2, inC: g.inC * s * s, kH: 3, kW: 3, strideH: 1, strideW: 1,
    padTop: 0, padBottom: 0, padLeft: 0, padRight: 0,
  };
  return useWinograd(t) ? t : null;
}

/**
 * The weight gradient through Winograd F(3x3,2x2) (assembly/conv/winograd-filter.ts): 2.25x fewer
 * multiply-adds than im2col + GEMM. Its sums run in another order than im2col's, so it is taken
 * from 16 channels up only, where no existing path's bits are pinned (docs/DESIGN-NOTES.md).
 */
export function useWinogradFilter(g: ConvGeometry): boolean {
  const min = convTuning.winogradFilterMinChannels;
  return min > 0 && useWinograd(g) && g.inC >= min && g.outC >= min;
}

/**
 * Winograd's 16 products straight from the transformed tiles (assembly/conv/winograd-products.ts)
 * instead of 16 packed GEMMs: with few channels the packing costs as much as the multiply-adds.
 * Same order of operations as the GEMM, so the same bits; output channels in whole 8-lane tiles.
 */
export function useWinogradDirectProducts(C: number, CO: number): boolean {
  const max = convTuning.winogradDirectMaxChannels;
  return C <= max && CO <= max && CO % 8 === 0;
}

/**
 * Transformed tiles per Winograd chunk (16 transformed positions for F(2x2,3x3), 36 for F(2x2,5x5)):
 * about convTuning.winogradChunkBytes of V and M, whole 48-tile blocks. Tiles that would need
 * just two chunks go in one: each chunk packs (reads) all of U again, and with wide channels and
 * few tiles (batch-1 13x13 maps: 49 tiles) that pass costs more than V and M outgrowing the
 * cache (measured 1.06-1.28x on AlexNet's 3x3 convs).
 */
export function winogradChunkTiles(tiles: number, C: number, CO: number, positions = 16): number {
  const tc = Math.floor(convTuning.winogradChunkBytes / (positions * (C + CO) * 4));
  if (tiles <= 2 * tc) return Math.max(1, tiles);
  return Math.max(1, Math.min(tiles, tc >= 96 ? tc - (tc % 48) : Math.max(tc, 16)));
}

/**
 * Whether depthwiseForward should copy each image into a zero-padded buffer so that every output
 * pixel takes the four-pixels-at-a-time path. With a channel multiplier > 1 (a conv of one input
 * channel, like the MNIST CNN's first layer) a border pixel costs several interior ones and the
 * copy is a few floats per pixel: 1.3x faster on 28x28 maps. With multiplier 1 the copy (one
 * float per channel per pixel, against kH*kW multiply-adds) costs more than the clipped border
 * path saves (0.6-1.05x), so it stays off there.
 */
export function depthwisePads(g: ConvGeometry): boolean {
  const mode = convTuning.depthwisePad;
  if (mode !== 'auto') return mode;
  if (g.outC === g.inC || g.outW < 4) return false;
  const clipped = g.padLeft > 0 || g.padTop > 0 || (g.outW - 1) * g.strideW + (g.kW - 1) * g.dilW >= g.inW + g.padLeft ||
    (g.outH - 1) * g.strideH + (g.kH - 1) * g.dilH >= g.inH + g.padTop;
  return clipped;
}

/**
 * A grouped conv of small groups (ResNeXt, RegNet): the direct kernel (assembly/conv/grouped.ts),
 * whose per-group GEMMs would be a few columns wide. It sums in the GEMM's order (bias, then
 * (kh, kw, channel)), so the bits are the im2col path's (docs/DESIGN-NOTES.md).
 */
export function useGroupedDirect(g: ConvGeometry): boolean {
  const max = convTuning.groupedDirectMaxChannels;
  const Cg = g.inC / g.groups, Og = g.outC / g.groups;
  return max > 0 && g.groups > 1 && Cg > 1 && Cg <= max && Og <= max && Og % 4 === 0 && !isPointwise(g);
}
