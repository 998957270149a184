// loadOnnx runs the elementwise ops after a Conv (a residual Add, then Relu, Clip, HardSwish,
// x * HardSigmoid(x), x * Sigmoid(x) or Sigmoid) in the Conv's step, in place. The result must
// have exactly the bits of the same ops run one by one (conv2d, add, the activation), and the
// same bits on two threads; chains the step cannot take (a residual defined after the Conv, a broadcast
// residual, an intermediate graph output, a second reader) must still give the ops' result. The
// per-kind profile (startOpProfile / stopOpProfile) names the conv algorithms.
import { describe, it, expect } from 'vitest';
import { loadOnnx, tensor, ops, startOpProfile, stopOpProfile, type Tensor } from '../src/index.js';
import { runChild, haveDist } from './harness/child.js';
import { f32, flt, int, ints, node, model } from './harness/onnx-graph.js';
import type { NodeMsg, TensorMsg } from '../src/io/onnx/proto.js';

let seed = 777;
const rand = (n: number, scale = 1): number[] => Array.from({ length: n }, () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return ((seed >>> 8) / (1 << 23) - 1) * scale;
});
const size = (d: number[]) => d.reduce((a, b) => a * b, 1);

// x [1, 8, 12, 10]; w1 3x3 8 -> 8 (Winograd), w2 1x1 8 -> 8 (pointwise), dw 3x3 depthwise.
const X = [1, 8, 12, 10];
const DIMS: Record<string, number[]> = { w1: [8, 8, 3, 3], b1: [8], w2: [8, 8, 1, 1], b2: [8], dw: [8, 1, 3, 3], lo: [], hi: [], chan: [1, 8, 1, 1] };
const VALUES: Record<string, number[]> = {
  w1: rand(8 * 8 * 9, 0.5), b1: rand(8), w2: rand(64), b2: rand(8), dw: rand(72), lo: [0], hi: [6], chan: rand(8),
};
const inits = (): TensorMsg[] => Object.keys(DIMS).map((name) => f32(name, DIMS[name], VALUES[name]));
const conv1 = (out: string, input = 'x') => node('Conv', [input, 'w1', 'b1'], [out], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]);
const conv2 = (out: string, input = 'x') => node('Conv', [input, 'w2', 'b2'], [out], [ints('kernel_shape', [1, 1])]);
const dwConv = (out: string, input = 'x') => node('Conv', [input, 'dw'], [out], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1]), int('group', 8)]);

/** The same computation with the library's ops, NHWC: conv2d (HWIO weights) and the elementwise ops one at a time. */
function reference(x: Tensor) {
  const t = (name: string) => tensor(VALUES[name], DIMS[name]);
  const hwio = (name: string) => ops.transpose(t(name), [2, 3, 1, 0]);
  const xh = ops.transpose(x, [0, 2, 3, 1]);
  return {
    xh,
    c1: (input = xh) => ops.conv2d(input, hwio('w1'), t('b1'), { padding: 1 }),
    c2: (input = xh) => ops.conv2d(input, hwio('w2'), t('b2')),
    dw: (input = xh) => ops.conv2d(input, hwio('dw'), null, { padding: 1, groups: 8 }),
    chan: () => ops.reshape(t('chan'), [1, 1, 1, 8]),
    nchw: (y: Tensor) => ops.transpose(y, [0, 3, 1, 2]),
  };
}

const bits = (t: Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

type Ref = ReturnType<typeof reference>;
// separate: the steps left besides the convs (the fused chains leave none).
const cases: { name: string; nodes: NodeMsg[]; outputs?: string[]; separate?: number; ref: (r: Ref) => Tensor[] }[] = [
  {
    name: 'Conv -> Relu (in the kernel)',
    nodes: [conv1('c'), node('Relu', ['c'], ['y'])],
    ref: (r) => [ops.relu(r.c1())],
  },
  {
    name: 'Conv -> Clip(0, 6) (MobileNetV2)',
    nodes: [conv2('c'), node('Clip', ['c', 'lo', 'hi'], ['y'])],
    ref: (r) => [ops.clip(r.c2(), 0, 6)],
  },
  {
    name: 'Conv -> x * Sigmoid(x) (EfficientNet), Conv -> Sigmoid',
    nodes: [dwConv('c'), node('Sigmoid', ['c'], ['s']), node('Mul', ['s', 'c'], ['m']), conv2('d', 'm'), node('Sigmoid', ['d'], ['y'])],
    ref: (r) => { const c = r.dw(); return [ops.sigmoid(r.c2(ops.mul(ops.sigmoid(c), c)))]; },
  },
  {
    name: 'Conv -> x * HardSigmoid(x) and Conv -> HardSwish (MobileNetV3)',
    nodes: [conv1('c'), node('HardSigmoid', ['c'], ['h'], [flt('alpha', 1 / 6), flt('beta', 0.5)]), node('Mul', ['c', 'h'], ['m']),
      conv2('d', 'm'), node('HardSwish', ['d'], ['y'])],
    ref: (r) => { const c = r.c1(); return [ops.hardSwish(r.c2(ops.mul(c, ops.hardSigmoid(c))))]; },
  },
  {
    name: 'residual Add -> Relu (ResNet: the skip defined before the Conv)',
    nodes: [conv1('a'), node('Relu', ['a'], ['r']), conv1('c', 'r'), node('Add', ['c', 'r'], ['s']), node('Relu', ['s'], ['y'])],
    ref: (r) => { const a = ops.relu(r.c1()); return [ops.relu(ops.add(r.c1(a), a))]; },
  },
  {
    name: 'residual defined after the Conv: the later Conv takes the Add (ResNet downsample)',
    nodes: [conv1('c'), conv2('d'), node('Add', ['c', 'd'], ['y'])],
    ref: (r) => [ops.add(r.c1(), r.c2())],
  },
  {
    name: 'broadcast residuals (NHWC per channel, NCHW per channel) and one in NCHW layout: added by the ops in the step',
    nodes: [node('GlobalAveragePool', ['x'], ['g']), conv2('c'), node('Add', ['c', 'g'], ['s']), node('Relu', ['s'], ['t']),
      conv2('e'), node('Add', ['chan', 'e'], ['v']), node('Sigmoid', ['v'], ['w']),
      conv2('d'), node('Add', ['d', 'x'], ['u']), node('Clip', ['u', 'lo', 'hi'], ['y'])],
    outputs: ['t', 'w', 'y'],
    separate: 1,
    ref: (r) => [ops.relu(ops.add(r.c2(), ops.reshape(ops.globalAvgPool2d(r.xh), [1, 1, 1, 8]))), ops.sigmoid(ops.add(r.chan(), r.c2())),
      ops.clip(ops.add(r.c2(), r.xh), 0, 6)],
  },
  {
    name: 'an intermediate graph output and a second reader stop the chain',
    nodes: [conv1('c'), node('Relu', ['c'], ['r']), conv2('d'), node('Sigmoid', ['d'], ['s']), node('Mul', ['s', 'd'], ['m']), node('Add', ['d', 'm'], ['y'])],
    outputs: ['c', 'r', 'y'],
    separate: 4,
    ref: (r) => { const c = r.c1(); const d = r.c2(); return [c, ops.relu(c), ops.add(d, ops.mul(ops.sigmoid(d), d))]; },
  },
];

describe('loadOnnx fuses the ops after a Conv with the bits of the separate ops', () => {
  it.each(cases)('$name', async ({ nodes, outputs = ['y'], separate = 0, ref }) => {
    const initsList = inits();
    const used = new Set(nodes.flatMap((n) => n.input!));
    const bytes = model(nodes, initsList.filter((t) => used.has(t.name!)), [['x', X]], outputs);
    const net = await loadOnnx(bytes);
    const x = tensor(rand(size(X), 2), X);
    const r = reference(x);
    const want = ref(r).map((t) => (t.rank === 4 ? r.nchw(t) : t));
    startOpProfile();
    const got = net.run({ x });
    const rows = stopOpProfile();
    expect(rows.filter((row) => !row.kind.startsWith('conv') && row.kind !== 'layout').reduce((a, row) => a + row.calls, 0)).toBe(separate);
    outputs.forEach((name, i) => {
      expect(got[name].shape).toEqual(want[i].shape);
      expect(bits(got[name])).toEqual(bits(want[i]));
    });
    net.dispose();
  });

  it.skipIf(!haveDist)('on two threads (split elementwise passes) a large fused chain gives the one-thread bits', () => {
    const nodes = [conv2('c'), node('Sigmoid', ['c'], ['s']), node('Mul', ['c', 's'], ['m']), conv2('d', 'm'), node('Add', ['d', 'm'], ['e']),
      node('Clip', ['e', 'lo', 'hi'], ['y'])];
    const bytes = model(nodes, inits().filter((t) => ['w2', 'b2', 'lo', 'hi'].includes(t.name!)), [['x', [1, 8, 192, 192]]], ['y']);
    const r = runChild(`
      const { readFileSync } = await import('node:fs');
      await W.init({ threads: 2, simd: 'baseline' });
      const net = await W.loadOnnx(readFileSync('net.onnx'));
      const x = W.randn([1, 8, 192, 192]);
      const bits = () => Array.from(new Uint32Array(net.predict(x).dataSync().buffer.slice(0)));
      W.setNumThreads(1); const one = bits();
      W.setNumThreads(2); const two = bits();
      console.log(JSON.stringify({ threads: W.backendInfo().threads, same: one.every((v, i) => v === two[i]), n: one.length }));`,
    { files: { 'net.onnx': bytes }, timeoutMs: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ threads: 2, same: true, n: 8 * 192 * 192 });
  });
});

describe('startOpProfile / stopOpProfile', () => {
  it('times an imported graph by kind, conv by algorithm, and costs nothing when off', async () => {
    const initsList = inits();
    const nodes = [conv1('a'), node('Relu', ['a'], ['r']), conv2('c', 'r'), dwConv('d', 'c'), node('MaxPool', ['d'], ['p'], [ints('kernel_shape', [2, 2])]),
      node('Flatten', ['p'], ['y'])];
    const used = new Set(nodes.flatMap((n) => n.input!));
    const net = await loadOnnx(model(nodes, initsList.filter((t) => used.has(t.name!)), [['x', X]], ['y']));
    const x = tensor(rand(size(X)), X);
    expect(stopOpProfile()).toEqual([]); // nothing collected while off
    net.predict(x);
    startOpProfile();
    net.predict(x);
    net.predict(x);
    const rows = stopOpProfile();
    const kinds = Object.fromEntries(rows.map((r) => [r.kind, r.calls]));
    expect(kinds).toEqual({
      'conv winograd': 2, 'conv 1x1 pointwise': 2, 'conv depthwise': 2, 'pooling (MaxPool)': 2, layout: expect.any(Number),
    });
    expect(rows.every((r) => r.ms >= 0 && Number.isFinite(r.ms))).toBe(true);
    expect(rows.map((r) => r.ms)).toEqual([...rows.map((r) => r.ms)].sort((a, b) => b - a));
    net.predict(x);
    expect(stopOpProfile()).toEqual([]); // stopped: the run after it is not counted
    net.dispose();
  });
});
