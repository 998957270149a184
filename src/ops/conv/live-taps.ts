// Kernel taps that no output pixel reads inside the image: a dilated conv on a map smaller than
// its dilation (DeepLab's ASPP: dilation 36 on a 28x28 map) reads only padding through its outer
// taps. Dropping those taps gives a smaller conv with the same output, computed without the
// columns of zeros (a 3x3 conv whose outer taps are all dead becomes a 1x1 GEMM).
import { kernels, workspace, WorkspaceSlot } from '../../backend/wasm.js';
import type { ConvGeometry } from './geometry.js';

/**
 * The first and one-past-last taps (of k, `dil` apart) that some output (of `out`, `stride`
 * apart, the first at -pad) reads inside [0, size).
 */
export function liveTapRange(k: number, dil: number, pad: number, stride: number, out: number, size: number): [number, number] {
  const live = (t: number) => {
    // The first output whose tap t is at or after row 0.
    const o = Math.max(0, Math.ceil((pad - t * dil) / stride));
    return o < out && o * stride - pad + t * dil < size;
  };
  let lo = 0, hi = k;
  while (lo < k && !live(lo)) lo++;
  while (hi > lo && !live(hi - 1)) hi--;
  return [lo, hi];
}

/**
 * `g` without its dead leading and trailing taps, and w's live taps copied into the LiveTaps
 * workspace slot (live until the next conv call); null when every tap is live (or none is).
 */
export function withoutDeadTaps(g: ConvGeometry, w: number): { g: ConvGeometry; w: number } | null {
  const [h0, h1] = liveTapRange(g.kH, g.dilH, g.padTop, g.strideH, g.outH, g.inH);
  const [w0, w1] = liveTapRange(g.kW, g.dilW, g.padLeft, g.strideW, g.outW, g.inW);
  if ((h1 - h0 === g.kH && w1 - w0 === g.kW) || h1 <= h0 || w1 <= w0) return null;
  const kH = h1 - h0, kW = w1 - w0;
  const padTop = g.padTop - h0 * g.dilH, padLeft = g.padLeft - w0 * g.dilW;
  if (padTop < 0 || padLeft < 0) return null;
  const dilH = kH === 1 ? 1 : g.dilH, dilW = kW === 1 ? 1 : g.dilW;
  const tap = (g.inC / g.groups) * g.outC; // floats per tap in HWIO
  const k = kernels();
  const dst = workspace(kH * kW * tap * 4, WorkspaceSlot.LiveTaps);
  for (let kh = 0; kh < kH; kh++) k.copy(w + ((h0 + kh) * g.kW + w0) * tap * 4, dst + kh * kW * tap * 4, kW * tap);
  return {
    g: {
      ...g, kH, kW, dilH, dilW, padTop, padLeft,
      padBottom: (g.outH - 1) * g.strideH + (kH - 1) * dilH + 1 - g.inH - padTop,
      padRight: (g.outW - 1) * g.strideW + (kW - 1) * dilW + 1 - g.inW - padLeft,
    },
    w: dst,
  };
}
