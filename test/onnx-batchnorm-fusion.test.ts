// loadOnnx runs an inference BatchNormalization as one step with the channel Concat before it and
// the Relu after it (src/io/onnx/fusion-norm.ts, DenseNet's pre-activation layers). The values
// must be exactly those of the nodes run one by one, and of an index-loop reference in float32
// arithmetic; on the reduced DenseNet fixture, PyTorch's; on two threads, the one-thread bits.
// A Concat another node also reads stays a step of its own, and values that are not 4-D take the
// nodes' own path.
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadOnnx, tensor, type Tensor } from '../src/index.js';
import { batchNormFusionTuning } from '../src/io/onnx/fusion-norm.js';
import { expectSameBitsAndPyTorch, loadWithFusion, waveBatches } from './harness/fusion.js';
import { runChild, haveDist } from './harness/child.js';
import { f32, flt, int, node, model } from './harness/onnx-graph.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('zoo_expected.json', dir), 'utf8')) as {
  models: Record<string, { inputShape: number[]; output: number[] }>;
};
const wave = (n: number, k = 0.1) => Array.from({ length: n }, (_, i) => Math.fround(2 * Math.sin(0.731 * i + k)));
const size = (d: number[]) => d.reduce((a, b) => a * b, 1);

/** Loads `bytes` with the chains fused or not; the steps of one run by kind. */
const load = (bytes: Uint8Array, fuse: boolean, feeds: Record<string, Tensor>) =>
  loadWithFusion(bytes, (on) => { batchNormFusionTuning.fuse = on; }, fuse, feeds);

afterEach(() => { batchNormFusionTuning.fuse = true; });

describe('DenseNet with Concat -> BatchNormalization -> Relu fused', () => {
  it('the bits of the unfused graph at batch 1 and 2, PyTorch\'s values, no Concat or Relu steps', async () => {
    const e = expected.models.densenet;
    const bytes = new Uint8Array(readFileSync(new URL('densenet.onnx', dir)));
    const [x1, x2] = waveBatches(e.inputShape);
    const fused = await load(bytes, true, { input: x1 });
    const unfused = await load(bytes, false, { input: x1 });
    expect(unfused.calls('concat / split (Concat)')).toBeGreaterThan(3);
    expect(fused.calls('concat / split (Concat)')).toBe(0);
    expect(fused.calls('elementwise (Relu)')).toBeLessThan(unfused.calls('elementwise (Relu)'));
    expectSameBitsAndPyTorch(fused.net, unfused.net, [x1, x2], e.output);
    x1.dispose(); x2.dispose();
    fused.net.dispose(); unfused.net.dispose();
  });
});

// Two NCHW inputs of 3 and 5 channels, batch-norm parameters for the 8 channels of their Concat.
const C = 8;
const PARAMS = { gamma: wave(C, 1), beta: wave(C, 2), mean: wave(C, 3), variance: wave(C, 4).map((v) => Math.fround(v * v + 0.05)) };
const EPS = 1e-3;
const inits = () => [f32('gamma', [C], PARAMS.gamma), f32('beta', [C], PARAMS.beta), f32('mean', [C], PARAMS.mean), f32('var', [C], PARAMS.variance)];
const bn = (input: string, out: string) => node('BatchNormalization', [input, 'gamma', 'beta', 'mean', 'var'], [out], [flt('epsilon', EPS)]);

/** relu?(batch norm(concat(xs, axis 1))) of NCHW arrays by index loops, each operation rounded to float32 as the kernels do. */
function reference(xs: { data: number[]; dims: number[] }[], relu: boolean): number[] {
  const f = Math.fround;
  const [N, , H, W] = xs[0].dims;
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    let c0 = 0;
    for (const x of xs) {
      const Ci = x.dims[1];
      for (let c = 0; c < Ci; c++) {
        const k = c0 + c;
        const s = f(PARAMS.gamma[k] * f(1 / f(Math.sqrt(f(PARAMS.variance[k] + f(EPS))))));
        for (let p = 0; p < H * W; p++) {
          let v = f(f(f(x.data[(n * Ci + c) * H * W + p] - PARAMS.mean[k]) * s) + PARAMS.beta[k]);
          if (relu) v = Math.max(v, 0);
          out.push(v);
        }
      }
      c0 += Ci;
    }
  }
  return out;
}

describe('hand-made chains', () => {
  const A = [2, 3, 4, 5], B = [2, 5, 4, 5];
  const feeds = () => ({ a: tensor(wave(size(A), 5), A), b: tensor(wave(size(B), 6), B) });
  const ref = (relu: boolean) => reference([{ data: wave(size(A), 5), dims: A }, { data: wave(size(B), 6), dims: B }], relu);

  it.each([
    { name: 'Concat -> BatchNormalization -> Relu: one step', relu: true, tail: [node('Relu', ['n'], ['y'])], steps: 1 },
    { name: 'Concat -> BatchNormalization: one step', relu: false, tail: [node('Identity', ['n'], ['y'])], steps: 1 },
  ])('$name, the reference\'s values', async ({ relu, tail, steps }) => {
    const bytes = model([node('Concat', ['a', 'b'], ['c'], [int('axis', 1)]), bn('c', 'n'), ...tail], inits(), [['a', A], ['b', B]], ['y']);
    const f = feeds();
    for (const fuse of [true, false]) {
      const { net, calls } = await load(bytes, fuse, f);
      const y = net.run(f).y;
      expect(y.shape).toEqual([2, C, 4, 5]);
      expect(Array.from(y.dataSync())).toEqual(ref(relu));
      if (fuse) expect(calls('normalization (BatchNormalization)') + calls('concat / split (Concat)') + calls('elementwise (Relu)')).toBe(steps);
      y.dispose(); net.dispose();
    }
  });

  it('a Concat read by another node too, and a Relu that is a graph output, keep their own steps', async () => {
    const nodes = [node('Concat', ['a', 'b'], ['c'], [int('axis', 1)]), bn('c', 'n'), node('Relu', ['n'], ['y'])];
    const bytes = model(nodes, inits(), [['a', A], ['b', B]], ['y', 'c', 'n']);
    const f = feeds();
    const { net, calls } = await load(bytes, true, f);
    expect([calls('concat / split (Concat)'), calls('elementwise (Relu)')]).toEqual([1, 1]);
    const out = net.run(f);
    expect(Array.from(out.y.dataSync())).toEqual(ref(true));
    expect(Array.from(out.n.dataSync())).toEqual(ref(false));
    for (const t of Object.values(out)) t.dispose();
    net.dispose();
  });

  it('a 2-D BatchNormalization takes the nodes\' own path with the same values', async () => {
    const bytes = model([node('Concat', ['a', 'b'], ['c'], [int('axis', 1)]), bn('c', 'n'), node('Relu', ['n'], ['y'])], inits(), [['a', [4, 3]], ['b', [4, 5]]], ['y']);
    const f = { a: tensor(wave(12, 5), [4, 3]), b: tensor(wave(20, 6), [4, 5]) };
    const want = reference([{ data: wave(12, 5), dims: [4, 3, 1, 1] }, { data: wave(20, 6), dims: [4, 5, 1, 1] }], true);
    for (const fuse of [true, false]) {
      batchNormFusionTuning.fuse = fuse;
      const net = await loadOnnx(bytes);
      const y = net.run(f).y;
      expect(Array.from(y.dataSync())).toEqual(want);
      y.dispose(); net.dispose();
    }
  });

  it('a Concat whose channels do not match the parameters is a ShapeError naming the node', async () => {
    const bytes = model([node('Concat', ['a', 'b'], ['c'], [int('axis', 1)]), bn('c', 'n'), node('Relu', ['n'], ['y'])], inits(), [['a', [1, 3, 2, 2]], ['b', [1, 4, 2, 2]]], ['y']);
    const net = await loadOnnx(bytes, { warmUp: false });
    expect(() => net.run({ a: tensor(wave(12), [1, 3, 2, 2]), b: tensor(wave(16), [1, 4, 2, 2]) })).toThrow(/BatchNormalization.*one value per channel/);
    net.dispose();
  });

  it.skipIf(!haveDist)('on two threads (rows split) a large chain gives the one-thread bits', () => {
    const big = [1, 40, 64, 64];
    const nodes = [node('Concat', ['a', 'b'], ['c'], [int('axis', 1)]), node('BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['n']), node('Relu', ['n'], ['y'])];
    const K = 80;
    const bytes = model(nodes, [f32('gamma', [K], wave(K, 1)), f32('beta', [K], wave(K, 2)), f32('mean', [K], wave(K, 3)), f32('var', [K], wave(K, 4).map((v) => v * v + 0.1))],
      [['a', big], ['b', big]], ['y']);
    const r = runChild(`
      const { readFileSync } = await import('node:fs');
      await W.init({ threads: 2, simd: 'baseline' });
      const net = await W.loadOnnx(readFileSync('net.onnx'));
      const a = W.randn(${JSON.stringify(big)}), b = W.randn(${JSON.stringify(big)});
      const bits = () => Array.from(new Uint32Array(net.run({ a, b }).y.dataSync().buffer.slice(0)));
      W.setNumThreads(1); const one = bits();
      W.setNumThreads(2); const two = bits();
      console.log(JSON.stringify({ threads: W.backendInfo().threads, same: one.every((v, i) => v === two[i]), n: one.length }));`,
    { files: { 'net.onnx': bytes }, timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ threads: 2, same: true, n: 2 * size(big) });
  });
});
