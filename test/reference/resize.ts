// Naive resize references in float64, from the definitions (PyTorch's upsample kernels and TF's
// resize): every output pixel is a weighted sum of input pixels, and the gradient sends each
// output gradient back to those pixels with the same weights.
import type { Arr } from './elementwise.js';

export interface RefResize { method: 'nearest' | 'bilinear'; mode: 'halfPixel' | 'alignCorners' | 'asymmetric' }

/** The (index, weight) pairs output index d of an axis reads. */
function taps(d: number, inSize: number, outSize: number, { method, mode }: RefResize): [number, number][] {
  if (method === 'nearest') {
    let i: number;
    if (mode === 'halfPixel') i = Math.floor(((d + 0.5) * inSize) / outSize);
    else if (mode === 'asymmetric') i = Math.floor((d * inSize) / outSize);
    else i = outSize === 1 ? 0 : Math.floor((d * (inSize - 1)) / (outSize - 1) + 0.5);
    return [[Math.min(i, inSize - 1), 1]];
  }
  let src: number;
  if (mode === 'halfPixel') src = ((d + 0.5) * inSize) / outSize - 0.5;
  else if (mode === 'asymmetric') src = (d * inSize) / outSize;
  else src = outSize === 1 ? 0 : (d * (inSize - 1)) / (outSize - 1);
  src = Math.max(src, 0);
  const lo = Math.min(Math.floor(src), inSize - 1);
  const frac = src - lo;
  return [[lo, 1 - frac], [Math.min(lo + 1, inSize - 1), frac]];
}

/** Calls visit(outIndex, inIndex, weight) for every term of every output element. */
function terms(xShape: number[], size: [number, number], p: RefResize, visit: (o: number, i: number, w: number) => void): number[] {
  const [N, H, W, C] = xShape;
  const [Ho, Wo] = size;
  for (let n = 0; n < N; n++)
    for (let oy = 0; oy < Ho; oy++)
      for (const [iy, wy] of taps(oy, H, Ho, p))
        for (let ox = 0; ox < Wo; ox++)
          for (const [ix, wx] of taps(ox, W, Wo, p))
            for (let c = 0; c < C; c++) visit(((n * Ho + oy) * Wo + ox) * C + c, ((n * H + iy) * W + ix) * C + c, wy * wx);
  return [N, Ho, Wo, C];
}

export function resizeRef(x: Arr, size: [number, number], p: RefResize): Arr {
  const out = new Float64Array(x.shape[0] * size[0] * size[1] * x.shape[3]);
  const shape = terms(x.shape, size, p, (o, i, w) => { out[o] += w * x.values[i]; });
  return { shape, values: Array.from(out) };
}

export function resizeGradRef(x: Arr, dy: Arr, size: [number, number], p: RefResize): number[] {
  const dx = new Float64Array(x.values.length);
  terms(x.shape, size, p, (o, i, w) => { dx[i] += w * dy.values[o]; });
  return Array.from(dx);
}
