// Naive convolution references in float64, written straight from the definitions (one loop per
// index, nothing clever), with their own padding resolution, to check the kernels and
// src/ops/conv/ against.

export type Arr = ArrayLike<number>;
export type Pad4 = [number, number, number, number]; // top, bottom, left, right

export interface RefConv {
  strides?: [number, number];
  dilation?: [number, number];
  pads?: Pad4;
  groups?: number;
}

/** TensorFlow 'same'/'valid' or explicit pads, resolved from the definitions. */
export function refPads(padding: unknown, inH: number, inW: number, kH: number, kW: number,
                        [sh, sw]: [number, number], [dh, dw]: [number, number]): Pad4 {
  const ekH = (kH - 1) * dh + 1, ekW = (kW - 1) * dw + 1;
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') {
    const outH = Math.ceil(inH / sh), outW = Math.ceil(inW / sw);
    const th = Math.max(0, (outH - 1) * sh + ekH - inH), tw = Math.max(0, (outW - 1) * sw + ekW - inW);
    return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
  }
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  const [a, b] = padding as any[];
  if (Array.isArray(a)) return [a[0], a[1], b[0], b[1]];
  return [a, a, b, b];
}

export function refOutSize(inSize: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((inSize + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;
}

/** The geometry of refConv2d: shapes, strides, dilation, pads and groups, with its output size. */
function refConvGeometry(xShape: number[], wShape: number[], o: RefConv) {
  const [N, H, W, C] = xShape;
  const [kH, kW, Cg, CO] = wShape;
  const [sh, sw] = o.strides ?? [1, 1];
  const [dh, dw] = o.dilation ?? [1, 1];
  const [t, b, l, r] = o.pads ?? [0, 0, 0, 0];
  const G = o.groups ?? 1;
  if (Cg * G !== C) throw new Error('refConv2d: channel mismatch');
  const Ho = refOutSize(H, kH, sh, dh, t, b), Wo = refOutSize(W, kW, sw, dw, l, r);
  return { N, H, W, C, kH, kW, Cg, CO, sh, sw, dh, dw, t, l, Og: CO / G, Ho, Wo };
}

/**
 * Visits every product term of the convolution, y[yi] gets x[xi] * w[wi], in the order
 * n, oh, ow, co, then kh, kw, ci; taps that fall in the padding are skipped.
 */
function forEachConvTerm(xShape: number[], wShape: number[], o: RefConv, visit: (yi: number, xi: number, wi: number) => void): void {
  const { N, H, W, C, kH, kW, Cg, CO, sh, sw, dh, dw, t, l, Og, Ho, Wo } = refConvGeometry(xShape, wShape, o);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++)
        for (let co = 0; co < CO; co++) {
          const g = Math.floor(co / Og);
          for (let kh = 0; kh < kH; kh++)
            for (let kw = 0; kw < kW; kw++)
              for (let ci = 0; ci < Cg; ci++) {
                const ih = oh * sh - t + kh * dh, iw = ow * sw - l + kw * dw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                visit(((n * Ho + oh) * Wo + ow) * CO + co, ((n * H + ih) * W + iw) * C + g * Cg + ci, ((kh * kW + kw) * Cg + ci) * CO + co);
              }
        }
}

/** y[n,oh,ow,co] = bias[co] + sum_{kh,kw,ci in group} x[n, oh*sh-t+kh*dh, ow*sw-l+kw*dw, g*Cg+ci] * w[kh,kw,ci,co]. */
export function refConv2d(x: Arr, xShape: number[], w: Arr, wShape: number[], bias: Arr | null, o: RefConv = {}) {
  const { N, CO, Ho, Wo } = refConvGeometry(xShape, wShape, o);
  const y = new Float64Array(N * Ho * Wo * CO);
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[i % CO];
  forEachConvTerm(xShape, wShape, o, (yi, xi, wi) => { y[yi] += x[xi] * w[wi]; });
  return { y, shape: [N, Ho, Wo, CO] };
}

/** dx = d(sum(y * dy))/dx for refConv2d: every term x*w*dy scattered back to x. */
export function refConv2dBackpropInput(xShape: number[], dy: Arr, w: Arr, wShape: number[], o: RefConv = {}) {
  const dx = new Float64Array(xShape.reduce((a, d) => a * d, 1));
  forEachConvTerm(xShape, wShape, o, (yi, xi, wi) => { dx[xi] += dy[yi] * w[wi]; });
  return dx;
}

/** dw = d(sum(y * dy))/dw for refConv2d. */
export function refConv2dBackpropFilter(x: Arr, xShape: number[], dy: Arr, wShape: number[], o: RefConv = {}) {
  const dW = new Float64Array(wShape.reduce((a, d) => a * d, 1));
  forEachConvTerm(xShape, wShape, o, (yi, xi, wi) => { dW[wi] += dy[yi] * x[xi]; });
  return dW;
}

/**
 * Transposed convolution from its own definition (each input pixel scatters its kernel-weighted
 * values into the output): y[n, ih*sh - t + kh*dh, iw*sw - l + kw*dw, oc] += x[n,ih,iw,ic] * w[kh,kw,oc,ic],
 * dropping positions outside [0, outH) x [0, outW). w is [kH, kW, outC, inC].
 */
export function refConv2dTranspose(x: Arr, xShape: number[], w: Arr, wShape: number[], bias: Arr | null,
                                   outH: number, outW: number, o: { strides?: [number, number]; dilation?: [number, number]; padTop?: number; padLeft?: number } = {}) {
  const [N, H, W, IC] = xShape;
  const [kH, kW, OC] = wShape;
  const [sh, sw] = o.strides ?? [1, 1];
  const [dh, dw] = o.dilation ?? [1, 1];
  const t = o.padTop ?? 0, l = o.padLeft ?? 0;
  const y = new Float64Array(N * outH * outW * OC);
  for (let n = 0; n < N; n++)
    for (let p = 0; p < outH * outW; p++)
      for (let oc = 0; oc < OC; oc++) y[(n * outH * outW + p) * OC + oc] = bias ? bias[oc] : 0;
  for (let n = 0; n < N; n++)
    for (let ih = 0; ih < H; ih++)
      for (let iw = 0; iw < W; iw++)
        for (let ic = 0; ic < IC; ic++) {
          const v = x[((n * H + ih) * W + iw) * IC + ic];
          for (let kh = 0; kh < kH; kh++)
            for (let kw = 0; kw < kW; kw++) {
              const oh = ih * sh - t + kh * dh, ow = iw * sw - l + kw * dw;
              if (oh < 0 || oh >= outH || ow < 0 || ow >= outW) continue;
              for (let oc = 0; oc < OC; oc++) y[((n * outH + oh) * outW + ow) * OC + oc] += v * w[((kh * kW + kw) * OC + oc) * IC + ic];
            }
        }
  return { y, shape: [N, outH, outW, OC] };
}
