// data.augment's pixel transforms — rotation, zoom, brightness, contrast, cutout — against the
// float64 references in test/reference/augment.ts, the documented draw order from the seeded
// generator, reproducibility, and the options' checks.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { tensor, setSeed, tidy, data, ValueError } from '../src/index.js';
import { applyAugmentation, drawAugmentation } from '../src/data/augment.js';
import { planAugment } from '../src/data/augment-options.js';
import { getRandomState, nextFloat, nextInt } from '../src/random.js';
import { expectClose } from './harness/close.js';
import { affineReference, augmentReference, colorReference, cutoutReference } from './reference/augment.js';

/** Seeded values in [0, 1), rounded to float32. */
function image(n: number, seed = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; });
}
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const draws = (d: Partial<Parameters<typeof applyAugmentation>[1]>) => ({ flipCrop: null, affine: null, color: null, cutout: null, ...d });

// Bilinear weights and taps are in [0, 1] and the values in [0, 1): float64 arithmetic, one
// rounding to float32 (half an ulp, < 3e-8), and the sine / cosine of two Math libraries differing in
// the last bit move a sample point by ~1e-15 pixels.
const AFFINE = { atol: 1e-7 };

describe('rotation and zoom (augmentAffine kernel) vs the float64 reference', () => {
  const cases: [string, number[], number[]][] = [
    ['identity', [1, 5, 6, 1], [0, 1]],
    ['30 degrees', [1, 7, 7, 3], [Math.PI / 6, 1]],
    ['-75 degrees, 4 channels', [1, 6, 9, 4], [-75 * Math.PI / 180, 1]],
    ['zoom out 1.4', [1, 8, 5, 2], [0, 1.4]],
    ['zoom in 0.6', [1, 8, 8, 1], [0, 0.6]],
    ['rotation and zoom per sample', [3, 6, 7, 3], [0.3, 0.8, -1.2, 1.3, 3.1, 1]],
    ['one pixel', [2, 1, 1, 2], [0.7, 1.5, -0.2, 0.5]],
  ];
  it.each(cases)('%s', (_name, shape, params) => {
    const vals = image(size(shape));
    tidy(() => {
      const out = applyAugmentation(tensor(vals, shape), draws({ affine: Float64Array.from(params) }));
      expect(out.shape).toEqual(shape);
      expectClose(out.dataSync(), affineReference(vals, shape, params), { ...AFFINE, what: 'augmentAffine' });
    });
  });

  it('angle 0 and zoom 1 copy the image exactly', () => {
    const vals = image(4 * 5 * 3);
    tidy(() => expect(applyAugmentation(tensor(vals, [1, 4, 5, 3]), draws({ affine: Float64Array.from([0, 1]) })).dataSync()).toEqual(vals));
  });

  it('90 degrees turns a square image counter-clockwise: the top-right corner goes to the top-left', () => {
    const shape = [1, 5, 5, 1];
    const vals = image(25);
    tidy(() => {
      const out = applyAugmentation(tensor(vals, shape), draws({ affine: Float64Array.from([Math.PI / 2, 1]) })).dataSync();
      // Exact permutation up to the cosine's rounding: out[i][j] = x[j][w - 1 - i].
      const turned = Float32Array.from({ length: 25 }, (_, q) => vals[(q % 5) * 5 + 4 - Math.floor(q / 5)]);
      expectClose(out, turned, { atol: 1e-6, what: 'rotated by 90 degrees' });
    });
  });

  it('zoom out by 2 leaves the centre pixel and shrinks the content: the border is 0', () => {
    const shape = [1, 9, 9, 1];
    const vals = Float32Array.from({ length: 81 }, (_, q) => 1 + q);
    tidy(() => {
      const out = applyAugmentation(tensor(vals, shape), draws({ affine: Float64Array.from([0, 2]) })).dataSync();
      expect(out[40]).toBe(41);
      expect(out[4 * 9 + 5]).toBe(vals[4 * 9 + 6]); // one step right samples two steps right
      expect(out[0]).toBe(0);
    });
  });

  it('random shapes, angles and zooms (fast-check)', () => {
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 9 }), w: fc.integer({ min: 1, max: 9 }), c: fc.integer({ min: 1, max: 4 }),
    }).chain((s) => fc.record({
      shape: fc.constant([s.n, s.h, s.w, s.c]),
      params: fc.array(fc.tuple(fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }), fc.double({ min: 0.3, max: 1.99, noNaN: true })),
        { minLength: s.n, maxLength: s.n }),
    }));
    fc.assert(fc.property(arb, ({ shape, params }) => {
      const vals = image(size(shape), 7);
      const flat = params.flat();
      tidy(() => {
        const out = applyAugmentation(tensor(vals, shape), draws({ affine: Float64Array.from(flat) }));
        expectClose(out.dataSync(), affineReference(vals, shape, flat), { ...AFFINE, what: `augmentAffine ${shape} ${flat}` });
      });
    }), { numRuns: 200 });
  });
});

describe('brightness and contrast (augmentColor kernel) vs the float64 reference', () => {
  // One rounding to float32 of a float64 result, and float64 sums of at most 100 terms.
  const COLOR = { rtol: 1e-7, atol: 1e-7 };
  it.each([
    ['brightness only', [2, 3, 4, 3], [1, 0.25, 1, -0.5]],
    ['contrast only', [2, 5, 4, 2], [1.5, 0, 0.3, 0]],
    ['both', [3, 4, 4, 3], [0.8, 0.1, 1.2, -0.05, 1, 0]],
  ] as [string, number[], number[]][])('%s', (_name, shape, params) => {
    const vals = image(size(shape), 3);
    tidy(() => {
      const out = applyAugmentation(tensor(vals, shape), draws({ color: Float64Array.from(params) }));
      expectClose(out.dataSync(), colorReference(vals, shape, params), { ...COLOR, what: 'augmentColor' });
    });
  });

  it('contrast keeps each channel mean; valueRange clips', () => {
    const shape = [1, 6, 6, 2];
    const vals = image(72, 5);
    tidy(() => {
      const x = tensor(vals, shape);
      const out = applyAugmentation(x, draws({ color: Float64Array.from([1.9, 0.3]) }), [0, 1]).dataSync();
      expectClose(out, colorReference(vals, shape, [1.9, 0.3], [0, 1]), { ...COLOR, what: 'clipped' });
      expect(Math.max(...out)).toBe(1);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      const unclipped = applyAugmentation(x, draws({ color: Float64Array.from([0.5, 0]) })).dataSync();
      for (let k = 0; k < 2; k++) {
        let a = 0, b = 0;
        for (let q = 0; q < 36; q++) { a += vals[2 * q + k]; b += unclipped[2 * q + k]; }
        expect(b / 36).toBeCloseTo(a / 36, 6);
      }
    });
  });
});

describe('augment: every op together, seeded', () => {
  const shape = [6, 10, 12, 3];
  const vals = image(size(shape), 11);
  const options = { flipHorizontal: true, randomCrop: { padding: 2 }, rotation: 20, zoom: 0.2, brightness: 0.1, contrast: 0.3, cutout: { size: 4 }, valueRange: [0, 1] as [number, number] };

  it('draws per sample in the documented order and composes flip/crop, rotation/zoom, contrast/brightness, cutout', () => {
    setSeed(99);
    const flipCrop: number[] = [], affine: number[] = [], color: number[] = [], centres: [number, number][] = [];
    for (let s = 0; s < shape[0]; s++) {
      flipCrop.push(nextFloat() < 0.5 ? 1 : 0, 0, nextInt(5) - 2, nextInt(5) - 2);
      affine.push((2 * nextFloat() - 1) * 20 * Math.PI / 180, 1 + (2 * nextFloat() - 1) * 0.2);
      const delta = (2 * nextFloat() - 1) * 0.1;
      color.push(1 + (2 * nextFloat() - 1) * 0.3, delta);
      centres.push([nextInt(shape[1]), nextInt(shape[2])]);
    }
    setSeed(99);
    const got = tidy(() => data.augment(tensor(vals, shape), options).dataSync());
    const want = cutoutReference(colorReference(affineReference(augmentReference(vals, shape, flipCrop), shape, affine), shape, color, [0, 1]), shape, centres, [4, 4]);
    // The contrast mean sums the rotated values, which carry the rotation's float32 rounding.
    expectClose(got, want, { atol: 1e-6, what: 'augment with every op' });
    expect(got.some((v) => v === 0)).toBe(true);
  });

  it('the same seed gives bit-identical batches, another seed a different one, x unchanged', () => {
    const run = (seed: number) => tidy(() => { setSeed(seed); return data.augment(tensor(vals, shape), options).dataSync(); });
    const a = run(3), b = run(3), c = run(4);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    tidy(() => {
      const x = tensor(vals, shape);
      data.augment(x, options);
      expect(x.dataSync()).toEqual(vals);
    });
  });

  it('the draws spread over their ranges', () => {
    setSeed(5);
    const d = drawAugmentation([3000, 8, 8, 1], planAugment({ rotation: 30, zoom: 0.25, brightness: 0.5, contrast: 0.4, cutout: { size: [3, 5] } }));
    const col = (a: Float64Array, k: number) => Array.from({ length: 3000 }, (_, s) => a[2 * s + k]);
    const check = (v: number[], lo: number, hi: number) => {
      expect(Math.min(...v)).toBeGreaterThanOrEqual(lo);
      expect(Math.max(...v)).toBeLessThan(hi);
      expect(Math.min(...v)).toBeLessThan(lo + 0.02 * (hi - lo));
      expect(Math.max(...v)).toBeGreaterThan(hi - 0.02 * (hi - lo));
    };
    check(col(d.affine!, 0), -Math.PI / 6, Math.PI / 6);
    check(col(d.affine!, 1), 0.75, 1.25);
    check(col(d.color!, 0), 0.6, 1.4);
    check(col(d.color!, 1), -0.5, 0.5);
    const heights = new Set<number>(), widths = new Set<number>();
    for (let s = 0; s < 3000; s++) {
      const [top, bottom, left, right] = d.cutout!.subarray(4 * s, 4 * s + 4);
      expect(top >= 0 && bottom <= 8 && left >= 0 && right <= 8).toBe(true);
      heights.add(bottom - top); widths.add(right - left);
    }
    expect([...heights].sort()).toEqual([2, 3]); // cut by the border, or whole
    expect([...widths].sort()).toEqual([3, 4, 5]);
  });

  it('the options of flips and crops alone draw as before (rotation etc. absent draw nothing)', () => {
    setSeed(8);
    const a = drawAugmentation([4, 5, 5, 1], planAugment({ flipHorizontal: true }));
    setSeed(8);
    const expected = [0, 1, 2, 3].flatMap(() => [nextFloat() < 0.5 ? 1 : 0, 0, 0, 0]);
    expect(Array.from(a.flipCrop!)).toEqual(expected);
    expect(a.affine).toBeNull();
    expect(a.color).toBeNull();
    expect(a.cutout).toBeNull();
  });
});

describe('augment option checks (before any draw)', () => {
  const x = () => tensor(new Float32Array(16), [1, 4, 4, 1]);
  it.each([
    [{ rotation: -1 }, /rotation \(degrees\) must be a number in \[0, 180\], got -1/],
    [{ rotation: 181 }, /rotation/],
    [{ zoom: 1 }, /zoom must be a number in \[0, 1\), got 1/],
    [{ zoom: NaN }, /zoom/],
    [{ brightness: -0.1 }, /brightness/],
    [{ contrast: 1.5 }, /contrast must be a number in \[0, 1\]/],
    [{ cutout: { size: 0 } }, /cutout.size must be a positive integer/],
    [{ cutout: { size: [2, 2.5] } }, /cutout.size/],
    [{ cutout: 3 }, /cutout.size/],
    [{ valueRange: [1, 0] }, /valueRange must be \[low, high\]/],
  ])('%o is a ValueError', (options, message) => {
    setSeed(1);
    const before = getRandomState();
    tidy(() => expect(() => data.augment(x(), options as any)).toThrow(ValueError));
    tidy(() => expect(() => data.augment(x(), options as any)).toThrow(message));
    expect(getRandomState()).toEqual(before);
  });
});
