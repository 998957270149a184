// Grouped conv2d forward through the direct small-group kernel (assembly/conv/grouped.ts) against
// the float64 reference: group sizes of 2-16 channels, 4-16 outputs per group, strides, dilation,
// paddings that clip every border, batches, fused relu; and which geometries take it.
import { describe, it, expect } from 'vitest';
import { tensor, ops, tidy } from '../src/index.js';
import { convTuning, useGroupedDirect } from '../src/ops/conv/algorithm.js';
import { conv2dGeometry, type Padding2d } from '../src/ops/conv/geometry.js';
import { refConv2d, refPads } from './reference/conv.js';
import { randomValues } from './reference/gradcheck.js';
import { expectClose, reductionTolerance } from './harness/close.js';

interface Case { x: number[]; f: number[]; g: number; s?: [number, number]; d?: [number, number]; p: Padding2d; act?: 'relu'; bias?: boolean }

const CASES: Case[] = [
  { x: [1, 14, 14, 48], f: [3, 3, 8, 48], g: 6, p: 'same', act: 'relu' }, // RegNetY-like
  { x: [1, 15, 15, 32], f: [3, 3, 4, 32], g: 8, s: [2, 2], p: 'same' }, // ResNeXt-like, stride 2
  { x: [2, 9, 13, 32], f: [3, 3, 16, 32], g: 2, p: 'same' }, // 16 per group: two 8-wide tiles
  { x: [1, 7, 7, 24], f: [3, 3, 2, 48], g: 12, p: 'same', act: 'relu' }, // 2 in, 4 out per group
  { x: [1, 11, 12, 12], f: [3, 5, 4, 12], g: 3, d: [2, 1], p: [[2, 2], [2, 2]], bias: false },
  { x: [1, 10, 17, 16], f: [5, 3, 8, 24], g: 2, s: [1, 2], p: [[3, 0], [0, 4]] }, // 12 out per group: 8 + 4
  { x: [3, 6, 9, 8], f: [2, 2, 4, 8], g: 2, p: 'valid' },
];

const name = (c: Case) => `x=${JSON.stringify(c.x)} f=${JSON.stringify(c.f)} g=${c.g} s=${c.s ?? [1, 1]} d=${c.d ?? [1, 1]} p=${JSON.stringify(c.p)}${c.act ? ' relu' : ''}`;

describe('grouped conv2d forward, direct kernel', () => {
  it.each(CASES.map((c) => [name(c), c] as const))('%s matches the reference', (_n, c) => {
    const strides = c.s ?? [1, 1], dilation = c.d ?? [1, 1];
    const opts = { strides, dilation, padding: c.p, groups: c.g, activation: c.act };
    expect(useGroupedDirect(conv2dGeometry(c.x, c.f, opts, 'conv2d'))).toBe(true);
    const xv = randomValues(c.x.reduce((a, b) => a * b), 7), wv = randomValues(c.f.reduce((a, b) => a * b), 8);
    const bv = c.bias === false ? null : randomValues(c.f[3], 9);
    const pads = refPads(c.p, c.x[1], c.x[2], c.f[0], c.f[1], strides, dilation);
    const ref = refConv2d(xv, c.x, wv, c.f, bv, { strides, dilation, pads, groups: c.g });
    const y = tidy(() => ops.conv2d(tensor(xv, c.x), tensor(wv, c.f), bv && tensor(bv, [c.f[3]]), opts).dataSync().slice());
    expectClose(y, c.act === 'relu' ? ref.y.map((v) => Math.max(v, 0)) : ref.y, { ...reductionTolerance(c.f[0] * c.f[1] * c.f[2]), what: 'y' });
  });

  it('gives the bits of im2col + GEMM (bias first, then the taps in (kh, kw, channel) order)', () => {
    const prev = convTuning.groupedDirectMaxChannels;
    try {
      for (const c of CASES) {
        const opts = { strides: c.s, dilation: c.d, padding: c.p, groups: c.g, activation: c.act };
        const xv = randomValues(c.x.reduce((a, b) => a * b), 11), wv = randomValues(c.f.reduce((a, b) => a * b), 12);
        const bv = c.bias === false ? null : randomValues(c.f[3], 13);
        const run = (max: number) => {
          convTuning.groupedDirectMaxChannels = max;
          return tidy(() => Array.from(ops.conv2d(tensor(xv, c.x), tensor(wv, c.f), bv && tensor(bv, [c.f[3]]), opts).dataSync()));
        };
        expect(run(16), name(c)).toEqual(run(0));
      }
    } finally {
      convTuning.groupedDirectMaxChannels = prev;
    }
  });

  it('takes groups of 2-16 channels with outputs per group a multiple of 4, not depthwise, pointwise or larger groups', () => {
    const direct = (x: number[], f: number[], groups: number) => useGroupedDirect(conv2dGeometry(x, f, { groups, padding: 'same' }, 'conv2d'));
    expect(direct([1, 8, 8, 32], [3, 3, 8, 32], 4)).toBe(true);
    expect(direct([1, 8, 8, 32], [3, 3, 1, 32], 32)).toBe(false); // depthwise
    expect(direct([1, 8, 8, 32], [1, 1, 8, 32], 4)).toBe(false); // pointwise
    expect(direct([1, 8, 8, 64], [3, 3, 32, 64], 2)).toBe(false); // 32 per group
    expect(direct([1, 8, 8, 12], [3, 3, 4, 6], 3)).toBe(false); // 2 outputs per group
    expect(direct([1, 8, 8, 16], [3, 3, 16, 16], 1)).toBe(false); // ungrouped
    const prev = convTuning.groupedDirectMaxChannels;
    try {
      convTuning.groupedDirectMaxChannels = 0;
      expect(direct([1, 8, 8, 32], [3, 3, 8, 32], 4)).toBe(false);
    } finally {
      convTuning.groupedDirectMaxChannels = prev;
    }
  });
});
