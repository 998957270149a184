// An imported graph's run frees each intermediate value after the last step that reads it (the
// run's tidy frees the rest): a long chain over a large tensor must not hold every link at once,
// and values that another name still holds (an Identity's input), the caller's input tensors and
// the graph outputs must survive it with their values.
import { describe, it, expect } from 'vitest';
import { loadOnnx, tensor, backendInfo } from '../src/index.js';
import { node, model } from './harness/onnx-graph.js';

const MB = 1 << 20;

describe('intermediates freed at their last reader', () => {
  it('a 24-op chain over a 16 MB tensor grows wasm memory by a few links, not 24', async () => {
    const n = 24;
    const before = backendInfo().memoryBytes; // loadOnnx's warm-up run counts too
    const nodes = Array.from({ length: n }, (_, i) => node(i % 2 ? 'Tanh' : 'Relu', [i ? `v${i - 1}` : 'x'], [i === n - 1 ? 'y' : `v${i}`]));
    const net = await loadOnnx(model(nodes, [], [['x', [4, 1024, 1024]]], ['y']));
    const values = Float32Array.from({ length: 4 * MB }, (_, i) => (i % 7) - 3);
    const x = tensor(values, [4, 1024, 1024]);
    const y = net.run({ x }).y;
    expect(backendInfo().memoryBytes - before).toBeLessThan(8 * 16 * MB);
    // tanh(relu(.)) 12 times, in float64
    const chain = (v: number) => { for (let k = 0; k < n / 2; k++) v = Math.tanh(Math.max(v, 0)); return v; };
    const out = y.dataSync();
    for (let i = 0; i < 4 * MB; i += 4099) expect(out[i]).toBeCloseTo(chain(values[i]), 6);
    expect(Array.from(x.dataSync().subarray(0, 7))).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    x.dispose(); y.dispose(); net.dispose();
  });

  it('a value also held under an Identity\'s name, read after its own last reader, keeps its values', async () => {
    const nodes = [
      node('Relu', ['x'], ['a']),
      node('Identity', ['a'], ['b']),
      node('Tanh', ['a'], ['c']), // the last reader of 'a'
      node('Add', ['c', 'b'], ['y']), // reads the same tensor as 'b'
      node('Tanh', ['x'], ['z']),
    ];
    const net = await loadOnnx(model(nodes, [], [['x', [2, 3]]], ['y', 'z', 'b']));
    const x = tensor([-1, 2, -3, 4, -5, 6], [2, 3]);
    const out = net.run({ x });
    const relu = [0, 2, 0, 4, 0, 6];
    Array.from(out.y.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(Math.tanh(relu[i]) + relu[i], 6));
    expect(Array.from(out.b.dataSync())).toEqual(relu);
    Array.from(out.z.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(Math.tanh([-1, 2, -3, 4, -5, 6][i]), 6));
    expect(Array.from(x.dataSync())).toEqual([-1, 2, -3, 4, -5, 6]);
    for (const t of Object.values(out)) t.dispose();
    x.dispose(); net.dispose();
  });
});
