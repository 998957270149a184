// loadOnnx runs a layer normalization written out as ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt,
// Div (then Mul gamma, Add beta) as one ops.layerNorm step (src/io/onnx/fusion-layernorm.ts). The
// values must be PyTorch's on the reduced ConvNeXt fixture, with none of the nine ops left as
// steps, and a float64 reference's on hand-made graphs; a pattern whose parts another node or a
// graph output sees stays node by node, and a run whose gamma does not fit x takes the nodes'
// own path with their values.
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { tensor, type Tensor } from '../src/index.js';
import { layerNormFusionTuning } from '../src/io/onnx/fusion-layernorm.js';
import { loadWithFusion, waveInput } from './harness/fusion.js';
import { maxAbsDiff } from './harness/close.js';
import { f32, i64, ints, node, model } from './harness/onnx-graph.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('zoo_expected.json', dir), 'utf8')) as {
  models: Record<string, { inputShape: number[]; output: number[] }>;
};
const wave = (n: number, k = 0.1) => Array.from({ length: n }, (_, i) => Math.fround(2 * Math.sin(0.731 * i + k)));
const LN_KINDS = ['ReduceMean', 'elementwise (Pow)', 'elementwise (Sqrt)', 'elementwise (Sub)'];

/** Loads `bytes` with the patterns fused or not; the steps of one run by kind, and of the decomposition's kinds. */
async function load(bytes: Uint8Array, fuse: boolean, feeds: Record<string, Tensor>) {
  const { net, calls } = await loadWithFusion(bytes, (on) => { layerNormFusionTuning.fuse = on; }, fuse, feeds);
  return { net, calls, lnCalls: LN_KINDS.reduce((s, k) => s + calls(k), 0) };
}

afterEach(() => { layerNormFusionTuning.fuse = true; });

describe('ConvNeXt (opset 13) with its layer norms fused', () => {
  it('PyTorch\'s values, fused or not; fused, no step of the decomposition is left', async () => {
    const e = expected.models.convnext;
    const bytes = new Uint8Array(readFileSync(new URL('convnext.onnx', dir)));
    const x1 = tensor(waveInput(e.inputShape.reduce((a, b) => a * b, 1)), e.inputShape); // the export's batch is fixed at 1
    const fused = await load(bytes, true, { input: x1 });
    const unfused = await load(bytes, false, { input: x1 });
    expect(unfused.lnCalls).toBeGreaterThan(20);
    expect(fused.lnCalls).toBe(0);
    expect(fused.calls('normalization (LayerNorm)')).toBe(unfused.calls('ReduceMean') / 2);
    // Its exact gelus (Div, Erf, Add, Mul, Mul) are one step each, profiled as Gelu.
    expect(fused.calls('elementwise (Gelu)')).toBeGreaterThan(0);
    expect(fused.calls('elementwise (Erf)')).toBe(0);
    const scale = Math.max(...e.output.map(Math.abs));
    for (const net of [fused.net, unfused.net]) {
      const y = net.predict(x1);
      expect(maxAbsDiff(y.dataSync(), e.output)).toBeLessThanOrEqual(1e-4 * scale);
      y.dispose();
    }
    x1.dispose();
    fused.net.dispose(); unfused.net.dispose();
  });
});

describe('hand-made patterns', () => {
  const X = [2, 3, 5];
  const EPS = 1e-5;
  const GAMMA = wave(5, 1), BETA = wave(5, 2);
  const inits = (gammaDims = [5], betaDims = [1, 5]) => [
    f32('two', [], [2]), f32('eps', [], [EPS]), f32('gamma', gammaDims, GAMMA), f32('beta', betaDims, BETA),
  ];
  // PyTorch's export of F.layer_norm(x, [C]) before opset 17.
  const decomposition = (x: string, y: string) => [
    node('ReduceMean', [x], ['m'], [ints('axes', [-1])]),
    node('Sub', [x, 'm'], ['d']),
    node('Pow', ['d', 'two'], ['p']),
    node('ReduceMean', ['p'], ['v'], [ints('axes', [-1])]),
    node('Add', ['v', 'eps'], ['ve']),
    node('Sqrt', ['ve'], ['s']),
    node('Div', ['d', 's'], ['n']),
    node('Mul', ['n', 'gamma'], ['g']),
    node('Add', ['g', 'beta'], [y]),
  ];

  /** Layer norm over the last axis in float64, gamma and beta read with wrap-around (a width-1 x broadcasts them). */
  function reference(x: number[], rows: number, C: number, outC: number): number[] {
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = x.slice(r * C, (r + 1) * C);
      const mean = row.reduce((a, b) => a + b, 0) / C;
      const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / C;
      for (let c = 0; c < outC; c++) out.push(((row[c % C] - mean) / Math.sqrt(variance + EPS)) * GAMMA[c] + BETA[c]);
    }
    return out;
  }

  it('one step with the float64 reference\'s values (opset 13 axes attribute)', async () => {
    const bytes = model(decomposition('x', 'y'), inits(), [['x', X]], ['y']);
    const x = tensor(wave(30, 3), X);
    for (const fuse of [true, false]) {
      const { net, lnCalls } = await load(bytes, fuse, { x });
      expect(lnCalls === 0).toBe(fuse);
      const y = net.run({ x }).y;
      expect(y.shape).toEqual(X);
      expect(maxAbsDiff(y.dataSync(), reference(wave(30, 3), 6, 5, 5))).toBeLessThan(2e-6);
      y.dispose(); net.dispose();
    }
    x.dispose();
  });

  it('gamma and beta reached through Identity nodes (PyTorch shares equal weights so): fused with the affine', async () => {
    const nodes = [
      node('Identity', ['gamma'], ['gamma_shared']), node('Identity', ['beta'], ['beta_1']), node('Identity', ['beta_1'], ['beta_shared']),
      ...decomposition('x', 'y').map((n) => node(n.opType!, n.input!.map((i) => (i === 'gamma' ? 'gamma_shared' : i === 'beta' ? 'beta_shared' : i)), n.output!, n.attribute ?? [])),
    ];
    const bytes = model(nodes, inits(), [['x', X]], ['y']);
    const x = tensor(wave(30, 3), X);
    const { net, lnCalls, calls } = await load(bytes, true, { x });
    expect([lnCalls, calls('elementwise (Mul)'), calls('elementwise (Add)')]).toEqual([0, 0, 0]);
    const y = net.run({ x }).y;
    expect(maxAbsDiff(y.dataSync(), reference(wave(30, 3), 6, 5, 5))).toBeLessThan(2e-6);
    y.dispose(); net.dispose(); x.dispose();
  });

  it('opset 18, axes as a constant input: fused too', async () => {
    const nodes = decomposition('x', 'y').map((n) => (n.opType === 'ReduceMean' ? node('ReduceMean', [n.input![0], 'axes'], n.output!) : n));
    const bytes = model(nodes, [...inits(), i64('axes', [-1])], [['x', X]], ['y'], 18);
    const x = tensor(wave(30, 3), X);
    const { net, lnCalls } = await load(bytes, true, { x });
    expect(lnCalls).toBe(0);
    const y = net.run({ x }).y;
    expect(maxAbsDiff(y.dataSync(), reference(wave(30, 3), 6, 5, 5))).toBeLessThan(2e-6);
    y.dispose(); net.dispose(); x.dispose();
  });

  it('an intermediate value that is a graph output, or a mean over another axis, keeps the nodes', async () => {
    const x = tensor(wave(30, 3), X);
    const seen = model(decomposition('x', 'y'), inits(), [['x', X]], ['y', 'd']);
    const otherAxis = model(decomposition('x', 'y').map((n, i) => (i === 0 ? node('ReduceMean', ['x'], ['m'], [ints('axes', [1])]) : n)), inits(), [['x', X]], ['y']);
    for (const bytes of [seen, otherAxis]) {
      const { net, lnCalls } = await load(bytes, true, { x });
      expect(lnCalls).toBeGreaterThan(0);
      const { net: plain } = await load(bytes, false, { x });
      const a = net.run({ x }).y, b = plain.run({ x }).y;
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      a.dispose(); b.dispose(); net.dispose(); plain.dispose();
    }
    x.dispose();
  });

  it('a run where x\'s last axis is not gamma\'s width takes the nodes\' own path (gamma broadcast over a width-1 axis)', async () => {
    const bytes = model(decomposition('x', 'y'), inits(), [['x', ['n', 3, 'c']]], ['y']);
    const x = tensor(wave(6, 3), [2, 3, 1]);
    const { net } = await load(bytes, true, { x: tensor(wave(30, 3), X) });
    const y = net.run({ x }).y;
    expect(y.shape).toEqual([2, 3, 5]);
    expect(maxAbsDiff(y.dataSync(), reference(wave(6, 3), 6, 1, 5))).toBeLessThan(2e-6);
    y.dispose(); net.dispose(); x.dispose();
  });
});
