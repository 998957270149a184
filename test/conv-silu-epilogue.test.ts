// A fused conv's silu epilogue (convTuning.siluEpilogue): the one-pass kernel (pointwise conv) and
// the depthwise kernel's row-by-row silu (assembly/elementwise/silu-lanes.ts) give the bits of the
// two passes (Sigmoid into scratch, then Mul) on every input: values in the exp's range, blocks with
// one lane out of it (|x| > 87, infinities, NaN), zeros, and runs that end off a whole block.
import { describe, it, expect } from 'vitest';
import { tensor, tidy, _conv2dFused } from '../src/index.js';
import { convTuning } from '../src/ops/conv/algorithm.js';
import { randomValues } from './reference/gradcheck.js';

const SPECIAL = [100, -100, 88.5, -87.5, 1e30, -1e30, Infinity, -Infinity, NaN, 0, -0, 1e-40, -1e-40];

/** Values in range (about +-20), and one special value in every other 32-float block. */
function inputs(n: number, seed: number): Float32Array {
  const v = Float32Array.from(randomValues(n, seed), (u) => 20 * u);
  for (let b = 0, s = 0; b * 32 < n; b += 2, s++) {
    const i = b * 32 + (s * 7) % 32;
    if (i < n) v[i] = SPECIAL[s % SPECIAL.length];
  }
  return v;
}

/** The bits of silu(conv(x)) with unit weights and no bias: a 1x1 depthwise conv, or a pointwise one. */
function run(shape: number[], depthwise: boolean, mode: typeof convTuning.siluEpilogue, seed: number): Uint32Array {
  const prev = convTuning.siluEpilogue;
  convTuning.siluEpilogue = mode;
  try {
    return tidy(() => {
      const C = shape[3];
      const x = tensor(inputs(shape.reduce((a, b) => a * b), seed), shape);
      // Pointwise: the identity matrix, so y = 0 + x * 1 (+ 0 * the other channels) is x but for -0.
      const w = depthwise
        ? tensor(new Float32Array(C).fill(1), [1, 1, 1, C])
        : tensor(Float32Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0)), [1, 1, C, C]);
      const { y } = _conv2dFused(x, w, null, depthwise ? { groups: C } : {}, { activation: 'silu' });
      return new Uint32Array(y.dataSync().slice().buffer);
    });
  } finally {
    convTuning.siluEpilogue = prev;
  }
}

describe('fused conv silu', () => {
  it.each([[[1, 7, 9, 12]], [[2, 5, 16, 8]], [[1, 3, 3, 5]], [[1, 11, 13, 64]]])('%j: one pass and in-kernel give the two passes\' bits', (shape) => {
    for (const depthwise of [true, false]) {
      if (!depthwise && shape[3] > 16) continue;
      const seed = 7 + shape[3];
      const ref = run(shape, depthwise, 'twoPass', seed);
      expect(Array.from(run(shape, depthwise, 'onePass', seed))).toEqual(Array.from(ref));
      expect(Array.from(run(shape, depthwise, 'inKernel', seed))).toEqual(Array.from(ref));
    }
  });
});
