// Property tests (fast-check) of the loaders (IDX, saved models, ONNX) fed random corruptions of
// valid files: each must load or throw FormatError, never hang or throw anything else, and leave
// no tensor behind. A summary line per loader gives the number of cases run (printed at the end).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import { nn, tensor, tidy, setSeed, data, Sequential, loadOnnx, backendInfo, ShapeError, ValueError, FormatError, DisposedError } from '../src/index.js';
import { encodeIdx, IDX_TYPE_CODES, type IdxValues } from '../src/data/idx.js';
import { setAllocLimit } from '../src/backend/wasm.js';
import { runs, live, sizeOf, vals, caseCounter } from './harness/fuzz.js';

const count = caseCounter('fuzz cases run, loaders');

// ---- loaders ------------------------------------------------------------------------------------
type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'byte'; at: number; value: number }
  | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'delete'; at: number; n: number }
  | { kind: 'u32'; at: number; value: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 0x80000000), fc.nat()) }),
);
/** Applies mutations; `focus` (a byte range) gets most of them so headers are hit often. */
function mutate(src: Uint8Array, ms: Mutation[], focus?: [number, number]): Uint8Array {
  let b = src.slice();
  for (const [j, m] of ms.entries()) {
    const len = Math.max(b.length, 1);
    const at = focus && j % 2 === 0 ? focus[0] + (m.at % Math.max(1, Math.min(focus[1], len) - focus[0])) : m.at % len;
    switch (m.kind) {
      case 'flip': if (b.length) b[at % b.length] ^= 1 << m.bit; break;
      case 'byte': if (b.length) b[at % b.length] = m.value; break;
      case 'truncate': b = b.slice(0, at % (b.length + 1)); break;
      case 'insert': b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]); break;
      case 'delete': b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + m.n)]); break;
      case 'u32': if (b.length >= 4) new DataView(b.buffer).setUint32(Math.min(at, b.length - 4) & ~0, m.value >>> 0, (m.at & 1) === 0); break;
    }
  }
  return b;
}
/** Runs fn with a wall-clock bound: a loader must answer quickly even on hostile input. */
async function bounded<T>(what: string, fn: () => T | Promise<T>, ms = 2000): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  const dt = performance.now() - t0;
  if (dt > ms) throw new Error(`${what} took ${dt.toFixed(0)} ms`);
  return r;
}

// Models to save (a spread of layer types) and the PyTorch ONNX exports of the fixtures.
setSeed(5);
const specs: [Sequential, number[]][] = [
  [new Sequential([nn.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), nn.batchNorm(), nn.maxPool2d(),
    nn.flatten(), nn.dropout({ rate: 0.3 }), nn.dense({ units: 4, activation: 'softmax' })], { inputShape: [6, 6, 2] }), [6, 6, 2]],
  [new Sequential([nn.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }), nn.prelu(), nn.globalAvgPool2d(), nn.dense({ units: 2 })], { inputShape: [5, 5, 2] }), [5, 5, 2]],
  [new Sequential([nn.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }), nn.zeroPadding2d({ padding: 1 }), nn.avgPool2d({ poolSize: 2 }),
    nn.activation('tanh'), nn.globalMaxPool2d()], { inputShape: [3, 3, 1] }), [3, 3, 1]],
  [new Sequential([nn.dense({ units: 5, activation: 'gelu' }), nn.dense({ units: 1, activation: 'sigmoid' })], { inputShape: [3] }), [3]],
];
for (const [m] of specs) m.compile({ optimizer: { name: 'adam', lr: 0.01 }, loss: 'mse' });

describe('fuzz: loaders given corrupted files load or throw FormatError', () => {
  // Hostile sizes must fail fast, not grow wasm memory for the rest of the run.
  let prevLimit = 0;
  beforeAll(() => { prevLimit = setAllocLimit(64 << 20); });
  afterAll(() => { setAllocLimit(prevLimit); });

  it('data.parseIdx: random IDX files (all types, plain and gzip) with random corruptions', async () => {
    const typeNames = Object.keys(IDX_TYPE_CODES) as (keyof typeof IDX_TYPE_CODES)[];
    const makers: Record<string, (n: number) => IdxValues> = {
      uint8: (n) => new Uint8Array(n), int8: (n) => new Int8Array(n), int16: (n) => new Int16Array(n),
      int32: (n) => new Int32Array(n), float32: (n) => new Float32Array(n), float64: (n) => new Float64Array(n),
    };
    const arb = fc.record({
      type: fc.constantFrom(...typeNames), shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 4 }),
      gzip: fc.boolean(), mutations: fc.array(mutationArb, { minLength: 0, maxLength: 4 }), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(fc.asyncProperty(arb, async (r) => {
      const n = sizeOf(r.shape);
      const values = makers[r.type](n);
      const v = vals(n, r.seed, -100, 100);
      for (let i = 0; i < n; i++) values[i] = r.type.startsWith('float') ? v[i] : Math.round(v[i]);
      let bytes = encodeIdx(r.shape, values);
      if (r.gzip) bytes = gzipSync(bytes);
      const header = r.gzip ? [0, bytes.length] as [number, number] : [0, 4 + 4 * r.shape.length] as [number, number];
      const bad = mutate(bytes, r.mutations, header);
      const changed = bad.length !== bytes.length || bad.some((x, i) => x !== bytes[i]);
      try {
        const out = await bounded('parseIdx', () => data.parseIdx(bad));
        count(changed ? 'parseIdx: corrupted, still parsed' : 'parseIdx: intact, parsed');
        expect(Array.isArray(out.shape)).toBe(true);
        expect(out.values.length).toBe(sizeOf(out.shape));
        if (!changed) { expect(out.shape).toEqual(r.shape); expect(Array.from(out.values)).toEqual(Array.from(values)); }
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`parseIdx threw ${String(e)} for ${JSON.stringify(r)}`);
        expect(changed).toBe(true);
        expect(e.message).toMatch(/^parseIdx: /);
        count('parseIdx: corrupted, FormatError');
      }
    }), { numRuns: runs(5000), seed: 2001 });
  });


  it('size-lying headers: IDX dims, gzip size fields and packed-model lengths that disagree with the bytes', async () => {
    // Each header field is set to a random lie (huge, zero, off by a little); every case must be
    // answered within the 2 s bound with FormatError (LimitError included), never by allocating what it declares.
    const lie = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 0x80000000, 1 << 24), fc.nat(), fc.integer({ min: -3, max: 3 }));
    const arb = fc.record({
      target: fc.constantFrom('idx-dim', 'idx-dim-gzip', 'gzip-isize', 'packed-json', 'packed-weights', 'weights-count'),
      field: fc.nat(), value: lie, model: fc.integer({ min: 0, max: specs.length - 1 }),
    });
    const saved = await Promise.all(specs.map(([m]) => m.save()));
    const idx = encodeIdx([3, 4, 5], new Uint8Array(60).map((_, i) => i));
    await fc.assert(fc.asyncProperty(arb, async (r) => {
      const n0 = live();
      const mem0 = backendInfo().memoryBytes;
      const setU32 = (b: Uint8Array, at: number, v: number, le: boolean) => {
        const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
        const old = dv.getUint32(at, le);
        dv.setUint32(at, (r.value < 0 || r.value <= 3 ? old + r.value : r.value) >>> 0, le);
      };
      let run: () => unknown;
      if (r.target.startsWith('idx')) {
        const b = idx.slice();
        setU32(b, 4 + 4 * (r.field % 3), r.value, false);
        const bytes = r.target === 'idx-dim-gzip' ? gzipSync(b) : b;
        run = () => data.parseIdx(bytes);
      } else if (r.target === 'gzip-isize') {
        const b = gzipSync(idx);
        setU32(b, b.length - 4 - 4 * (r.field % 2), r.value, true);
        run = () => data.parseIdx(b);
      } else if (r.target === 'weights-count') {
        const b = saved[r.model].slice();
        const jl = new DataView(b.buffer).getUint32(8, true);
        setU32(b, 16 + jl + ((4 - (jl % 4)) % 4) + 8, r.value, true); // weights.bin's float count
        run = () => Sequential.load(b);
      } else {
        const b = saved[r.model].slice();
        setU32(b, r.target === 'packed-json' ? 8 : 12, r.value, true);
        run = () => Sequential.load(new Response(b));
      }
      try {
        const out: any = await bounded('size-lying header', run);
        count(`size-lying ${r.target}: still loaded`);
        if (out && typeof out.dispose === 'function') out.dispose();
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`${r.target} threw ${String(e)} for ${JSON.stringify(r)}`);
        count(`size-lying ${r.target}: ${e.name}`);
      }
      expect(live()).toBe(n0);
      expect(backendInfo().memoryBytes - mem0).toBeLessThanOrEqual(16 << 20);
    }), { numRuns: runs(600), seed: 2004 });
  });

  it('Sequential.load: saved models with byte corruptions, and structured model.json edits repacked', async () => {
    const saved = await Promise.all(specs.map(([m]) => m.save()));
    const jsonEdit = fc.record({
      path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      value: fc.oneof(fc.constantFrom<unknown>(null, -1, 0, 1, 2.5, 1e9, NaN, 'same', 'relu', 'Dense', true, [], {}, [3, 3], [-1, 2], [1e6, 1e6, 1]), fc.integer({ min: -3, max: 40 })),
      del: fc.boolean(),
    });
    const arb = fc.record({
      model: fc.integer({ min: 0, max: specs.length - 1 }), structured: fc.boolean(),
      mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }), edits: fc.array(jsonEdit, { minLength: 1, maxLength: 3 }),
    });
    await fc.assert(fc.asyncProperty(arb, async (r) => {
      const n0 = live();
      const src = saved[r.model];
      let bad: Uint8Array;
      if (r.structured) {
        // Edit a random spot of the parsed model.json, then repack with a correct header, so the
        // edit reaches the topology / manifest checks instead of failing the framing.
        const dv = new DataView(src.buffer, src.byteOffset);
        const jl = dv.getUint32(8, true), pad = (4 - (jl % 4)) % 4;
        const json = JSON.parse(new TextDecoder().decode(src.subarray(16, 16 + jl)));
        for (const e of r.edits) {
          let node: any = json;
          for (let i = 0; i < e.path.length - 1; i++) {
            const keys = node && typeof node === 'object' ? Object.keys(node) : [];
            if (!keys.length) break;
            const k = keys[e.path[i] % keys.length];
            if (!node[k] || typeof node[k] !== 'object') break;
            node = node[k];
          }
          const keys = Object.keys(node);
          if (!keys.length) continue;
          const k = keys[e.path[e.path.length - 1] % keys.length];
          if (e.del) delete node[k]; else node[k] = e.value;
        }
        const text = new TextEncoder().encode(JSON.stringify(json));
        const p2 = (4 - (text.length % 4)) % 4;
        const weights = src.subarray(16 + jl + pad);
        bad = new Uint8Array(16 + text.length + p2 + weights.length);
        bad.set(src.subarray(0, 16));
        new DataView(bad.buffer).setUint32(8, text.length, true);
        bad.set(text, 16);
        bad.fill(0x20, 16 + text.length, 16 + text.length + p2);
        bad.set(weights, 16 + text.length + p2);
      } else {
        bad = mutate(src, r.mutations, [0, 24]);
      }
      let model: Sequential | null = null;
      try {
        model = await bounded('Sequential.load', () => Sequential.load(bad));
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`load threw ${String(e)} for ${JSON.stringify(r)}`);
        count(`Sequential.load (${r.structured ? 'model.json edits' : 'byte corruptions'}): FormatError`);
      }
      if (model) {
        count(`Sequential.load (${r.structured ? 'model.json edits' : 'byte corruptions'}): loaded`);
        // A model that loads must run (values may be anything after a flipped weight bit).
        const shape = model.inputShape!;
        if (sizeOf(shape) <= 4096) {
          tidy(() => {
            try {
              model!.predict(tensor(vals(2 * sizeOf(shape), 3), [2, ...shape]));
            } catch (e) {
              // A JSON edit can describe a model that builds but cannot run this input (or is
              // huge): only the library's typed errors (or an out-of-memory RangeError) are acceptable.
              if (!(e instanceof ShapeError || e instanceof ValueError || e instanceof RangeError)) throw e;
              count(`Sequential.load (model.json edits): loaded, predict threw ${(e as Error).name}`);
            }
          });
        }
        model.dispose();
      }
      expect(live()).toBe(n0);
    }), { numRuns: runs(2500), seed: 2002 });
  });

  it('loadOnnx: PyTorch exports and toOnnx() models with random corruptions', async () => {
    const dir = new URL('./fixtures/onnx/', import.meta.url);
    const corpus: Uint8Array[] = ['residual', 'depthwise_separable', 'batchnorm_pools', 'concat_transpose', 'decoder', 'view_mlp']
      .map((n) => new Uint8Array(readFileSync(new URL(`${n}.onnx`, dir))));
    for (const [m] of specs) corpus.push((m as any).toOnnx());
    const arb = fc.record({
      model: fc.integer({ min: 0, max: corpus.length - 1 }), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
      headerFocus: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(arb, async (r) => {
      const n0 = live();
      const src = corpus[r.model];
      const bad = mutate(src, r.mutations, r.headerFocus ? [0, 64] : undefined);
      let net: Awaited<ReturnType<typeof loadOnnx>> | null = null;
      try {
        net = await bounded('loadOnnx', () => loadOnnx(bad));
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`loadOnnx threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for ${JSON.stringify(r)}`);
        count('loadOnnx: FormatError');
      }
      if (net) {
        count('loadOnnx: loaded');
        // Running a graph that loaded: it works, or throws one of the library's typed errors
        // (a corrupted dim may make shapes disagree at run time).
        const info = net.inputs[0];
        const shape = info?.shape?.map((d) => (typeof d === 'number' ? d : 1));
        if (net.inputNames.length === 1 && shape && shape.length && sizeOf(shape) <= 1 << 16) {
          // A damaged constant (a Reshape shape, Pad pads...) can make a valid graph ask for
          // gigabytes: cap single allocations at 64 MB so that is a quick RangeError here.
          const prevLimit = setAllocLimit(64 << 20);
          try {
            tidy(() => { net!.run({ [info.name]: tensor(vals(sizeOf(shape), 7), shape) }); });
            count('loadOnnx: loaded, ran');
          } catch (e) {
            if (!(e instanceof ShapeError || e instanceof ValueError || e instanceof FormatError || e instanceof DisposedError || e instanceof RangeError)) {
              net.dispose();
              throw new Error(`a loaded, corrupted ONNX model threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for ${JSON.stringify(r)}`);
            }
            expect(e.message).toMatch(/^node '[^']*' \(\w+\): |^run: /); // names the node that failed
            count(`loadOnnx: loaded, run threw ${e.name}`);
          } finally {
            setAllocLimit(prevLimit);
          }
        }
        net.dispose();
      }
      expect(live()).toBe(n0);
    }), { numRuns: runs(2500), seed: 2003 });
  });
});

afterAll(() => { for (const [m] of specs) m.dispose(); });
