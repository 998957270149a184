// data.augment: the wasm flip + crop kernel against the naive reference in test/reference/augment.ts,
// the documented draw order from the seeded generator, reproducibility, and argument checks.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, setSeed, tidy, ShapeError, ValueError } from '../src/index.js';
import { augment, augmentWithParams, drawAugmentParams } from '../src/data/augment.js';
import { nextFloat, nextInt } from '../src/random.js';
import { augmentReference } from './reference/augment.js';

function ramp(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 1 + i * 0.25);
}

describe('augmentFlipCrop kernel vs reference', () => {
  const cases: [string, number[], number[]][] = [
    ['x=[1,4,5,1] identity', [1, 4, 5, 1], [0, 0, 0, 0]],
    ['x=[1,4,5,1] flipH', [1, 4, 5, 1], [1, 0, 0, 0]],
    ['x=[1,4,5,1] flipV', [1, 4, 5, 1], [0, 1, 0, 0]],
    ['x=[1,4,5,3] shift dy=1 dx=-2', [1, 4, 5, 3], [0, 0, 1, -2]],
    ['x=[1,4,5,3] flipH+flipV dy=-1 dx=2', [1, 4, 5, 3], [1, 1, -1, 2]],
    ['x=[1,3,3,2] shift past the image dx=5', [1, 3, 3, 2], [1, 0, 0, 5]],
    ['x=[1,3,3,4] shift past the image dy=-3', [1, 3, 3, 4], [0, 0, -3, 0]],
    ['x=[3,6,6,1] per-sample params', [3, 6, 6, 1], [1, 0, 2, 2, 0, 0, -2, -2, 1, 1, 0, 1]],
  ];
  it.each(cases)('%s', (_name, shape, params) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const vals = ramp(n);
    tidy(() => {
      const out = augmentWithParams(tensor(vals, shape), Int32Array.from(params));
      expect(out.shape).toEqual(shape);
      expect(out.dataSync()).toEqual(augmentReference(vals, shape, params));
    });
  });

  it('random shapes and parameters (fast-check)', () => {
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 7 }),
      w: fc.integer({ min: 1, max: 7 }), c: fc.integer({ min: 1, max: 5 }),
    }).chain((s) => fc.record({
      shape: fc.constant([s.n, s.h, s.w, s.c]),
      params: fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: -8, max: 8 }), fc.integer({ min: -8, max: 8 })), { minLength: s.n, maxLength: s.n }),
    }));
    fc.assert(fc.property(arb, ({ shape, params }) => {
      const vals = ramp(shape.reduce((a, b) => a * b, 1));
      const flat = params.flat();
      tidy(() => {
        const out = augmentWithParams(tensor(vals, shape), Int32Array.from(flat));
        expect(out.dataSync()).toEqual(augmentReference(vals, shape, flat));
      });
    }), { numRuns: 300 });
  });
});

describe('augment (seeded draws)', () => {
  const shape = [16, 8, 8, 3];
  const vals = ramp(16 * 8 * 8 * 3);

  it('draws per sample: flipH, flipV, then crop rows and columns, from src/random.ts', () => {
    setSeed(123);
    const expected: number[] = [];
    for (let s = 0; s < 16; s++) {
      const fh = nextFloat() < 0.5 ? 1 : 0;
      const fv = nextFloat() < 0.5 ? 1 : 0;
      const dy = nextInt(7) - 3;
      const dx = nextInt(7) - 3;
      expected.push(fh, fv, dy, dx);
    }
    setSeed(123);
    tidy(() => {
      const out = augment(tensor(vals, shape), { flipHorizontal: true, flipVertical: true, randomCrop: { padding: 3 } });
      expect(out.dataSync()).toEqual(augmentReference(vals, shape, expected));
    });
  });

  it('the same seed gives bit-identical batches; another seed a different one', () => {
    const run = (seed: number) => tidy(() => {
      setSeed(seed);
      return augment(tensor(vals, shape), { flipHorizontal: true, randomCrop: { padding: 2 } }).dataSync();
    });
    const a = run(7), b = run(7), c = run(8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('leaves x unchanged and returns a new tensor', () => {
    tidy(() => {
      const x = tensor(vals, shape);
      const y = augment(x, { flipHorizontal: true, randomCrop: { padding: 4 } });
      expect(y).not.toBe(x);
      expect(x.dataSync()).toEqual(vals);
    });
  });

  it('no options, or padding 0 without flips, copies x', () => {
    tidy(() => {
      const x = tensor(vals, shape);
      expect(augment(x).dataSync()).toEqual(vals);
      expect(augment(x, { randomCrop: { padding: 0 } }).dataSync()).toEqual(vals);
    });
  });

  it('flips about half of the samples, shifts spread over [-p, p]', () => {
    setSeed(1);
    const p = drawAugmentParams(2000, { flipHorizontal: true, randomCrop: { padding: 2 } });
    let flips = 0;
    const dys = new Map<number, number>();
    for (let s = 0; s < 2000; s++) {
      flips += p[4 * s];
      expect(p[4 * s + 1]).toBe(0);
      dys.set(p[4 * s + 2], (dys.get(p[4 * s + 2]) ?? 0) + 1);
      expect(Math.abs(p[4 * s + 3])).toBeLessThanOrEqual(2);
    }
    expect(flips).toBeGreaterThan(900);
    expect(flips).toBeLessThan(1100);
    expect([...dys.keys()].sort()).toEqual([-1, -2, 0, 1, 2]);
    for (const count of dys.values()) expect(count).toBeGreaterThan(300);
  });

  it('empty batch', () => {
    tidy(() => {
      const out = augment(tensor(new Float32Array(0), [0, 4, 4, 1]), { flipHorizontal: true });
      expect(out.shape).toEqual([0, 4, 4, 1]);
    });
  });
});

describe('augment argument checks', () => {
  it('rank other than 4 is a ShapeError', () => {
    tidy(() => expect(() => augment(tensor(new Float32Array(16), [4, 4]), {})).toThrow(ShapeError));
  });
  it('int32 input is a ValueError', () => {
    tidy(() => expect(() => augment(tensor(new Int32Array(16), [1, 4, 4, 1]), {})).toThrow(/augment: x must be float32/));
  });
  it.each([[-1], [1.5], ['2'], [undefined]])('padding %s is a ValueError', (padding) => {
    tidy(() => expect(() => augment(tensor(new Float32Array(16), [1, 4, 4, 1]), { randomCrop: { padding } as any }))
      .toThrow(ValueError));
  });
  it('an unknown option is a ValueError naming it', () => {
    tidy(() => expect(() => augment(tensor(new Float32Array(16), [1, 4, 4, 1]), { flipHorizontl: true } as any))
      .toThrow(/unknown option 'flipHorizontl'/));
  });
  it('a non-boolean flip is a ValueError', () => {
    tidy(() => expect(() => augment(tensor(new Float32Array(16), [1, 4, 4, 1]), { flipHorizontal: 1 } as any))
      .toThrow(ValueError));
  });
});
