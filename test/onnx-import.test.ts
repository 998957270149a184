// loadOnnx: small CNNs exported from PyTorch (test/fixtures/onnx/gen_onnx.py: residual block,
// depthwise-separable block, batch norms, max/avg/global pools, flatten + Gemm, softmax) must
// match PyTorch's outputs within 1e-4; corrupt or truncated bytes and unsupported ops or
// attributes throw FormatError (a fast-check fuzz of random corruptions: a model or a
// FormatError, never another error or a hang).
import { describe, it, expect, beforeAll } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { loadOnnx, tensor, backendInfo, FormatError, ShapeError, ValueError, DisposedError, ops, type Tensor } from '../src/index.js';
import { loadOnnxSync } from '../src/io/onnx/import.js';
import { f32, i64, ints, int, flt, str, node, model } from './harness/onnx-graph.js';
import { expectClose, maxAbsDiff } from './harness/close.js';
import { loadOrt, type Ort } from './harness/ort.js';
import type { NodeMsg, TensorMsg } from '../src/io/onnx/proto.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as {
  models: Record<string, { opset: number; inputShape: number[]; input: number[]; outputShape: number[]; output: number[] }>;
};
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));

describe('PyTorch exports match PyTorch within 1e-4', () => {
  it.each(Object.keys(expected.models))('%s', async (name) => {
    const e = expected.models[name];
    const net = await loadOnnx(fixture(name));
    expect(net.inputNames).toEqual(['input']);
    expect(net.outputNames).toEqual(['output']);
    expect(net.opset).toBe(e.opset);
    const x = tensor(e.input, e.inputShape);
    const y = net.predict(x);
    expect(y.shape).toEqual(e.outputShape);
    const diff = maxAbsDiff(y.dataSync(), e.output);
    console.log(`onnx import ${name}: max |ours - PyTorch| = ${diff.toExponential(2)}`);
    expectClose(y.dataSync(), e.output, { atol: 1e-4, what: `${name} vs PyTorch` });
    // run() gives the same, and a second run the same values again (no state kept).
    const again = net.run({ input: x }).output;
    expectClose(again.dataSync(), y.dataSync(), { what: 'second run' });
    x.dispose(); y.dispose(); again.dispose();
    net.dispose();
  });

  it('a dynamic batch (view(x.size(0), -1)) runs with another batch size', async () => {
    const e = expected.models.view_mlp;
    const net = await loadOnnx(fixture('view_mlp'));
    expect(net.inputs[0].shape).toEqual(['batch', 1, 12, 12]);
    const per = e.input.length / e.inputShape[0];
    const x1 = tensor(e.input.slice(per), [1, ...e.inputShape.slice(1)]);
    const y1 = net.predict(x1);
    expect(y1.shape).toEqual([1, 4]);
    expectClose(y1.dataSync(), e.output.slice(4), { atol: 1e-4, what: 'batch of 1' });
    net.dispose();
  });

  it('a wrong input shape is a ShapeError naming the input; runs and errors free their intermediates', async () => {
    const net = await loadOnnx(fixture('residual'));
    const e = expected.models.residual;
    const x = tensor(e.input, e.inputShape);
    net.predict(x).dispose(); // warm up (workspaces)
    const live = backendInfo().liveTensors;
    net.predict(x).dispose();
    expect(backendInfo().liveTensors).toBe(live);
    const small = tensor(new Float32Array(2 * 3 * 8 * 8), [2, 3, 8, 8]);
    expect(() => net.predict(small)).toThrow(ShapeError);
    expect(() => net.predict(small)).toThrow(/input 'input' has shape \[2,3,8,8\] but the graph expects \[2,3,16,16\]/);
    expect(() => net.run({})).toThrow(ValueError);
    expect(() => net.run({ input: x, other: x })).toThrow(/'other' is not an input/);
    expect(backendInfo().liveTensors).toBe(live + 1);
    small.dispose(); x.dispose();
    net.dispose();
    expect(() => net.predict(x)).toThrow(DisposedError);
  });

  it('an error inside the graph names the node, keeps its class and leaks nothing', async () => {
    // Reshape to a fixed [3, 5] fails at run time for an input of 12 values.
    const bytes = model([node('Relu', ['x'], ['r']), node('Reshape', ['r', 's'], ['y'], [], 'to_3x5')], [i64('s', [3, 5])], [['x', ['n', 'm']]], ['y']);
    const net = await loadOnnx(bytes);
    const x = tensor(new Float32Array(12), [3, 4]);
    const live = backendInfo().liveTensors;
    expect(() => net.predict(x)).toThrow(ShapeError);
    expect(() => net.predict(x)).toThrow(/node 'to_3x5' \(Reshape\): reshape: cannot reshape \[3,4\]/);
    expect(backendInfo().liveTensors).toBe(live);
    const ok = net.predict(tensor(new Float32Array(15).fill(-1), [5, 3]));
    expect(ok.shape).toEqual([3, 5]);
    net.dispose();
  });
});

// ---- hand-made graphs (reference: the same graph's semantics computed here) -------------------

describe('hand-made graphs', () => {
  it('Gemm alpha/beta/transA/transB, Dropout and Identity, Clip with attributes (opset 6)', async () => {
    // Y = 0.5 * A^T B^T + 2 * C, A given as [K, M].
    const A = [1, 2, 3, 4, 5, 6]; // [K=3, M=2]
    const B = [1, 0, -1, 2, 1, 0]; // [N=2, K=3]
    const C = [0.25, -0.5]; // [N]
    const bytes = model([
      node('Gemm', ['a', 'b', 'c'], ['g'], [flt('alpha', 0.5), flt('beta', 2), int('transA', 1), int('transB', 1)]),
      node('Dropout', ['g'], ['d'], [flt('ratio', 0.3)]),
      node('Identity', ['d'], ['i']),
      node('Clip', ['i'], ['y'], [flt('min', -1), flt('max', 3)]),
    ], [f32('b', [2, 3], B), f32('c', [2], C)], [['a', [3, 2]]], ['y'], 6);
    const net = await loadOnnx(bytes);
    const y = net.predict(tensor(A, [3, 2])).dataSync();
    const want: number[] = [];
    for (let m = 0; m < 2; m++) {
      for (let n = 0; n < 2; n++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += A[k * 2 + m] * B[n * 3 + k];
        want.push(Math.min(3, Math.max(-1, 0.5 * s + 2 * C[n])));
      }
    }
    expectClose(y, want, { atol: 1e-6, what: 'Gemm + Clip' });
  });

  it('Reshape with 0 and -1, Transpose, Concat, Softmax before opset 13 (flattened axes)', async () => {
    const x = Array.from({ length: 24 }, (_, i) => (i % 7) - 3);
    const bytes = model([
      node('Reshape', ['x', 's'], ['r']), // [2, 3, 4] -> [2, 0, -1] = [2, 3, 4]... then [2, 12]
      node('Reshape', ['r', 's2'], ['r2']),
      node('Softmax', ['r2'], ['y'], [int('axis', 1)]),
    ], [i64('s', [2, 0, -1]), i64('s2', [0, -1])], [['x', [2, 3, 4]]], ['y'], 11);
    const net = await loadOnnx(bytes);
    const y = net.predict(tensor(x, [2, 3, 4]));
    expect(y.shape).toEqual([2, 12]);
    const want = (ops.softmax(tensor(x, [2, 12]), -1) as Tensor).dataSync();
    expectClose(y.dataSync(), want, { atol: 1e-6, what: 'softmax' });
  });

  it('ReduceMean (axes attribute, or input from opset 18; keepdims 0; no axes), Sqrt, LayerNormalization', async () => {
    const x = Array.from({ length: 24 }, (_, i) => ((i * 5) % 11) - 4);
    const xt = tensor(x, [2, 3, 4]);
    const run = async (bytes: Uint8Array) => (await loadOnnx(bytes)).predict(xt);
    const m13 = await run(model([node('ReduceMean', ['x'], ['m'], [ints('axes', [1]), int('keepdims', 0)]), node('Sqrt', ['m'], ['y'])], [], [['x', [2, 3, 4]]], ['y']));
    expect(m13.shape).toEqual([2, 4]);
    expectClose(m13.dataSync(), ops.sqrt(ops.mean(xt, 1)).dataSync(), { atol: 1e-6, what: 'ReduceMean opset 13' });
    const m18 = await run(model([node('ReduceMean', ['x', 'axes'], ['y'])], [i64('axes', [-1, 0])], [['x', [2, 3, 4]]], ['y'], 18));
    expectClose(m18.dataSync(), ops.mean(xt, [0, 2], true).dataSync(), { atol: 1e-6, what: 'ReduceMean opset 18' });
    const all = await run(model([node('ReduceMean', ['x'], ['y'], [int('keepdims', 0)])], [], [['x', [2, 3, 4]]], ['y'], 18));
    expect(all.shape).toEqual([]);
    const noop = await run(model([node('ReduceMean', ['x'], ['y'], [int('noop_with_empty_axes', 1)])], [], [['x', [2, 3, 4]]], ['y'], 18));
    expect(Array.from(noop.dataSync())).toEqual(Array.from(xt.dataSync()));
    const gamma = [0.5, 1, 1.5, 2], beta = [0, 0.1, 0.2, 0.3];
    const ln = await run(model([node('LayerNormalization', ['x', 'g', 'b'], ['y'], [int('axis', -1), flt('epsilon', 1e-3)])],
      [f32('g', [4], gamma), f32('b', [4], beta)], [['x', [2, 3, 4]]], ['y'], 17));
    expectClose(ln.dataSync(), ops.layerNorm(xt, tensor(gamma), tensor(beta), { epsilon: 1e-3 }).dataSync(), { atol: 1e-6, what: 'LayerNormalization' });
    const bad = model([node('LayerNormalization', ['x', 'g'], ['y'], [int('stash_type', 0)], 'ln')], [f32('g', [4], gamma)], [['x', [2, 3, 4]]], ['y'], 17);
    await expect(loadOnnx(bad)).rejects.toThrow(/node 'ln' \(LayerNormalization\): stash_type/);
  });

  it('an unsupported op is a FormatError naming the node and op type', async () => {
    const bytes = model([node('Relu', ['x'], ['r']), node('Resize', ['r'], ['y'], [], 'upsample_1')], [], [['x', [1, 2, 4, 4]]], ['y']);
    await expect(loadOnnx(bytes)).rejects.toThrow(FormatError);
    await expect(loadOnnx(bytes)).rejects.toThrow(/node 'upsample_1' \(Resize\)/);
  });

  it('an unsupported attribute value is a FormatError naming the node', async () => {
    const bytes = model([node('MaxPool', ['x'], ['y'], [ints('kernel_shape', [2, 2]), ints('dilations', [2, 2])], 'mp')], [], [['x', [1, 1, 4, 4]]], ['y']);
    await expect(loadOnnx(bytes)).rejects.toThrow(/node 'mp' \(MaxPool\): dilations/);
    const bytes2 = model([node('Conv', ['x', 'w'], ['y'], [str('auto_pad', 'WEIRD')], 'c')], [f32('w', [1, 1, 1, 1], [1])], [['x', [1, 1, 4, 4]]], ['y']);
    await expect(loadOnnx(bytes2)).rejects.toThrow(/node 'c' \(Conv\): auto_pad 'WEIRD'/);
  });
});

// ---- graphs checked against onnxruntime-web (layouts, paddings, pooling modes) ------------------

describe('hand-made graphs vs onnxruntime-web', () => {
  let ort: Ort;
  beforeAll(async () => { ort = await loadOrt(); });

  // Deterministic values in [-1, 1).
  let seed = 12345;
  const rand = (n: number): number[] => Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) / (1 << 23) - 1;
  });
  const w = (name: string, dims: number[]) => f32(name, dims, rand(dims.reduce((a, b) => a * b, 1)));

  const cases: { name: string; nodes: NodeMsg[]; inits: TensorMsg[]; input: number[]; opset?: number }[] = [
    {
      name: 'Conv auto_pad SAME_LOWER stride 2, MaxPool auto_pad SAME_UPPER',
      input: [2, 2, 7, 6],
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c'], [str('auto_pad', 'SAME_LOWER'), ints('kernel_shape', [3, 3]), ints('strides', [2, 2])]),
        node('Relu', ['c'], ['r']),
        node('MaxPool', ['r'], ['y'], [str('auto_pad', 'SAME_UPPER'), ints('kernel_shape', [3, 3]), ints('strides', [2, 2])]),
      ],
      inits: [w('w1', [4, 2, 3, 3]), w('b1', [4])],
    },
    {
      name: 'grouped dilated Conv with asymmetric pads, AveragePool count_include_pad=1, Softmax over channels',
      input: [1, 4, 9, 8],
      nodes: [
        node('Conv', ['x', 'w1'], ['c'], [int('group', 2), ints('dilations', [2, 1]), ints('pads', [1, 0, 2, 1]), ints('kernel_shape', [3, 3])]),
        node('AveragePool', ['c'], ['p'], [ints('kernel_shape', [3, 2]), ints('strides', [2, 1]), ints('pads', [1, 1, 1, 0]), int('count_include_pad', 1)]),
        node('Softmax', ['p'], ['y'], [int('axis', 1)]),
      ],
      inits: [w('w1', [6, 2, 3, 3])],
    },
    {
      name: 'two branches, Concat on channels, per-channel Mul/Add, Transpose to NHWC, Flatten axis 2',
      input: [2, 3, 5, 5],
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], [ints('kernel_shape', [3, 3]), ints('pads', [1, 1, 1, 1])]),
        node('MaxPool', ['c1'], ['m'], [ints('kernel_shape', [2, 2]), ints('pads', [0, 0, 1, 1])]),
        node('Conv', ['x', 'w2'], ['c2'], [ints('kernel_shape', [1, 1])]),
        node('Concat', ['m', 'c2'], ['cat'], [int('axis', 1)]),
        node('Mul', ['cat', 'scale'], ['s']),
        node('Add', ['s', 'shift'], ['a']),
        node('Transpose', ['a'], ['t'], [ints('perm', [0, 2, 3, 1])]),
        node('Flatten', ['t'], ['y'], [int('axis', 2)]),
      ],
      inits: [w('w1', [4, 3, 3, 3]), w('b1', [4]), w('w2', [2, 3, 1, 1]), w('scale', [6, 1, 1]), w('shift', [1])],
    },
    {
      name: 'AveragePool ceil_mode count_include_pad=0 with pads, MaxPool ceil_mode on odd sizes, LeakyRelu',
      input: [1, 3, 9, 7],
      nodes: [
        node('AveragePool', ['x'], ['p'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), int('ceil_mode', 1)]),
        node('LeakyRelu', ['p'], ['l'], [flt('alpha', 0.2)]),
        node('MaxPool', ['l'], ['y'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), int('ceil_mode', 1)]),
      ],
      inits: [],
    },
    {
      name: 'variadic Max of three (an NCHW conv, the input, a broadcast constant) and Min of one',
      input: [1, 2, 5, 4],
      nodes: [
        node('Conv', ['x', 'w1'], ['c'], [ints('kernel_shape', [1, 1])]),
        node('Max', ['c', 'x', 'floor'], ['m']),
        node('Min', ['m'], ['y']),
      ],
      inits: [w('w1', [2, 2, 1, 1]), w('floor', [2, 1, 1])],
    },
    {
      name: 'batched MatMul, Add, Clip with min/max inputs, Softmax',
      input: [2, 3, 4],
      nodes: [
        node('MatMul', ['x', 'b'], ['m']),
        node('Add', ['m', 'bias'], ['a']),
        node('Clip', ['a', 'lo', 'hi'], ['c']),
        node('Softmax', ['c'], ['y'], [int('axis', -1)]),
      ],
      inits: [w('b', [2, 4, 5]), w('bias', [5]), f32('lo', [], [-0.3]), f32('hi', [], [0.4])],
    },
    {
      name: 'Pad with a value on an NHWC-held value, ConvTranspose, GlobalAveragePool, Flatten, Gemm',
      input: [2, 2, 4, 3],
      nodes: [
        node('Conv', ['x', 'w1'], ['c'], [ints('kernel_shape', [1, 1])]),
        node('Pad', ['c', 'pads', 'pv'], ['p'], [str('mode', 'constant')]),
        node('ConvTranspose', ['p', 'wt', 'bt'], ['u'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 0, 1]), ints('output_padding', [1, 0])]),
        node('GlobalAveragePool', ['u'], ['g']),
        node('Flatten', ['g'], ['f']),
        node('Gemm', ['f', 'gw', 'gb'], ['y'], [int('transB', 1)]),
      ],
      inits: [w('w1', [3, 2, 1, 1]), i64('pads', [0, 0, 1, 2, 0, 0, 2, 1]), f32('pv', [], [0.5]), w('wt', [3, 4, 3, 3]), w('bt', [4]), w('gw', [5, 4]), w('gb', [5])],
    },
    {
      name: '1-D Conv: grouped, dilated, asymmetric pads, bias and a fused Relu; then auto_pad SAME_UPPER stride 2',
      input: [2, 4, 11],
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c'], [int('group', 2), ints('dilations', [2]), ints('pads', [2, 1]), ints('kernel_shape', [3])]),
        node('Relu', ['c'], ['r']),
        node('Conv', ['r', 'w2'], ['y'], [str('auto_pad', 'SAME_UPPER'), ints('strides', [2]), ints('kernel_shape', [2])]),
      ],
      inits: [w('w1', [6, 2, 3]), w('b1', [6]), w('w2', [3, 6, 2])],
    },
    {
      name: 'BatchNormalization on 3-D and 4-D, Elu, Sub, Div, Sigmoid, Tanh',
      input: [2, 3, 6],
      nodes: [
        node('BatchNormalization', ['x', 'g', 'b', 'm', 'v'], ['bn'], [flt('epsilon', 1e-3)]),
        node('Elu', ['bn'], ['e'], [flt('alpha', 0.7)]),
        node('Sub', ['e', 'm3'], ['s']),
        node('Div', ['s', 'two'], ['d']),
        node('Reshape', ['d', 'shape4'], ['r4']),
        node('BatchNormalization', ['r4', 'g', 'b', 'm', 'v'], ['bn4']),
        node('Sigmoid', ['bn4'], ['sg']),
        node('Tanh', ['sg'], ['y']),
      ],
      inits: [w('g', [3]), w('b', [3]), w('m', [3]), f32('v', [3], [0.5, 1, 2]), w('m3', [3, 1]), f32('two', [], [2]), i64('shape4', [0, 0, 2, 3])],
    },
    {
      name: 'HardSigmoid (alpha 0.2 and 1/6), HardSwish (opset 14), Softplus, Erf, Clip(0, 6), x * Sigmoid(x), on x in [-8, 8)',
      input: [2, 3, 4, 5], opset: 14,
      nodes: [
        node('Mul', ['x', 'eight'], ['s']),
        node('HardSigmoid', ['s'], ['h1']),
        node('HardSigmoid', ['s'], ['h2'], [flt('alpha', 1 / 6), flt('beta', 0.5)]),
        node('HardSwish', ['s'], ['h3']),
        node('Softplus', ['s'], ['sp']),
        node('Erf', ['s'], ['e']),
        node('Clip', ['s', 'zero', 'six'], ['r6']),
        node('Sigmoid', ['s'], ['sg']),
        node('Mul', ['s', 'sg'], ['si']),
        node('Concat', ['h1', 'h2', 'h3', 'sp', 'e', 'r6', 'si'], ['y'], [int('axis', 0)]),
      ],
      inits: [f32('eight', [], [8]), f32('zero', [], [0]), f32('six', [], [6])],
    },
  ];

  it.each(cases)('$name', async (c) => {
    const inputValues = rand(c.input.reduce((a, b) => a * b, 1));
    const bytes = model(c.nodes, c.inits, [['x', c.input]], ['y'], c.opset ?? 13);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const ref = (await session.run({ x: new ort.Tensor('float32', Float32Array.from(inputValues), c.input) })).y;
    await session.release();
    const net = await loadOnnx(bytes);
    const y = net.predict(tensor(inputValues, c.input));
    expect(y.shape).toEqual(ref.dims);
    expectClose(y.dataSync(), ref.data as Float32Array, { atol: 1e-5, what: 'vs onnxruntime-web' });
    net.dispose();
  });
});

// ---- corrupt bytes ----------------------------------------------------------------------------

function loadOrFormatError(bytes: Uint8Array): 'ok' | 'format' {
  try {
    const net = loadOnnxSync(bytes);
    net.dispose();
    return 'ok';
  } catch (e) {
    if (e instanceof FormatError) return 'format';
    throw e;
  }
}

describe('corrupt bytes', () => {
  const good = fixture('batchnorm_pools');

  it('empty, garbage and truncated bytes are FormatErrors', async () => {
    await expect(loadOnnx(new Uint8Array(0))).rejects.toThrow(FormatError);
    await expect(loadOnnx(new TextEncoder().encode('definitely not a protobuf'))).rejects.toThrow(FormatError);
    for (const n of [1, 10, 100, good.length >> 1, good.length - 1]) {
      await expect(loadOnnx(good.subarray(0, n))).rejects.toThrow(FormatError);
    }
    await expect(loadOnnx('nope' as unknown as Uint8Array)).rejects.toThrow(ValueError);
  });

  it('random corruptions load or throw FormatError (fuzz)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.nat(), fc.boolean(),
      (edits, cut, truncate) => {
        const b = good.slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        const bytes = truncate ? b.subarray(0, cut % b.length) : b;
        expect(['ok', 'format']).toContain(loadOrFormatError(bytes));
      },
    ), { numRuns: 300, seed: 42 });
  });
});
