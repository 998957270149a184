// loadOnnx runs ShuffleNet's channel shuffle (Reshape to [N, g, C/g, H, W] -> Transpose(0, 2, 1, 3, 4)
// -> Reshape to [N, C, H, W]) as one permutation of the NHWC channels (src/io/onnx/fusion-shuffle.ts),
// with two groups also the Concat before it and the two Slices cutting it in halves after it.
// The values must be exactly those of the nodes run one by one (a shuffle only moves floats),
// on the reduced ShuffleNetV2 fixtures (opsets 11 and 13, dynamic batch, batch 1 and 2) and on
// hand-made graphs checked against an index-loop reference; shapes and slices that are no shuffle
// or no halves at run time must take the nodes' own path.
import { describe, it, expect, afterEach } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadOnnx, tensor, startOpProfile, stopOpProfile, type OnnxModel, type Tensor } from '../src/index.js';
import { channelShuffleTuning } from '../src/io/onnx/fusion-shuffle.js';
import { bits, expectSameBitsAndPyTorch, waveBatches, waveInput as wave } from './harness/fusion.js';
import { i64, int, ints, node, model } from './harness/onnx-graph.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('zoo_expected.json', dir), 'utf8')) as {
  models: Record<string, { inputShape: number[]; output: number[] }>;
};
const size = (d: number[]) => d.reduce((a, b) => a * b, 1);

type Switches = typeof channelShuffleTuning;
const ALL_FUSED: Switches = { fuse: true, fuseConcat: true, fuseSplit: true };
const SHUFFLE_ONLY: Switches = { fuse: true, fuseConcat: false, fuseSplit: false };
const UNFUSED: Switches = { fuse: false, fuseConcat: false, fuseSplit: false };
const VARIANTS: Switches[] = [UNFUSED, SHUFFLE_ONLY, { fuse: true, fuseConcat: true, fuseSplit: false }, { fuse: true, fuseConcat: false, fuseSplit: true }, ALL_FUSED];

/** Loads `bytes` with the given fusion switches, and the number of steps of each kind one run of `feeds` takes. */
async function loadWith(bytes: Uint8Array, switches: Switches, feeds: (net: OnnxModel) => Record<string, Tensor>) {
  Object.assign(channelShuffleTuning, switches);
  const net = await loadOnnx(bytes);
  Object.assign(channelShuffleTuning, ALL_FUSED);
  startOpProfile();
  for (const t of Object.values(net.run(feeds(net)))) t.dispose();
  const profile = stopOpProfile();
  const steps = (kind: string) => profile.find((p) => p.kind === kind)?.calls ?? 0;
  return { net, steps };
}

/** Loads `bytes` with the shuffle alone fused or nothing fused, and the number of 'layout' steps one run takes. */
async function load(bytes: Uint8Array, fuse: boolean, x: Tensor) {
  const { net, steps } = await loadWith(bytes, fuse ? SHUFFLE_ONLY : UNFUSED, (m) => ({ [m.inputNames[0]]: x }));
  return { net, layoutSteps: steps('layout') };
}

afterEach(() => { Object.assign(channelShuffleTuning, ALL_FUSED); });

describe('ShuffleNetV2 with the channel shuffle fused', () => {
  it.each(['shufflenet_v2', 'shufflenet_v2_opset11'])('%s: the bits of the unfused graph at batch 1 and 2, PyTorch\'s values', async (name) => {
    const e = expected.models[name];
    const bytes = new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));
    const [x1, x2] = waveBatches(e.inputShape);
    const fused = await load(bytes, true, x1);
    const unfused = await load(bytes, false, x1);
    // Each shuffle leaves one step of its three, and its output needs no permutation back to NCHW.
    expect(fused.layoutSteps).toBeLessThan(unfused.layoutSteps - 2);
    expectSameBitsAndPyTorch(fused.net, unfused.net, [x1, x2], e.output);
    // With the Concats and Slices around the shuffles fused too (and each alone): the same bits, half the Slice steps.
    const unfusedSlices = (await loadWith(bytes, UNFUSED, (m) => ({ [m.inputNames[0]]: x1 })));
    for (const switches of VARIANTS.slice(2)) {
      const v = await loadWith(bytes, switches, (m) => ({ [m.inputNames[0]]: x1 }));
      if (switches.fuseSplit) expect(v.steps('concat / split (Slice)') * 2).toBe(unfusedSlices.steps('concat / split (Slice)'));
      for (const x of [x1, x2]) {
        const a = v.net.predict(x), b = unfused.net.predict(x);
        expect(bits(a)).toEqual(bits(b));
        a.dispose(); b.dispose();
      }
      v.net.dispose();
    }
    unfusedSlices.net.dispose();
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

/**
 * ShuffleNetV2's unit boundary: Concat(a, b) on the channels -> shuffle of two groups -> two
 * Slices, with Shape nodes reading the concat and the shuffled value (as the exports compute the
 * specs) and their shapes as graph outputs. `a`, `b`: [N, ca, H, W] and [N, cb, H, W].
 */
function unitGraph(o: { ca?: number; cb?: number; split?: number[]; slices: [number[], number[], number[]][]; conv?: boolean; between?: boolean }) {
  const ca = o.ca ?? 10, cb = o.cb ?? 10, C = ca + cb;
  const inits = [i64('split', o.split ?? [0, 2, C / 2, -1, 5]), i64('back', [0, C, 4, 5])];
  const nodes = [];
  if (o.conv) {
    // 1x1 convs: a and b reach the concat in NHWC, as in the network.
    const weight = (name: string, c: number) => ({ name, dims: [c, c, 1, 1], dataType: 1, rawData: new Uint8Array(Float32Array.from({ length: c * c }, (_, i) => Math.fround(Math.cos(i))).buffer) });
    inits.push(weight('wa', ca), weight('wb', cb));
    nodes.push(node('Conv', ['xa', 'wa'], ['a'], [ints('kernel_shape', [1, 1])]), node('Conv', ['xb', 'wb'], ['b'], [ints('kernel_shape', [1, 1])]));
  }
  const [ia, ib] = o.conv ? ['a', 'b'] : ['xa', 'xb'];
  nodes.push(node('Concat', [ia, ib], ['c'], [int('axis', 1)]), node('Shape', ['c'], ['shape_c']), ...shuffleNodes('c'), node('Shape', ['y'], ['shape_y']));
  o.slices.forEach(([starts, ends, axes], k) => {
    inits.push(i64(`starts${k}`, starts), i64(`ends${k}`, ends), i64(`axes${k}`, axes));
    nodes.push(node('Slice', ['y', `starts${k}`, `ends${k}`, `axes${k}`], [`y${k}`]));
    if (k === 0 && o.between) nodes.push(node('Relu', ['y0'], ['r0']));
  });
  const outputs = ['shape_c', 'shape_y', 'y0', 'y1', ...(o.between ? ['r0'] : [])];
  return { bytes: model(nodes, inits, [['xa', ['N', ca, 4, 5]], ['xb', ['N', cb, 4, 5]]], outputs), C };
}

/** Channels [c0, c1) and rows [h0, h1) (default all 4) of a slice. */
type Block = [number, number] | [number, number, number, number];

/** The index-loop values of the unit graph without convs: concat, shuffle of `groups`, then each slice's block. */
function unitReference(a: ArrayLike<number>, b: ArrayLike<number>, N: number, ca: number, cb: number, groups: number, blocks: Block[]) {
  const C = ca + cb, P = 4 * 5;
  const c = (n: number, ch: number, p: number) => (ch < ca ? a[(n * ca + ch) * P + p] : b[(n * cb + ch - ca) * P + p]);
  const shuffled = (n: number, k: number, p: number) => c(n, (k % groups) * (C / groups) + Math.floor(k / groups), p);
  return blocks.map(([c0, c1, h0 = 0, h1 = 4]) => {
    const out: number[] = [];
    for (let n = 0; n < N; n++) for (let k = c0; k < c1; k++) for (let p = h0 * 5; p < h1 * 5; p++) out.push(Math.fround(shuffled(n, k, p)));
    return out;
  });
}

describe('the Concat before a two-group shuffle and the Slices after it', () => {
  const HUGE = 2 ** 62;
  const wave2 = (n: number) => wave(n + 7).slice(7);
  const cases: { name: string; slices: [number[], number[], number[]][]; blocks: Block[]; ca?: number; cb?: number; split?: number[]; groups?: number; between?: boolean }[] = [
    { name: 'halves, ends past the end', slices: [[[0], [10], [1]], [[10], [HUGE], [1]]], blocks: [[0, 10], [10, 20]] },
    { name: 'halves the other way round, negative starts and axes', slices: [[[-10], [HUGE], [-3]], [[0], [-10], [1]]], blocks: [[10, 20], [0, 10]] },
    { name: 'halves that also name whole spatial axes', slices: [[[0, 0], [10, HUGE], [1, 2]], [[0, 10], [HUGE, 20], [3, 1]]], blocks: [[0, 10], [10, 20]] },
    { name: 'no halves: quarter and rest', slices: [[[0], [5], [1]], [[5], [20], [1]]], blocks: [[0, 5], [5, 20]] },
    { name: 'no halves: both the first half', slices: [[[0], [10], [1]], [[0], [10], [1]]], blocks: [[0, 10], [0, 10]] },
    { name: 'no halves: a slice of the rows too', slices: [[[0, 0], [10, 2], [1, 2]], [[10], [20], [1]]], blocks: [[0, 10, 0, 2], [10, 20]] },
    { name: 'concat of unequal parts (8 + 12 channels)', ca: 8, cb: 12, slices: [[[0], [10], [1]], [[10], [20], [1]]], blocks: [[0, 10], [10, 20]] },
    { name: 'four groups: the nodes\' own path', split: [0, 4, 5, -1, 5], groups: 4, slices: [[[0], [10], [1]], [[10], [20], [1]]], blocks: [[0, 10], [10, 20]] },
    { name: 'a node between the slices reads the first: not fused', between: true, slices: [[[0], [10], [1]], [[10], [20], [1]]], blocks: [[0, 10], [10, 20]] },
  ];
  it.each(cases)('$name: the nodes\' values, bit for bit', async ({ slices, blocks, ca = 10, cb = 10, split, groups = 2, between }) => {
    const { bytes, C } = unitGraph({ ca, cb, split, slices, between });
    for (const N of [1, 2]) {
      const xa = tensor(wave(N * ca * 20), [N, ca, 4, 5]), xb = tensor(wave2(N * cb * 20), [N, cb, 4, 5]);
      const want = unitReference(xa.dataSync(), xb.dataSync(), N, ca, cb, groups, blocks);
      for (const switches of VARIANTS) {
        const { net, steps } = await loadWith(bytes, switches, () => ({ xa, xb }));
        // Where the pattern is found, one step runs both Slices: in one pass when they take the halves, else one by one.
        expect(steps('concat / split (Slice)')).toBe(switches.fuse && switches.fuseSplit && !between ? 1 : 2);
        const out = net.run({ xa, xb });
        expect(Array.from(out.shape_c.dataSync())).toEqual([N, C, 4, 5]);
        expect(Array.from(out.shape_y.dataSync())).toEqual([N, C, 4, 5]);
        [out.y0, out.y1].forEach((y, k) => {
          expect(y.shape).toEqual([N, blocks[k][1] - blocks[k][0], (blocks[k][3] ?? 4) - (blocks[k][2] ?? 0), 5]);
          expect(Array.from(y.dataSync())).toEqual(want[k]);
        });
        if (between) expect(Array.from(out.r0.dataSync())).toEqual(want[0].map((v) => Math.max(v, 0)));
        for (const t of Object.values(out)) t.dispose();
        net.dispose();
      }
      xa.dispose(); xb.dispose();
    }
  });

  it('after 1x1 convs (NHWC parts): the bits of the unfused graph', async () => {
    const { bytes } = unitGraph({ conv: true, slices: [[[0], [10], [1]], [[10], [HUGE], [1]]] });
    const xa = tensor(wave(2 * 10 * 20), [2, 10, 4, 5]), xb = tensor(wave2(2 * 10 * 20), [2, 10, 4, 5]);
    const results = [];
    for (const switches of [UNFUSED, ALL_FUSED]) {
      const { net } = await loadWith(bytes, switches, () => ({ xa, xb }));
      const out = net.run({ xa, xb });
      results.push([bits(out.y0), bits(out.y1)]);
      for (const t of Object.values(out)) t.dispose();
      net.dispose();
    }
    expect(results[1]).toEqual(results[0]);
    xa.dispose(); xb.dispose();
  });
});
