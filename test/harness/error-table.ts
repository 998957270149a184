// The bad-input table that test/errors-*.test.ts fill: shared fixtures (made once, outside every
// measurement), `bad(name, fn, ErrorClass, ...fragments)` to add a row, and `errorTable()` to run
// the rows. Each row asserts the typed error class (and its `name`), message fragments naming the
// op/layer and the offending shapes or values, that the failed call left no tensor behind, and
// that a valid computation (conv + gradient) right after it still gives the same bits.
import { describe, it, expect, afterAll } from 'vitest';
import {
  backendInfo, tensor, zeros, ones, randn, tidy, keep, setSeed, ops, nn, optim, Sequential, loadOnnx, Tensor,
} from '../../src/index.js';

export type ErrClass = new (...args: any[]) => Error;
type Frag = string | RegExp;
interface Owned { weights?: () => Tensor[]; dispose(): void; isDisposed?: boolean }
interface Case { name: string; fn: () => unknown; err: ErrClass; frags: Frag[] }

setSeed(11);
export const live = () => backendInfo().liveTensors;

// ---- fixtures (made once, outside every measurement) -----------------------------------------
export const T = {
  img: keep(randn([2, 5, 5, 3])),          // NHWC
  img1: keep(randn([1, 4, 4, 1])),
  w33: keep(randn([3, 3, 3, 4])),           // HWIO for img
  w1: keep(randn([3, 3, 1, 2])),
  b4: keep(randn([4])),
  m23: keep(randn([2, 3])),
  m34: keep(randn([3, 4])),
  m45: keep(randn([4, 5])),
  v3: keep(randn([3])),
  v4: keep(randn([4])),
  s: keep(tensor(2)),
  i32: keep(tensor(new Int32Array([0, 1]), [2], 'int32')),
  labels3: keep(tensor(new Int32Array([0, 2]), [2], 'int32')),
  gone: (() => { const t = randn([2, 2]); t.dispose(); return t; })(),
  goneW: (() => { const t = randn([3, 3, 3, 4]); t.dispose(); return t; })(),
  param: keep(tensor([1, 2, 3]).requireGrad()),
};

// Tensors / layers / models a case makes for itself: not counted as leaks, freed after the case.
let owned: Owned[] = [];
export function own<X extends Owned>(x: X): X { owned.push(x); return x; }
export const t = (...a: Parameters<typeof tensor>) => own(tensor(...a));
export const z = (shape: number[], dtype?: 'float32' | 'int32') => own(zeros(shape, dtype));
export const o = (shape: number[]) => own(ones(shape));
function ownedLive(): number {
  let n = 0;
  for (const x of owned) {
    if (x instanceof Tensor) n += x.isDisposed ? 0 : 1;
    else if (x.weights) n += x.weights().filter((w) => !w.isDisposed).length;
  }
  return n;
}

const expectedConv = tidy(() => ops.sum(ops.relu(ops.conv2d(T.img, T.w33, T.b4, { padding: 'same' }))).dataSync()[0]);
/** A valid computation after a failure: same conv bits as before any error, and autograd still records. */
export function validAfter(): void {
  const y = tidy(() => ops.sum(ops.relu(ops.conv2d(T.img, T.w33, T.b4, { padding: 'same' }))).dataSync()[0]);
  expect(y).toBe(expectedConv);
  tidy(() => { ops.sum(ops.mul(T.param, 3)).backward(); });
  expect(Array.from(T.param.grad!.dataSync())).toEqual([3, 3, 3]);
  T.param.zeroGrad();
}

// A tiny compiled model, made per case (fit / evaluate / ... rows).
export function model(opts: { inputShape?: number[]; units?: number; compile?: boolean } = {}): Sequential {
  const m = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3 }), nn.flatten(), nn.dense({ units: opts.units ?? 3 })],
    { inputShape: opts.inputShape ?? [5, 5, 1] });
  if (opts.compile !== false) m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  return own(m);
}
export let savedBytes: Uint8Array;
export let onnxBytes: Uint8Array;
{
  const m = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3 }), nn.flatten(), nn.dense({ units: 3 })], { inputShape: [5, 5, 1] });
  savedBytes = await m.save();
  onnxBytes = (m as any).toOnnx();
  m.dispose();
}
export const net = await loadOnnx(onnxBytes);

const cases: Case[] = [];
export const bad = (name: string, fn: () => unknown, err: ErrClass, ...frags: Frag[]) => { cases.push({ name, fn, err, frags }); };

export function savedJson(): any { const { json } = unpackSaved(); return JSON.parse(JSON.stringify(json)); }
export function savedWeights(): Uint8Array { return unpackSaved().weights; }
export function otherWeights(): Uint8Array {
  const m = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
  const w = m.weightsBytes();
  m.dispose();
  return w;
}
function unpackSaved(): { json: any; weights: Uint8Array } {
  const dv = new DataView(savedBytes.buffer, savedBytes.byteOffset);
  const jsonLen = dv.getUint32(8, true);
  const pad = (4 - (jsonLen % 4)) % 4;
  return { json: JSON.parse(new TextDecoder().decode(savedBytes.subarray(16, 16 + jsonLen))), weights: savedBytes.subarray(16 + jsonLen + pad) };
}

/** Runs every row added so far (call it once, after the rows). */
export function errorTable(area: string, minCases: number): void {
describe(`errors, ${area}: ${cases.length} bad-input cases, each followed by a valid call`, () => {
  it(`has at least ${minCases} cases with unique names`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(minCases);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(c.name, async () => {
      owned = [];
      const before = live();
      let err: unknown = null;
      try {
        await c.fn();
      } catch (e) {
        err = e;
      }
      expect(err, 'expected the call to throw').toBeInstanceOf(c.err);
      const e = err as Error;
      if (process.env.WASM_CNN_PRINT_ERRORS) console.log(`${c.name}\n    ${e.name}: ${e.message}`);
      expect(e.name).toBe(c.err.name);
      for (const f of c.frags) {
        if (typeof f === 'string') expect(e.message).toContain(f);
        else expect(e.message).toMatch(f);
      }
      // The failed call itself left nothing behind (only what the case made on purpose).
      expect(live() - before - ownedLive()).toBe(0);
      for (const x of owned) x.dispose();
      owned = [];
      expect(live()).toBe(before);
      validAfter();
    });
  }
});

}

afterAll(() => {
  for (const v of Object.values(T)) v.dispose();
  net.dispose();
});
