// PyTorch-computed fixtures (test/fixtures/*.json, written by test/fixtures/gen_fixtures.py):
// loading a file's cases, turning a fixture tensor into a Tensor, and comparing a Tensor with one.
import { readFileSync } from 'node:fs';
import { tensor, type Tensor } from '../../src/index.js';
import { expectClose, type Tolerance } from './close.js';

/** A tensor as the fixtures store it: float64 values rounded to float32, row-major. */
export interface FixtureTensor { shape: number[]; data: number[] }

/**
 * The tolerance every PyTorch comparison uses: the references are float64 rounded to float32,
 * ours accumulate in float32, and the fixtures' values are of size about 1.
 */
export const PYTORCH_TOLERANCE: Tolerance = { rtol: 1e-4, atol: 1e-4 };

const files = new Map<string, { description: string; cases: { name: string }[] }>();

/** Every case of a fixture file, each with `key` = '<file>#<case name>' (what `checkOp` takes). */
export function fixtureCases<T extends { name: string }>(file: string): (T & { key: string })[] {
  if (!files.has(file)) files.set(file, JSON.parse(readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8')));
  return (files.get(file)!.cases as T[]).map((c) => ({ ...c, key: `${file}#${c.name}` }));
}

/** The case a key '<file>#<case name>' names. */
export function fixtureCase(key: string): Record<string, unknown> {
  const at = key.indexOf('#');
  const c = fixtureCases(key.slice(0, at)).find((k) => k.name === key.slice(at + 1));
  if (!c) throw new Error(`no fixture case ${key}`);
  return c;
}

/** A float32 tensor holding a fixture tensor's values. */
export const fixtureTensor = (j: FixtureTensor): Tensor => tensor(Float32Array.from(j.data), j.shape);

/** The same, as a leaf whose gradient is accumulated. */
export const fixtureLeaf = (j: FixtureTensor): Tensor => fixtureTensor(j).requireGrad();

/** Asserts that `actual` exists, has the fixture's shape and its values under the closeness rule. */
export function expectFixture(actual: Tensor | null | undefined, expected: FixtureTensor, what: string, tolerance: Tolerance = PYTORCH_TOLERANCE): void {
  if (!actual) throw new Error(`${what} is ${actual}`);
  if (JSON.stringify(actual.shape) !== JSON.stringify(expected.shape)) {
    throw new Error(`${what}: shape [${actual.shape}], want [${expected.shape}]`);
  }
  expectClose(actual.dataSync(), expected.data, { ...tolerance, what });
}
