// The harness itself: the closeness rule passes what it should and fails what it should (a
// comparison that cannot fail tests nothing), and checkOp catches a wrong value, shape or gradient.
import { describe, it, expect } from 'vitest';
import { ops, noGrad } from '../../src/index.js';
import { expectClose, findMismatch, reductionTolerance, summationAtol } from './close.js';
import { checkOp } from './check-op.js';
import { fixtureCases, PYTORCH_TOLERANCE } from './fixtures.js';

describe('expectClose', () => {
  it('passes within atol + rtol * |expected| and fails just beyond', () => {
    expectClose([1.5, -2], [1, -2.5], { atol: 0.5 });
    expectClose([110], [100], { rtol: 0.1 });
    expectClose([3.5], [3], { rtol: 0.1, atol: 0.2 });
    expect(() => expectClose([3.51], [3], { rtol: 0.1, atol: 0.2 })).toThrow();
    expect(() => expectClose([1 + 1e-12], [1])).toThrow(); // no tolerance: exact
    expectClose(0.25, 0.25);
  });
  it('NaN and infinities equal only themselves', () => {
    expectClose([NaN, Infinity, -Infinity], [NaN, Infinity, -Infinity]);
    expect(() => expectClose([NaN], [0], { atol: 1e9 })).toThrow();
    expect(() => expectClose([0], [NaN], { atol: 1e9 })).toThrow();
    expect(() => expectClose([Infinity], [-Infinity], { atol: 1e9 })).toThrow();
    expect(() => expectClose([1e38], [Infinity], { rtol: 1 })).toThrow();
    expect(() => expectClose([Infinity], [1], { rtol: 1e9, atol: 1e9 })).toThrow();
  });
  it('reports the worst element, its index, got and want', () => {
    expect(() => expectClose([0, 1.1, 5, 2], [0, 1, 2, 2], { atol: 0.01, what: 'y' }))
      .toThrow(/^y: 2 of 4 values differ beyond rtol 0, atol 0\.01; worst at index 2: got 5, want 2 /);
    expect(findMismatch([1, NaN, 3], [1, 2, 30], { atol: 1 })).toMatchObject({ count: 2, index: 1, want: 2 });
    expect(() => expectClose([1, 2], [1, 2, 3], { what: 'z' })).toThrow('z: got 2 values, want 3');
  });
  it('per-element atol, and the tolerances that grow with a reduction length', () => {
    expectClose([1.5, 10], [1, 10.9], { atol: [0.5, 1] });
    expect(() => expectClose([1.5, 10], [1, 10.9], { atol: [0.4, 1] })).toThrow(/index 0/);
    expect(reductionTolerance(10)).toEqual({ rtol: 0, atol: 1e-5 + 2e-6 * 10 });
    expect(Array.from(summationAtol([2, -4], 6, { unit: 0.5, slack: 4, floor: 1 }))).toEqual([11, 21]);
  });
});

describe('checkOp', () => {
  const relu = (x: number) => Math.max(x, 0);
  it('passes a correct entry and fails a wrong reference, shape or gradient', () => {
    const entry = { name: 'relu', op: ops.relu, inputs: [[3, 4]], reference: (x: { shape: number[]; values: number[] }) => ({ shape: x.shape, values: x.values.map(relu) }) };
    checkOp(entry);
    expect(() => checkOp({ ...entry, reference: (x) => ({ shape: x.shape, values: x.values.map((v) => relu(v) * 1.001) }) })).toThrow(/relu: out: \d+ of 12 values differ/);
    expect(() => checkOp({ ...entry, reference: (x) => ({ shape: [12], values: x.values.map(relu) }) })).toThrow('relu: out: shape [3,4], want [12]');
    checkOp({ ...entry, gradient: ([x], dy) => [x.values.map((v, i) => (v > 0 ? dy.values[i] : 0))] });
    expect(() => checkOp({ ...entry, gradient: ([x], dy) => [x.values.map((_, i) => dy.values[i])] })).toThrow(/relu: gradient of input 0/);
  });
  it('finite differences catch a gradient that misses a path', () => {
    const square = { name: 'x + x*x', inputs: [[2, 3]], gradient: 'finite-difference' as const };
    checkOp({ ...square, op: (x) => ops.add(x, ops.mul(x, x)) });
    expect(() => checkOp({ ...square, op: (x) => ops.add(x, noGrad(() => ops.mul(x, x))) })).toThrow(/finite-difference gradient error/);
  });
  it('a fixture entry fails when the op is not the fixture\'s op', () => {
    const c = fixtureCases<{ name: string; op: string }>('activations.json').find((k) => k.op === 'sigmoid')!;
    checkOp({ name: c.name, fixture: c.key, inputs: ['x'], op: (x) => ops.sigmoid(x), tolerance: PYTORCH_TOLERANCE });
    expect(() => checkOp({ name: c.name, fixture: c.key, inputs: ['x'], op: (x) => ops.tanh(x), tolerance: PYTORCH_TOLERANCE })).toThrow(/: out: /);
  });
});
