// Hostile ONNX graphs and huge models: refused with a typed error in bounded time and memory, the
// process survives, and the next valid call works; and graph building and ONNX loading stay
// linear in the number of layers / nodes. The cases that once crashed V8 (an integer Reshape
// to a wrong element count then Transpose: "invalid table size"; a ConstantOfShape of 2^28 int64:
// heap exhaustion) run in a child process with a 256 MiB heap, so a regression fails the test
// instead of killing the runner. Time bounds are CPU time and generous: each is at least 3x the
// figure measured on a shared 2-core machine (before the fix: > 1 min, ~25 s and quadratic).
import { describe, it, expect } from 'vitest';
import { loadOnnx, tensor, backendInfo, nn, Sequential, Model, FormatError, ShapeError, ValueError } from '../src/index.js';
import { encodeModelChecked } from './onnx-codec.js';
import { runChild, haveDist } from './harness/child.js';
import { AT, DT, type ModelMsg, type NodeMsg, type TensorMsg } from '../src/io/onnx/proto.js';

const i64 = (name: string, values: number[], dims = [values.length]): TensorMsg => ({ name, dims, dataType: DT.INT64, int64Data: values });
const node = (opType: string, input: string[], output: string[], attribute: NodeMsg['attribute'] = []): NodeMsg => ({ opType, input, output, name: output[0], attribute });
const toFloat = (x: string, y: string) => node('Cast', [x], [y], [{ name: 'to', type: AT.INT, i: DT.FLOAT }]);
const valueOf = (name: string, t: TensorMsg) => ({ name, type: AT.TENSOR, t });

function onnxModel(nodes: NodeMsg[], inits: TensorMsg[], inputs: [string, number[]][], outputs: string[]): Uint8Array {
  const vi = (name: string, dims?: number[]) => ({
    name, type: { tensorType: { elemType: DT.FLOAT, ...(dims ? { shape: { dim: dims.map((d) => ({ dimValue: d })) } } : {}) } },
  });
  const m: ModelMsg = {
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'hostile',
    graph: { name: 'g', node: nodes, initializer: inits, input: inputs.map(([n, d]) => vi(n, d)), output: outputs.map((n) => vi(n)) },
  };
  return encodeModelChecked(m);
}

/** The two files that crashed the process: tiny, built as an attacker would. */
const reshapeThenTranspose = onnxModel([node('Reshape', ['c', 's'], ['r']), node('Transpose', ['r'], ['t']), toFloat('t', 'y')],
  [i64('c', [1, 2]), i64('s', [32768, 32768])], [], ['y']);
const int64ConstantOfShape = onnxModel([node('ConstantOfShape', ['s'], ['y'], [valueOf('value', i64('v', [7], [1]))])],
  [i64('s', [1 << 28])], [], ['y']);

/** Loads `file` in a child process with a 256 MiB heap; prints the error class and message. */
function loadInChild(file: Uint8Array) {
  const r = runChild(`
    import { readFileSync } from 'node:fs';
    await W.init({ wasm: readFileSync(${JSON.stringify(new URL('../dist/wasm-cnn.wasm', import.meta.url).pathname)}) });
    const t0 = performance.now();
    let error = null;
    try { (await W.loadOnnx(readFileSync('hostile.onnx'))).dispose(); } catch (e) { error = { name: e.name, message: e.message }; }
    const ms = performance.now() - t0;
    // the next valid call works
    const ok = W.ops.add(W.tensor([1, 2]), W.tensor([3, 4])).dataSync().join(',');
    console.log(JSON.stringify({ error, ms, ok, heapMiB: process.memoryUsage().heapUsed / 1048576 }));`,
  { nodeFlags: ['--max-old-space-size=256'], files: { 'hostile.onnx': file }, timeoutMs: 60_000 });
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { error: { name: string; message: string } | null; ms: number; ok: string; heapMiB: number };
}

describe.skipIf(!haveDist)('tiny ONNX files that crashed the process are a FormatError (child process, 256 MiB heap)', () => {
  it(`integer Reshape to the wrong element count, then Transpose (${reshapeThenTranspose.length} bytes): FormatError within 5 s`, () => {
    expect(reshapeThenTranspose.length).toBeLessThan(200);
    const out = loadInChild(reshapeThenTranspose);
    expect(out.error?.name).toBe('FormatError');
    expect(out.error?.message).toContain("node 'r' (Reshape): cannot reshape [2] (2 values) to [32768,32768]");
    expect(out.ms).toBeLessThan(5000);
    expect(out.ok).toBe('4,6');
  }, 70_000);

  it(`ConstantOfShape of 2^28 int64 (${int64ConstantOfShape.length} bytes): FormatError within 5 s, the heap untouched`, () => {
    expect(int64ConstantOfShape.length).toBeLessThan(200);
    const out = loadInChild(int64ConstantOfShape);
    expect(out.error?.name).toBe('FormatError');
    expect(out.error?.message).toContain("node 'y' (ConstantOfShape): cannot make an integer tensor: shape [268435456] has 268435456 elements, over the limit of 4194304");
    expect(out.ms).toBeLessThan(5000);
    expect(out.heapMiB).toBeLessThan(128);
    expect(out.ok).toBe('4,6');
  }, 70_000);

  it('integer tensors within the per-tensor cap but over the per-load budget (5 x 2^22): FormatError naming the budget', () => {
    const shape = i64('s', [1 << 22]);
    const nodes = [0, 1, 2, 3, 4].map((k) => node('ConstantOfShape', ['s'], [`c${k}`], [valueOf('value', i64('v', [k], [1]))]));
    const out = loadInChild(onnxModel(nodes, [shape], [], ['c4']));
    expect(out.error?.name).toBe('FormatError');
    expect(out.error?.message).toContain("node 'c4' (ConstantOfShape): integer tensors of 20971520 elements in all would pass the limit of 16777216 per run");
    expect(out.ok).toBe('4,6');
  }, 70_000);
});

describe('shape arithmetic is checked', () => {
  const refused = async (bytes: Uint8Array, ...fragments: string[]) => {
    const live = backendInfo().liveTensors;
    const err = await loadOnnx(bytes).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(FormatError);
    for (const f of fragments) expect((err as Error).message).toContain(f);
    expect(backendInfo().liveTensors).toBe(live);
  };

  it('a constant integer Reshape to a wrong element count at small sizes: FormatError (no silent garbage)', async () => {
    await refused(onnxModel([node('Reshape', ['c', 's'], ['y'])], [i64('c', [1, 2, 3, 4, 5, 6]), i64('s', [4])], [], ['y']),
      "node 'y' (Reshape): cannot reshape [6] (6 values) to [4]");
    await refused(onnxModel([node('Reshape', ['c', 's'], ['y'])], [i64('c', [1, 2, 3, 4, 5, 6]), i64('s', [-1, 4])], [], ['y']), 'to [-1,4]');
    await refused(onnxModel([node('Reshape', ['c', 's'], ['y'])], [i64('c', [1, 2, 3, 4]), i64('s', [-1, -1])], [], ['y']), 'to [-1,-1]');
  });

  it('a constant integer Reshape that fits gives the right values, folded at load', async () => {
    const net = await loadOnnx(onnxModel([node('Reshape', ['c', 's'], ['r']), node('Transpose', ['r'], ['y'])],
      [i64('c', [1, 2, 3, 4, 5, 6]), i64('s', [-1, 3])], [], ['y']));
    const y = net.run({}).y;
    expect(y.shape).toEqual([3, 2]);
    expect(Array.from(y.dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    y.dispose();
    net.dispose();
  });

  it('ConstantOfShape with a negative, fractional or oversized shape; Gather out of range: FormatError', async () => {
    const cos = (dims: number[], value: TensorMsg) => onnxModel([node('ConstantOfShape', ['s'], ['y'], [valueOf('value', value)])], [i64('s', dims)], [], ['y']);
    await refused(cos([-1, 4], i64('v', [1], [1])), 'shape [-1,4] is not a list of non-negative integers');
    await refused(cos([1 << 12, 1 << 11], i64('v', [1], [1])), 'over the limit of 4194304');
    await refused(onnxModel([node('Gather', ['c', 'i'], ['y'])], [i64('c', [1, 2]), i64('i', [5])], [], ['y']), "node 'y' (Gather): index 5 is out of range for 2 values");
    await refused(onnxModel([node('Transpose', ['c'], ['y'], [{ name: 'perm', type: AT.INTS, ints: [0, 0] }])], [i64('c', [1, 2, 3, 4], [2, 2])], [], ['y']), 'perm [0,0] does not fit [2,2]');
  });

  it('integer Reshape whose shape comes from the input: ShapeError at run naming the node; the next run works', async () => {
    // y = Reshape(c, Shape(x)) with c of 6 values: fits x [2, 3], not x [2, 2].
    const net = await loadOnnx(onnxModel([node('Shape', ['x'], ['s']), node('Reshape', ['c', 's'], ['r']), toFloat('r', 'y')],
      [i64('c', [1, 2, 3, 4, 5, 6])], [['x', [2, 2]]], ['y']));
    const live = backendInfo().liveTensors;
    const bad = tensor(new Float32Array(4), [2, 2]);
    expect(() => net.predict(bad)).toThrow(ShapeError);
    expect(() => net.predict(bad)).toThrow("node 'r' (Reshape): cannot reshape [6] (6 values) to [2,2]");
    bad.dispose();
    expect(backendInfo().liveTensors).toBe(live);
    net.dispose();
    const good = await loadOnnx(onnxModel([node('Shape', ['x'], ['s']), node('Reshape', ['c', 's'], ['r']), toFloat('r', 'y')],
      [i64('c', [1, 2, 3, 4, 5, 6])], [['x', [2, 3]]], ['y']));
    const x = tensor(new Float32Array(6), [2, 3]);
    const y = good.predict(x);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    x.dispose(); y.dispose(); good.dispose();
  });

  it('an int64 output int32 cannot hold is a ValueError at run, not a wrapped number', async () => {
    const net = await loadOnnx(onnxModel([node('Identity', ['c'], ['y'])], [i64('c', [7, 1e10])], [], ['y']));
    expect(() => net.run({})).toThrow(ValueError);
    expect(() => net.run({})).toThrow("run: output 'y' holds the integer 10000000000 (at index 1), outside the int32 range");
    net.dispose();
  });

  it('a float ConstantOfShape over 2^28 elements: ShapeError at run, nothing allocated, the next run works', async () => {
    const net = await loadOnnx(onnxModel([node('ConstantOfShape', ['s'], ['y'])], [i64('s', [1 << 15, 1 << 14])], [], ['y']));
    const before = backendInfo();
    expect(() => net.run({})).toThrow(ShapeError);
    expect(() => net.run({})).toThrow("shape [32768,16384] has 536870912 elements, over the limit of 268435456");
    expect(backendInfo().memoryBytes).toBe(before.memoryBytes);
    expect(backendInfo().liveTensors).toBe(before.liveTensors);
    net.dispose();
    const small = await loadOnnx(onnxModel([node('ConstantOfShape', ['s'], ['y'])], [i64('s', [2, 2])], [], ['y']));
    const y = small.run({}).y;
    expect(Array.from(y.dataSync())).toEqual([0, 0, 0, 0]);
    y.dispose(); small.dispose();
  });
});

describe('linear-time graph loading and building (generous bounds)', () => {
  // CPU time of this process (user + system), not wall time: the bound must hold on a machine
  // shared with other test files and jobs. Both are logged.
  const timed = async <T>(what: string, fn: () => T | Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now(), c0 = process.cpuUsage();
    const r = await fn();
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000;
    console.log(`${what}: ${cpuMs.toFixed(0)} ms CPU, ${(performance.now() - t0).toFixed(0)} ms wall`);
    return [r, cpuMs];
  };

  it('an ONNX graph of 40,000 nodes fanning out from one value loads in under 3 s of CPU', async () => {
    const nodes = Array.from({ length: 40_000 }, (_, i) => node('Relu', ['x'], [`r${i}`]));
    const bytes = onnxModel(nodes, [], [['x', [1, 4]]], ['r39999']);
    const [net, ms] = await timed(`40k fan-out (${(bytes.length / 1024).toFixed(0)} KiB): loadOnnx`, () => loadOnnx(bytes));
    expect(ms).toBeLessThan(3000);
    const x = tensor([-1, 2, -3, 4], [1, 4]);
    const y = net.predict(x);
    expect(Array.from(y.dataSync())).toEqual([0, 2, 0, 4]);
    x.dispose(); y.dispose(); net.dispose();
  }, 60_000);

  it('a 20,000-layer Conv -> Relu chain loads in under 10 s of CPU and runs (each Relu fused into its Conv)', async () => {
    const nodes: NodeMsg[] = [];
    let prev = 'x';
    for (let i = 0; i < 20_000; i++) {
      nodes.push(node('Conv', [prev, 'w'], [`c${i}`], [{ name: 'kernel_shape', type: AT.INTS, ints: [1, 1] }]), node('Relu', [`c${i}`], [`r${i}`]));
      prev = `r${i}`;
    }
    const w: TensorMsg = { name: 'w', dims: [1, 1, 1, 1], dataType: DT.FLOAT, floatData: [1] };
    const bytes = onnxModel(nodes, [w], [['x', [1, 1, 2, 2]]], [prev]);
    const [net, ms] = await timed(`20k Conv->Relu chain (${(bytes.length / 1024).toFixed(0)} KiB): loadOnnx`, () => loadOnnx(bytes));
    expect(ms).toBeLessThan(10_000);
    const x = tensor([1, -2, 3, 4], [1, 1, 2, 2]);
    const y = net.predict(x);
    expect(Array.from(y.dataSync())).toEqual([1, 0, 3, 4]);
    x.dispose(); y.dispose(); net.dispose();
  }, 60_000);

  it('a 100,000-layer Sequential builds in under 10 s of CPU, names its layers Keras-style and summarises', async () => {
    const layers = Array.from({ length: 100_000 }, () => nn.activation('relu'));
    const [m, ms] = await timed('Sequential of 100k layers: build', () => new Sequential(layers, { inputShape: [2] }));
    expect(ms).toBeLessThan(10_000);
    expect(m.layers[0].name).toBe('activation');
    expect(m.layers[99_999].name).toBe('activation_99999');
    const [table, summaryMs] = await timed('Sequential of 100k layers: summary', () => m.summary());
    expect(summaryMs).toBeLessThan(10_000);
    expect(table.split('\n').length).toBe(2 * 100_000 + 8);
    const x = tensor([-1, 1], [1, 2]);
    const y = m.predict(x);
    expect(Array.from(y.dataSync())).toEqual([0, 1]);
    x.dispose(); y.dispose(); m.dispose();
  }, 60_000);

  it('a 20,000-layer graph model builds in under 5 s of CPU (nameless layers named in one pass)', async () => {
    const input = nn.input({ shape: [2] });
    let y = input;
    for (let i = 0; i < 20_000; i++) y = nn.activation('relu').apply(y);
    const [m, ms] = await timed('graph model of 20k layers: new Model', () => new Model({ inputs: input, outputs: y }));
    expect(ms).toBeLessThan(5000);
    expect(m.layers[m.layers.length - 1].name).toBe('activation_19999');
    m.dispose();
  }, 60_000);
});
