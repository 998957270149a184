// loadOnnx's ReduceMean / ReduceSum / ReduceMax / ReduceMin (any axes, keepdims, axes as attribute
// or input, noop_with_empty_axes), Pow (constant scalar, tensor and integer exponents, a computed
// exponent) and InstanceNormalization, one node at a time against a naive float64 reference, on
// a graph input (NCHW) and after a 1x1 identity Conv (the NHWC form the importer keeps).
import { describe, it, expect } from 'vitest';
import { loadOnnx, tensor } from '../src/index.js';
import { expectClose } from './harness/close.js';
import { f32, i64, ints, int, flt, node, model } from './harness/onnx-graph.js';
import type { NodeMsg, TensorMsg } from '../src/io/onnx/proto.js';

const SHAPE = [2, 3, 4, 5];

/** Deterministic values in [-2, 2) (a small LCG), rounded to float32. */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return Math.fround((s / 2 ** 32) * 4 - 2); });
}

const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** `body` on input x of SHAPE, either the graph input itself or after a 1x1 identity Conv (NHWC inside). */
function wrap(body: NodeMsg[], inits: TensorMsg[], viaConv: boolean, opset: number, extraInputs: [string, number[]][] = []): Uint8Array {
  const C = SHAPE[1];
  const eye = Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0));
  const head = viaConv ? [node('Conv', ['input', 'w'], ['x'], [ints('kernel_shape', [1, 1])])] : [node('Identity', ['input'], ['x'])];
  return model([...head, ...body], [...(viaConv ? [f32('w', [C, C, 1, 1], eye)] : []), ...inits], [['input', SHAPE], ...extraInputs], ['y'], opset);
}

// ---- reductions ---------------------------------------------------------------------------------

type Kind = 'ReduceMean' | 'ReduceSum' | 'ReduceMax' | 'ReduceMin';

/** Naive reduction of x (SHAPE) over `axes` (all when empty): [shape, values]. */
function reduceRef(kind: Kind, x: number[], axes: number[], keep: boolean): [number[], number[]] {
  const rank = SHAPE.length;
  const ax = new Set((axes.length ? axes : SHAPE.map((_, i) => i)).map((a) => (a + rank) % rank));
  const keptShape = SHAPE.map((d, i) => (ax.has(i) ? 1 : d));
  const outShape = keep ? keptShape : SHAPE.filter((_, i) => !ax.has(i));
  const outStrides = strides(keptShape), inStrides = strides(SHAPE);
  const size = keptShape.reduce((a, b) => a * b, 1);
  const acc = new Array<number>(size).fill(kind === 'ReduceMax' ? -Infinity : kind === 'ReduceMin' ? Infinity : 0);
  for (let i = 0; i < x.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!ax.has(d)) o += (Math.floor(i / inStrides[d]) % SHAPE[d]) * outStrides[d];
    acc[o] = kind === 'ReduceMax' ? Math.max(acc[o], x[i]) : kind === 'ReduceMin' ? Math.min(acc[o], x[i]) : acc[o] + x[i];
  }
  const count = x.length / size;
  return [outShape, kind === 'ReduceMean' ? acc.map((v) => v / count) : acc];
}

/** The opset from which `kind` takes its axes as an input. */
const axesInputSince = (kind: Kind) => (kind === 'ReduceSum' ? 13 : 18);

describe('ReduceMean / ReduceSum / ReduceMax / ReduceMin', () => {
  const kinds: Kind[] = ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin'];
  const axesCases = [[1], [-1], [0, 2], [2, 3], [1, 2, 3], [3, 1], []];
  const grid = kinds.flatMap((kind) => [11, 13, 18].map((opset) => [kind, opset] as const));

  it.each(grid)('%s at opset %i: every axes / keepdims, on NCHW and NHWC inputs', async (kind, opset) => {
    const x = values(SHAPE.reduce((a, b) => a * b, 1), 7);
    const asInput = opset >= axesInputSince(kind);
    for (const axes of axesCases) {
      for (const keep of [true, false]) {
        for (const viaConv of [false, true]) {
          const attrs = [int('keepdims', keep ? 1 : 0), ...(!asInput && axes.length ? [ints('axes', axes)] : [])];
          const inputs = asInput && axes.length ? ['x', 'axes'] : ['x'];
          const inits = asInput && axes.length ? [i64('axes', axes)] : [];
          const net = await loadOnnx(wrap([node(kind, inputs, ['y'], attrs)], inits, viaConv, opset));
          const y = net.predict(tensor(x, SHAPE));
          const [shape, want] = reduceRef(kind, x, axes, keep);
          const what = `${kind} axes ${JSON.stringify(axes)} keepdims ${keep} ${viaConv ? 'NHWC' : 'NCHW'}`;
          expect(y.shape, what).toEqual(shape);
          expectClose(y.dataSync(), want, { atol: 1e-5, what });
          net.dispose();
        }
      }
    }
  });

  it('noop_with_empty_axes=1 without axes passes the input through (opset 18)', async () => {
    const x = values(120, 3);
    const net = await loadOnnx(wrap([node('ReduceMax', ['x'], ['y'], [int('noop_with_empty_axes', 1)])], [], true, 18));
    const y = net.predict(tensor(x, SHAPE));
    expect(y.shape).toEqual(SHAPE);
    expectClose(y.dataSync(), x, { atol: 0, what: 'noop' });
    net.dispose();
  });
});

// ---- Pow ----------------------------------------------------------------------------------------

describe('Pow', () => {
  const n = SHAPE.reduce((a, b) => a * b, 1);
  const signed = values(n, 11);
  const positive = signed.map((v) => Math.fround(Math.abs(v) + 0.1));
  const idx = strides(SHAPE);
  const channel = (i: number) => Math.floor(i / idx[1]) % SHAPE[1];
  const cases: { name: string; x: number[]; y: TensorMsg; exponent: (i: number) => number }[] = [
    { name: 'constant 2 on signed values', x: signed, y: f32('e', [], [2]), exponent: () => 2 },
    { name: 'constant 3 on signed values', x: signed, y: f32('e', [1], [3]), exponent: () => 3 },
    { name: 'constant 0.5', x: positive, y: f32('e', [], [0.5]), exponent: () => 0.5 },
    { name: 'constant -1.5', x: positive, y: f32('e', [], [-1.5]), exponent: () => -1.5 },
    { name: 'an int64 exponent 2', x: signed, y: i64('e', [2]), exponent: () => 2 },
    { name: 'a per-channel exponent [1, 3, 1, 1]', x: positive, y: f32('e', [1, 3, 1, 1], [1, 2, -0.5]), exponent: (i) => [1, 2, -0.5][channel(i)] },
    { name: 'a per-channel int64 exponent [3, 1, 1]', x: signed, y: { ...i64('e', [0, 1, 2]), dims: [3, 1, 1] }, exponent: (i) => channel(i) },
  ];

  it.each(cases)('$name, on NCHW and NHWC inputs', async ({ x, y: e, exponent }) => {
    for (const viaConv of [false, true]) {
      const net = await loadOnnx(wrap([node('Pow', ['x', 'e'], ['y'])], [e], viaConv, 13));
      const y = net.predict(tensor(x, SHAPE));
      expect(y.shape).toEqual(SHAPE);
      expectClose(y.dataSync(), x.map((v, i) => v ** exponent(i)), { rtol: 1e-5, atol: 1e-6, what: `pow ${viaConv ? 'NHWC' : 'NCHW'}` });
      net.dispose();
    }
  });

  it('an exponent computed at run time (a second graph input, broadcast)', async () => {
    const net = await loadOnnx(wrap([node('Pow', ['x', 'e'], ['y'])], [], true, 13, [['e', [4, 1]]]));
    const ex = [1, 2, 0.5, -1];
    const y = net.run({ input: tensor(positive, SHAPE), e: tensor(ex, [4, 1]) }).y;
    const row = (i: number) => Math.floor(i / idx[2]) % SHAPE[2];
    expectClose(y.dataSync(), positive.map((v, i) => v ** ex[row(i)]), { rtol: 1e-5, atol: 1e-6, what: 'computed exponent' });
    net.dispose();
  });
});

// ---- InstanceNormalization ------------------------------------------------------------------------

/** Naive instance norm of x [N, C, ...rest]: per (n, c) mean and biased variance over the rest. */
function instanceNormRef(x: number[], shape: number[], scale: number[], bias: number[], eps: number): number[] {
  const [N, C] = shape;
  const inner = x.length / (N * C);
  const out = new Array<number>(x.length);
  for (let nc = 0; nc < N * C; nc++) {
    const c = nc % C;
    const seg = x.slice(nc * inner, (nc + 1) * inner);
    const mean = seg.reduce((a, b) => a + b, 0) / inner;
    const variance = seg.reduce((a, b) => a + (b - mean) ** 2, 0) / inner;
    seg.forEach((v, k) => { out[nc * inner + k] = ((v - mean) / Math.sqrt(variance + eps)) * scale[c] + bias[c]; });
  }
  return out;
}

describe('InstanceNormalization', () => {
  const scale = [1.5, -0.5, 0.75], bias = [0.1, -0.2, 0.3];

  it.each([false, true])('4-D input (after a Conv: %s), epsilon 1e-3', async (viaConv) => {
    const x = values(120, 21).map((v, i) => v * (1 + (i % 7)));
    const attrs = [flt('epsilon', 1e-3)];
    const net = await loadOnnx(wrap([node('InstanceNormalization', ['x', 's', 'b'], ['y'], attrs)], [f32('s', [3], scale), f32('b', [3], bias)], viaConv, 13));
    const y = net.predict(tensor(x, SHAPE));
    expectClose(y.dataSync(), instanceNormRef(x, SHAPE, scale, bias, 1e-3), { atol: 1e-4, what: 'instance norm' });
    net.dispose();
  });

  it('3-D input (N, C, L), default epsilon', async () => {
    const shape = [2, 3, 6];
    const x = values(36, 5);
    const net = await loadOnnx(model([node('InstanceNormalization', ['x', 's', 'b'], ['y'])], [f32('s', [3], scale), f32('b', [3], bias)], [['x', shape]], ['y'], 13));
    const y = net.predict(tensor(x, shape));
    expect(y.shape).toEqual(shape);
    expectClose(y.dataSync(), instanceNormRef(x, shape, scale, bias, 1e-5), { atol: 1e-4, what: 'instance norm 3-D' });
    net.dispose();
  });
});
