// Depthwise conv2d forward (multiplier 1): the unrolled three-tap-row kernels
// (assembly/conv/depthwise-3x3.ts) and the stride-2 sliding tile (assembly/conv/depthwise-stride2.ts)
// against the float64 reference, and bit for bit against the generic channel-tile kernel they
// replace (same sums in the same order), over strides, paddings, kernel widths, widths that leave
// border and remainder pixels, channel counts off multiples of 4, and batches.
import { describe, it, expect } from 'vitest';
import { tensor, ops, tidy } from '../src/index.js';
import { convTuning } from '../src/ops/conv/algorithm.js';
import { refConv2d, refPads } from './reference/conv.js';
import { randomValues } from './reference/gradcheck.js';
import { expectClose, reductionTolerance } from './harness/close.js';
import type { Padding2d } from '../src/ops/conv/geometry.js';

interface Case { x: number[]; k: [number, number]; s?: [number, number]; d?: [number, number]; p: Padding2d; act?: 'relu'; bias?: boolean }

const CASES: Case[] = [
  { x: [1, 14, 14, 32], k: [3, 3], p: 'same', act: 'relu' },
  { x: [2, 9, 17, 12], k: [3, 3], p: 'same' },
  { x: [1, 7, 7, 24], k: [3, 3], p: 'same', act: 'relu' },
  { x: [1, 15, 15, 16], k: [3, 3], s: [2, 2], p: 'same' },
  { x: [1, 16, 16, 20], k: [3, 3], s: [2, 2], p: [[0, 1], [0, 1]], act: 'relu' },
  { x: [2, 11, 23, 8], k: [3, 3], s: [1, 2], p: 'valid', bias: false },
  { x: [1, 10, 13, 6], k: [3, 3], p: 'same' }, // 4 channels unrolled, 2 through the scalar tail
  { x: [1, 12, 12, 9], k: [5, 3], p: [[2, 2], [1, 1]] }, // five kernel rows, three taps
  { x: [1, 12, 12, 8], k: [3, 3], d: [2, 1], p: [[2, 2], [1, 1]] }, // rows dilated, columns not
  { x: [1, 13, 13, 8], k: [3, 3], p: [[3, 0], [4, 2]] }, // uneven padding, more than the kernel
  // Stride-2 rows of other widths (the sliding stride-2 tile).
  { x: [1, 14, 14, 24], k: [5, 5], s: [2, 2], p: 'same', act: 'relu' },
  { x: [1, 23, 21, 12], k: [5, 5], s: [2, 2], p: [[2, 2], [2, 2]] },
  { x: [2, 19, 27, 10], k: [5, 5], s: [2, 2], p: 'valid', bias: false }, // two 4-channel tiles, 2 channels in the scalar tail
  { x: [1, 12, 30, 8], k: [3, 4], s: [1, 2], p: [[1, 1], [1, 2]] }, // even row width
  { x: [1, 9, 25, 4], k: [1, 7], s: [2, 2], p: [[0, 0], [3, 3]] },
  { x: [1, 9, 17, 4], k: [2, 1], s: [2, 2], p: 'valid' }, // one tap per row
];

const name = (c: Case) => `x=${JSON.stringify(c.x)} k=${c.k} s=${c.s ?? [1, 1]} d=${c.d ?? [1, 1]} p=${JSON.stringify(c.p)}${c.act ? ' relu' : ''}${c.bias === false ? ' no bias' : ''}`;

function run(c: Case, unrolled: boolean, seed: number): { y: Float32Array; shape: number[] } {
  const prev = convTuning.depthwiseUnrolled;
  convTuning.depthwiseUnrolled = unrolled;
  try {
    return tidy(() => {
      const C = c.x[3];
      const f = [c.k[0], c.k[1], 1, C];
      const x = tensor(randomValues(c.x.reduce((a, b) => a * b), seed), c.x);
      const w = tensor(randomValues(f.reduce((a, b) => a * b), seed + 1), f);
      const b = c.bias === false ? null : tensor(randomValues(C, seed + 2), [C]);
      const y = ops.conv2d(x, w, b, { strides: c.s, dilation: c.d, padding: c.p, groups: C, activation: c.act });
      return { y: y.dataSync().slice(), shape: [...y.shape] };
    });
  } finally {
    convTuning.depthwiseUnrolled = prev;
  }
}

describe('depthwise forward, three-tap rows', () => {
  it.each(CASES.map((c) => [name(c), c] as const))('%s: matches the reference, and the generic kernel bit for bit', (_n, c) => {
    const seed = 41;
    const fast = run(c, true, seed);
    const C = c.x[3];
    const f = [c.k[0], c.k[1], 1, C];
    const strides = c.s ?? [1, 1], dilation = c.d ?? [1, 1];
    const xv = randomValues(c.x.reduce((a, b) => a * b), seed), wv = randomValues(f.reduce((a, b) => a * b), seed + 1);
    const bv = c.bias === false ? null : randomValues(C, seed + 2);
    const pads = refPads(c.p, c.x[1], c.x[2], c.k[0], c.k[1], strides, dilation);
    const ref = refConv2d(xv, c.x, wv, f, bv, { strides, dilation, pads, groups: C });
    expect(fast.shape).toEqual(ref.shape);
    expectClose(fast.y, c.act === 'relu' ? ref.y.map((v) => Math.max(v, 0)) : ref.y, { ...reductionTolerance(c.k[0] * c.k[1]), what: 'y' });
    expect(Array.from(fast.y)).toEqual(Array.from(run(c, false, seed).y));
  });
});
