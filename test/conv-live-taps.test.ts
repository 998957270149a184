// Forward convs drop the kernel taps that read only padding (src/ops/conv/live-taps.ts): which
// taps are live, and dilated convs on maps smaller than their dilation (DeepLab's ASPP) against
// the float64 reference, down to a 1x1 GEMM, on every conv path the smaller kernel takes.
import { describe, it, expect } from 'vitest';
import { tensor, ops, tidy } from '../src/index.js';
import { convTuning } from '../src/ops/conv/algorithm.js';
import { liveTapRange } from '../src/ops/conv/live-taps.js';
import type { Padding2d } from '../src/ops/conv/geometry.js';
import { refConv2d, refPads } from './reference/conv.js';
import { randomValues } from './reference/gradcheck.js';
import { expectClose, reductionTolerance } from './harness/close.js';

interface Case { x: number[]; f: number[]; d: [number, number]; s?: [number, number]; p: Padding2d; g?: number; act?: 'relu' }

const CASES: Case[] = [
  { x: [1, 7, 7, 16], f: [3, 3, 16, 24], d: [9, 9], p: [[9, 9], [9, 9]] }, // only the centre: a 1x1 GEMM
  { x: [2, 6, 8, 8], f: [3, 3, 8, 12], d: [7, 3], p: [[7, 7], [3, 3]], act: 'relu' }, // rows pruned, columns kept
  { x: [1, 5, 5, 6], f: [5, 5, 6, 8], d: [4, 4], p: [[8, 8], [8, 8]] }, // 5x5 -> 3x3 (stride 1: Winograd needs 8+ channels)
  { x: [2, 2, 2, 16], f: [7, 7, 16, 16], d: [1, 1], p: [[3, 3], [3, 3]] }, // 7x7 -> 3x3 on a 2x2 map: Winograd
  { x: [1, 6, 6, 16], f: [3, 3, 1, 16], g: 16, d: [6, 6], p: [[6, 6], [6, 6]] }, // depthwise -> 1x1 depthwise
  { x: [1, 9, 9, 8], f: [3, 3, 4, 8], g: 2, s: [2, 2], d: [10, 10], p: [[10, 10], [10, 10]] }, // grouped, strided
];

const name = (c: Case) => `x=${JSON.stringify(c.x)} f=${JSON.stringify(c.f)} d=${c.d} s=${c.s ?? [1, 1]} g=${c.g ?? 1}`;

describe('dead kernel taps', () => {
  it('liveTapRange: the taps some output reads inside the image', () => {
    expect(liveTapRange(3, 36, 36, 1, 28, 28)).toEqual([1, 2]);
    expect(liveTapRange(3, 24, 24, 1, 28, 28)).toEqual([0, 3]);
    expect(liveTapRange(3, 1, 1, 1, 5, 5)).toEqual([0, 3]);
    expect(liveTapRange(5, 4, 8, 1, 5, 5)).toEqual([1, 4]);
    expect(liveTapRange(3, 10, 10, 2, 5, 9)).toEqual([1, 2]);
    expect(liveTapRange(3, 5, 0, 1, 1, 11)).toEqual([0, 3]); // valid: every tap inside
  });

  it.each(CASES.map((c) => [name(c), c] as const))('%s matches the reference with the dead taps dropped and kept', (_n, c) => {
    const strides = c.s ?? [1, 1], dilation = c.d, groups = c.g ?? 1;
    const xv = randomValues(c.x.reduce((a, b) => a * b), 3), wv = randomValues(c.f.reduce((a, b) => a * b), 4), bv = randomValues(c.f[3], 5);
    const pads = refPads(c.p, c.x[1], c.x[2], c.f[0], c.f[1], strides, dilation);
    const ref = refConv2d(xv, c.x, wv, c.f, bv, { strides, dilation, pads, groups });
    const yRef = c.act === 'relu' ? ref.y.map((v) => Math.max(v, 0)) : ref.y;
    const prev = { drop: convTuning.dropDeadTaps, cache: convTuning.winogradCacheBytes };
    try {
      // Cache 0: a Winograd conv transforms its weights into scratch, not the cache, which must
      // not be where the live taps were copied to (twice: the second call finds the scratch
      // already large enough, so nothing is reallocated between the copy and the transform).
      for (const [drop, cache] of [[true, prev.cache], [true, 0], [true, 0], [false, prev.cache]] as const) {
        convTuning.dropDeadTaps = drop;
        convTuning.winogradCacheBytes = cache;
        const y = tidy(() => ops.conv2d(tensor(xv, c.x), tensor(wv, c.f), tensor(bv, [c.f[3]]), { strides, dilation, padding: c.p, groups, activation: c.act }).dataSync().slice());
        expectClose(y, yRef, { ...reductionTolerance(c.f[0] * c.f[1] * c.f[2]), what: `y (drop ${drop}, Winograd cache ${cache} bytes)` });
      }
    } finally {
      convTuning.dropDeadTaps = prev.drop;
      convTuning.winogradCacheBytes = prev.cache;
    }
  });
});
