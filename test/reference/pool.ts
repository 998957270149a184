// Naive pooling references in float64, from the definitions: windows clipped to the image
// (padding never wins a max and is not counted in an average); max gradient to the first
// (row-major) maximum of each window.
import type { Arr } from './conv.js';

export interface RefPool { k: [number, number]; s: [number, number]; pads: [number, number, number, number] }

function windows(xShape: number[], { k, s, pads }: RefPool) {
  const [N, H, W, C] = xShape;
  const [t, b, l, r] = pads;
  const Ho = Math.floor((H + t + b - k[0]) / s[0]) + 1, Wo = Math.floor((W + l + r - k[1]) / s[1]) + 1;
  const list: { o: number; n: number; cells: number[] }[] = []; // cells: pixel indices n*H*W + h*W + w
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < Ho; oh++)
      for (let ow = 0; ow < Wo; ow++) {
        const cells: number[] = [];
        for (let kh = 0; kh < k[0]; kh++)
          for (let kw = 0; kw < k[1]; kw++) {
            const h = oh * s[0] - t + kh, w = ow * s[1] - l + kw;
            if (h >= 0 && h < H && w >= 0 && w < W) cells.push((n * H + h) * W + w);
          }
        list.push({ o: (n * Ho + oh) * Wo + ow, n, cells });
      }
  return { list, shape: [N, Ho, Wo, C], C };
}

export function refMaxPool(x: Arr, xShape: number[], p: RefPool) {
  const { list, shape, C } = windows(xShape, p);
  const y = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (const win of list)
    for (let c = 0; c < C; c++) y[win.o * C + c] = Math.max(...win.cells.map((q) => x[q * C + c]));
  return { y, shape };
}

export function refMaxPoolBackward(x: Arr, xShape: number[], dy: Arr, p: RefPool) {
  const { list, C } = windows(xShape, p);
  const dx = new Float64Array(x.length);
  for (const win of list)
    for (let c = 0; c < C; c++) {
      let best = win.cells[0];
      for (const q of win.cells) if (x[q * C + c] > x[best * C + c]) best = q;
      dx[best * C + c] += dy[win.o * C + c];
    }
  return dx;
}

export function refAvgPool(x: Arr, xShape: number[], p: RefPool) {
  const { list, shape, C } = windows(xShape, p);
  const y = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (const win of list)
    for (let c = 0; c < C; c++) y[win.o * C + c] = win.cells.reduce((s, q) => s + x[q * C + c], 0) / win.cells.length;
  return { y, shape };
}

export function refAvgPoolBackward(xShape: number[], dy: Arr, p: RefPool) {
  const { list, C } = windows(xShape, p);
  const dx = new Float64Array(xShape.reduce((a, b) => a * b, 1));
  for (const win of list)
    for (let c = 0; c < C; c++) for (const q of win.cells) dx[q * C + c] += dy[win.o * C + c] / win.cells.length;
  return dx;
}
