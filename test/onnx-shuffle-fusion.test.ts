// loadOnnx runs ShuffleNet's channel shuffle (Reshape to [N, g, C/g, H, W] -> Transpose(0, 2, 1, 3, 4)
// -> Reshape to [N, C, H, W]) as one permutation of the NHWC channels (src/io/onnx/fusion-shuffle.ts).
// The values must be exactly those of the three nodes run one by one (a shuffle only moves floats),
// on the reduced ShuffleNetV2 fixtures (opsets 11 and 13, dynamic batch, batch 1 and 2) and on
// hand-made graphs checked against an index-loop reference; shapes that are no shuffle at run time
// must take the three nodes' own path.
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadOnnx, tensor, startOpProfile, stopOpProfile, type Tensor } from '../src/index.js';
import { channelShuffleTuning } from '../src/io/onnx/fusion-shuffle.js';
import { maxAbsDiff } from './harness/close.js';
import { i64, ints, node, model } from './harness/onnx-graph.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('zoo_expected.json', dir), 'utf8')) as {
  models: Record<string, { inputShape: number[]; output: number[] }>;
};
const wave = (n: number) => Array.from({ length: n }, (_, i) => Math.fround(2 * Math.sin(0.731 * i + 0.1)));
const size = (d: number[]) => d.reduce((a, b) => a * b, 1);
const bits = (t: Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

/** Loads `bytes` with the shuffle fused or not, and the number of 'layout' steps one run takes. */
async function load(bytes: Uint8Array, fuse: boolean, x: Tensor) {
  channelShuffleTuning.fuse = fuse;
  const net = await loadOnnx(bytes);
  channelShuffleTuning.fuse = true;
  startOpProfile();
  net.predict(x).dispose();
  const layoutSteps = stopOpProfile().find((p) => p.kind === 'layout')?.calls ?? 0;
  return { net, layoutSteps };
}

afterEach(() => { channelShuffleTuning.fuse = true; });

describe('ShuffleNetV2 with the channel shuffle fused', () => {
  it.each(['shufflenet_v2', 'shufflenet_v2_opset11'])('%s: the bits of the unfused graph at batch 1 and 2, PyTorch\'s values', async (name) => {
    const e = expected.models[name];
    const bytes = new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));
    const one = wave(size(e.inputShape));
    const x1 = tensor(one, e.inputShape);
    const x2 = tensor([...one, ...one], [2, ...e.inputShape.slice(1)]);
    const fused = await load(bytes, true, x1);
    const unfused = await load(bytes, false, x1);
    // Each shuffle leaves one step of its three, and its output needs no permutation back to NCHW.
    expect(fused.layoutSteps).toBeLessThan(unfused.layoutSteps - 2);
    for (const x of [x1, x2]) {
      const a = fused.net.predict(x), b = unfused.net.predict(x);
      expect(bits(a)).toEqual(bits(b));
      const ours = a.dataSync();
      const scale = Math.max(...e.output.map(Math.abs));
      for (let k = 0; k < x.shape[0]; k++) {
        expect(maxAbsDiff(ours.subarray(k * e.output.length, (k + 1) * e.output.length), e.output)).toBeLessThanOrEqual(1e-4 * scale);
      }
      a.dispose(); b.dispose();
    }
    x1.dispose(); x2.dispose();
    fused.net.dispose(); unfused.net.dispose();
  });
});

/** y = reshape(transpose(reshape(x, split), [0, 2, 1, 3, 4]), out): the three nodes by index loops. */
function reference(x: ArrayLike<number>, split: number[], out: number[]): { data: number[]; shape: number[] } {
  const [A, B, C, D, E] = split;
  const data = new Array<number>(size(split));
  let o = 0;
  for (let a = 0; a < A; a++) for (let c = 0; c < C; c++) for (let b = 0; b < B; b++) {
    for (let d = 0; d < D; d++) for (let e = 0; e < E; e++) data[o++] = x[(((a * B + b) * C + c) * D + d) * E + e];
  }
  return { data, shape: out };
}

const shuffleNodes = (input: string) => [
  node('Reshape', [input, 'split'], ['r']),
  node('Transpose', ['r'], ['t'], [ints('perm', [0, 2, 1, 3, 4])]),
  node('Reshape', ['t', 'back'], ['y']),
];

describe('hand-made channel shuffles', () => {
  const X = [2, 6, 4, 5];
  const x = () => tensor(wave(size(X)), X);
  const cases: { name: string; split: number[]; back: number[]; refSplit: number[]; fusedStep: boolean }[] = [
    { name: '3 groups of 2, 0 copying the batch', split: [0, 3, 2, 4, 5], back: [0, 6, 4, 5], refSplit: [2, 3, 2, 4, 5], fusedStep: true },
    { name: '2 groups of 3, -1 for the batch', split: [-1, 2, 3, 4, 5], back: [-1, 6, 4, 5], refSplit: [2, 2, 3, 4, 5], fusedStep: true },
    { name: 'no shuffle: the rows split, not the channels', split: [2, 6, 2, 2, 5], back: [2, 6, 4, 5], refSplit: [2, 6, 2, 2, 5], fusedStep: false },
    { name: 'no shuffle: another final shape', split: [2, 3, 2, 4, 5], back: [2, 2, 3, 20], refSplit: [2, 3, 2, 4, 5], fusedStep: false },
  ];
  it.each(cases)('$name: the three nodes\' values', async ({ split, back, refSplit, fusedStep }) => {
    const bytes = model(shuffleNodes('x'), [i64('split', split), i64('back', back)], [['x', ['N', 6, 4, 5]]], ['y']);
    const input = x();
    const fused = await load(bytes, true, input);
    const unfused = await load(bytes, false, input);
    // A shuffle runs as one step (plus the permutations to NHWC at the input and back at the output; unfused, the Transpose permutes once more).
    if (fusedStep) expect([fused.layoutSteps, unfused.layoutSteps]).toEqual([3, 4]);
    const want = reference(input.dataSync(), refSplit, back.map((d, i) => (d > 0 ? d : X[i])));
    for (const net of [fused.net, unfused.net]) {
      const y = net.predict(input);
      expect(y.shape).toEqual(want.shape);
      expect(Array.from(y.dataSync())).toEqual(want.data.map(Math.fround));
      y.dispose();
    }
    input.dispose();
    fused.net.dispose(); unfused.net.dispose();
  });

  it('a shuffle of a conv\'s NHWC output: the bits of the unfused graph', async () => {
    const w = Array.from({ length: 36 }, (_, i) => Math.fround(Math.cos(i)));
    const f32w = { name: 'w', dims: [6, 6, 1, 1], dataType: 1, rawData: new Uint8Array(Float32Array.from(w).buffer) };
    const nodes = [node('Conv', ['x', 'w'], ['c'], [ints('kernel_shape', [1, 1])]), ...shuffleNodes('c')];
    const bytes = model(nodes, [f32w, i64('split', [0, 2, 3, 4, 5]), i64('back', [0, 6, 4, 5])], [['x', ['N', 6, 4, 5]]], ['y']);
    const input = x();
    const fused = await load(bytes, true, input);
    const unfused = await load(bytes, false, input);
    const a = fused.net.predict(input), b = unfused.net.predict(input);
    expect(bits(a)).toEqual(bits(b));
    a.dispose(); b.dispose(); input.dispose();
    fused.net.dispose(); unfused.net.dispose();
  });
});
