// checkOp: one table entry tests an op's output shape and values against a float64 reference or
// a PyTorch fixture, and its gradient by finite differences, by reference gradients or by the
// fixture's gradients. `opTests` turns a table of entries into one vitest test each.
import { it } from 'vitest';
import { tensor, tidy, type Tensor } from '../../src/index.js';
import { gradCheck } from '../reference/gradcheck.js';
import { values as seededValues, sizeOf, type Arr } from '../reference/elementwise.js';
import { expectClose, type Tolerance } from './close.js';
import { fixtureCase, expectFixture, type FixtureTensor } from './fixtures.js';

/**
 * One input of an op:
 * - a shape: seeded values in [-1, 1) (seed = input position + 1; finite differences draw their own);
 * - `{ shape, values }` or `{ shape, range, seed }`: given values, or seeded ones in [lo, hi)
 *   (the op and the reference see them rounded to float32);
 *   `grad: false` leaves it out of the gradient check;
 * - a string: the fixture field of that name (its gradient is the field 'd' + name; a null field
 *   passes `undefined` to the op, e.g. a missing bias).
 */
export type InputSpec =
  | number[]
  | { shape: number[]; values?: ArrayLike<number>; range?: [number, number]; seed?: number; grad?: boolean }
  | string;

/** Reference gradients: given the inputs and the upstream gradient dy, one gradient per input (null: none expected). */
export type GradientReference = (inputs: Arr[], dy: Arr) => (ArrayLike<number> | null)[];

export interface OpTolerance extends Tolerance {
  /** Tolerance for reference or fixture gradients; the output's tolerance when omitted. */
  gradient?: Tolerance;
  /** Exclusive bound on gradCheck's worst |analytic - numeric| / max(1, |numeric|); 2e-2 when omitted. */
  finiteDifference?: number;
}

export interface OpCase {
  name: string;
  op: (...inputs: Tensor[]) => Tensor;
  inputs: InputSpec[];
  /** Naive float64 reference of the output (from test/reference/); its shape is checked too. */
  reference?: (...inputs: Arr[]) => Arr;
  gradient?: 'finite-difference' | GradientReference;
  /** A PyTorch fixture case, '<file>#<case name>': inputs, `out`, upstream gradient `R` and gradients. */
  fixture?: string;
  /** Output (and gradient) closeness; exact equality when omitted. */
  tolerance?: OpTolerance;
}

/** `arr` holds float32-rounded values for the op and the reference; `given` the values as written, for gradCheck. */
interface Input { name: string | null; arr: Arr | null; grad: boolean; given?: number[] }

function resolveInput(spec: InputSpec, i: number, fixture: Record<string, unknown> | null): Input {
  if (typeof spec === 'string') {
    if (!fixture) throw new Error(`checkOp: input '${spec}' names a fixture field but the case has no fixture`);
    const j = fixture[spec] as FixtureTensor | null | undefined;
    if (j === undefined) throw new Error(`checkOp: the fixture has no field '${spec}'`);
    return { name: spec, arr: j && { shape: j.shape, values: j.data.map(Math.fround) }, grad: j !== null };
  }
  const { shape, values, range, seed = i + 1, grad = true } = Array.isArray(spec) ? { shape: spec } : spec;
  // A bare shape leaves gradCheck to draw its own values, as a direct gradCheck call would.
  const given = values ? Array.from(values) : range ? seededValues(sizeOf(shape), seed, range[0], range[1]) : undefined;
  const vs = (given ?? seededValues(sizeOf(shape), seed)).map(Math.fround);
  return { name: null, arr: { shape, values: vs }, grad, given };
}

const shapeText = (s: readonly number[]) => `[${s.join(',')}]`;

function expectShape(got: readonly number[], want: readonly number[], what: string): void {
  if (shapeText(got) !== shapeText(want)) throw new Error(`${what}: shape ${shapeText(got)}, want ${shapeText(want)}`);
}

/** Runs the op on leaves, compares the output, then back-propagates dy and compares the gradients. */
function checkValueAndGradients(c: OpCase, inputs: Input[], fixture: Record<string, unknown> | null): void {
  const tol = c.tolerance ?? {};
  const leaves = inputs.map((x) => (x.arr ? tensor(x.arr.values, x.arr.shape) : undefined));
  const comparesGradients = fixture !== null || typeof c.gradient === 'function';
  const wantsGrad = (x: Input) => x.grad && comparesGradients;
  inputs.forEach((x, i) => { if (wantsGrad(x)) leaves[i]!.requireGrad(); });
  const out = c.op(...(leaves as Tensor[]));
  const arrs = inputs.map((x) => x.arr!);
  if (fixture) expectFixture(out, fixture.out as FixtureTensor, `${c.name}: out`, tol);
  if (c.reference) {
    const want = c.reference(...arrs);
    expectShape(out.shape, want.shape, `${c.name}: out`);
    expectClose(out.dataSync(), want.values, { ...tol, what: `${c.name}: out` });
  }
  if (!comparesGradients) return;
  const dy: Arr = fixture
    ? { shape: (fixture.R as FixtureTensor).shape, values: (fixture.R as FixtureTensor).data }
    : { shape: [...out.shape], values: seededValues(out.size, 100, 0.5, 1.5).map(Math.fround) };
  out.backward(tensor(dy.values, dy.shape));
  const gradTol = tol.gradient ?? tol;
  const refGrads = typeof c.gradient === 'function' ? c.gradient(arrs, dy) : null;
  inputs.forEach((x, i) => {
    if (!wantsGrad(x)) return;
    const what = `${c.name}: ${x.name ? `d${x.name}` : `gradient of input ${i}`}`;
    if (fixture) expectFixture(leaves[i]!.grad, fixture[`d${x.name}`] as FixtureTensor, what, gradTol);
    const want = refGrads?.[i];
    if (want) {
      if (!leaves[i]!.grad) throw new Error(`${what}: no gradient`);
      expectClose(leaves[i]!.grad!.dataSync(), want, { ...gradTol, what });
    }
  });
}

/** Checks one op case: output shape and values, then its gradient (see `OpCase`). */
export function checkOp(c: OpCase): void {
  tidy(() => {
    const fixture = c.fixture ? fixtureCase(c.fixture) : null;
    const inputs = c.inputs.map((spec, i) => resolveInput(spec, i, fixture));
    if (c.reference || fixture || typeof c.gradient === 'function') checkValueAndGradients(c, inputs, fixture);
    if (c.gradient === 'finite-difference') {
      if (inputs.some((x) => !x.arr)) throw new Error(`checkOp ${c.name}: finite differences need every input`);
      const bound = c.tolerance?.finiteDifference ?? 2e-2;
      const err = gradCheck(c.op, inputs.map((x) => ({ shape: x.arr!.shape, values: x.given, requiresGrad: x.grad })));
      if (!(err < bound)) throw new Error(`${c.name}: finite-difference gradient error ${err}, bound ${bound}`);
    }
  });
}

/** One vitest test per entry, named by the entry. */
export function opTests(cases: OpCase[]): void {
  for (const c of cases) it(c.name, () => checkOp(c));
}
