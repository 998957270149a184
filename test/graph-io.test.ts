// Saving and loading graph models (docs/FORMAT.md, className "Functional"): predictions are
// bit-identical after a round trip for residual, squeeze-and-excitation, shared, nested and
// multi-input / multi-output graphs; the manifest names weights <layer>/<weight>; compile settings
// come back; malformed topologies are FormatErrors.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Model, Sequential, nn, optim, setSeed, tidy, backendInfo, FormatError, type Tensor } from '../src/index.js';
import { tensor } from '../src/index.js';
import { randomValues } from './reference/gradcheck.js';

const seeded = (shape: number[], seed: number) => tensor(randomValues(shape.reduce((a, b) => a * b, 1), seed), shape);

/** A graph with every kind of edge: residual add, an SE gate, a shared layer, a nested model, two inputs and two outputs. */
function everything(): Model {
  const innerIn = nn.input({ shape: [4, 4, 4] });
  const inner = new Model({
    inputs: innerIn, name: 'inner',
    outputs: nn.batchNorm().apply(nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(innerIn)),
  });
  const image = nn.input({ shape: [4, 4, 2], name: 'image' });
  const extra = nn.input({ shape: [3], name: 'extra' });
  const stem = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }).apply(image);
  const body = inner.apply(stem);
  const residual = nn.add().apply([body, stem]);
  const gate = nn.dense({ units: 4, activation: 'sigmoid' }).apply(nn.avgPool2d({ poolSize: 4 }).apply(residual));
  const gated = nn.multiply().apply([residual, gate]);
  const shared = nn.dense({ units: 3, activation: 'tanh', name: 'shared' });
  const pooled = nn.globalAvgPool2d().apply(gated);
  const joined = nn.concatenate().apply([shared.apply(shared.apply(extra)), pooled]);
  const logits = nn.dense({ units: 2, name: 'logits' }).apply(joined);
  const aux = nn.dense({ units: 1, name: 'aux' }).apply(pooled);
  return new Model({ inputs: [image, extra], outputs: [logits, aux], name: 'everything' });
}

/** Every output's values (predict gives one tensor per output, or the tensor itself for one). */
const outputsOf = (m: Model, xs: Tensor[]) => tidy(() => {
  const r: Tensor | Tensor[] = m.predict(xs);
  return (Array.isArray(r) ? r : [r]).map((t) => Array.from(t.dataSync()));
});

describe('graph models: save and load', () => {
  it('round-trips a graph with every kind of edge bit for bit (packed bytes)', async () => {
    setSeed(21);
    const m = everything();
    const xs = [seeded([3, 4, 4, 2], 1), seeded([3, 3], 2)];
    // Train the batch norm's moving statistics away from their initial values first.
    const single = new Model({ inputs: m.inputs, outputs: m.outputs[0] });
    single.compile({ optimizer: optim.sgd({ lr: 0.05 }), loss: 'meanSquaredError' });
    const y = seeded([3, 2], 3);
    for (let i = 0; i < 3; i++) single.trainOnBatch(xs, y);
    const bytes = await m.save();
    const loaded = await Model.load(bytes);
    expect(loaded).not.toBeInstanceOf(Sequential);
    expect(loaded.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
    expect(loaded.summary()).toBe(m.summary());
    expect(outputsOf(loaded, xs)).toEqual(outputsOf(m, xs));
    expect(m.toJSON().weights.tensors.map((t) => t.name)).toEqual([
      'shared/kernel', 'shared/bias', 'stem/kernel', 'stem/bias',
      'inner/conv2d/kernel', 'inner/conv2d/bias', 'inner/batch_normalization/gamma', 'inner/batch_normalization/beta',
      'inner/batch_normalization/moving_mean', 'inner/batch_normalization/moving_variance',
      'dense/kernel', 'dense/bias', 'logits/kernel', 'logits/bias', 'aux/kernel', 'aux/bias',
    ]);
    m.dispose(); loaded.dispose(); xs.forEach((x) => x.dispose()); y.dispose();
  });

  it('round-trips a small U-Net and a keepDims squeeze-and-excitation block built from the newer layers', async () => {
    setSeed(23);
    const image = nn.input({ shape: [8, 8, 2] });
    const enc = nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(image);
    const down = nn.maxPool2d({ poolSize: 2 }).apply(enc);
    const mid = nn.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(down);
    const squeezed = nn.globalAvgPool2d({ keepDims: true }).apply(mid);
    const gated = nn.multiply().apply([mid, nn.dense({ units: 4, activation: 'hardSigmoid' }).apply(squeezed)]);
    const up = nn.upSampling2d({ size: 2, interpolation: 'bilinear' }).apply(gated);
    const skip = nn.concatenate().apply([up, enc]);
    const normed = nn.groupNormalization({ groups: 2 }).apply(skip);
    const mask = nn.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid' }).apply(normed);
    const m = new Model({ inputs: image, outputs: mask, name: 'unet' });
    expect(mask.shape).toEqual([null, 8, 8, 1]);
    const x = seeded([2, 8, 8, 2], 5);
    const loaded = await Model.load(await m.save());
    expect(outputsOf(loaded, [x])).toEqual(outputsOf(m, [x]));
    m.dispose(); loaded.dispose(); x.dispose();
  });

  it('saves to a directory and restores the compile settings and frozen layers', async () => {
    setSeed(22);
    const input = nn.input({ shape: [4] });
    const hidden = nn.dense({ units: 3, activation: 'relu', name: 'hidden', trainable: false }).apply(input);
    const m = new Model({ inputs: input, outputs: nn.dense({ units: 2 }).apply(hidden) });
    m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: 'meanSquaredError' });
    const dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-graph-'));
    try {
      await m.save(dir);
      const loaded = await Model.load(dir);
      expect(loaded.optimizer?.getConfig().lr).toBe(0.01);
      expect(loaded.getLayer('hidden').trainable).toBe(false);
      const x = seeded([2, 4], 4);
      expect(outputsOf(loaded, [x])).toEqual(outputsOf(m, [x]));
      x.dispose(); loaded.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    m.dispose();
  });

  it('Sequential files still load through Model.load, and Sequential.load refuses a graph', async () => {
    const seq = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
    const loaded = await Model.load(await seq.save());
    expect(loaded).toBeInstanceOf(Sequential);
    loaded.dispose(); seq.dispose();
    const input = nn.input({ shape: [3] });
    const g = new Model({ inputs: input, outputs: nn.dense({ units: 2 }).apply(input) });
    await expect(Sequential.load(await g.save())).rejects.toThrow(/Functional.*Model\.load/);
    g.dispose();
  });

  it('malformed graph topologies are FormatErrors that leave no tensor behind', () => {
    const input = nn.input({ shape: [3] });
    const g = new Model({ inputs: input, outputs: nn.dense({ units: 2, name: 'out' }).apply(input) });
    const good = g.toJSON();
    const weights = g.weightsBytes();
    const variants: [string, (j: any) => void, RegExp][] = [
      ['no nodes', (j) => { delete j.model.nodes; }, /without a "nodes" array/],
      ['a dangling reference', (j) => { j.model.outputs = [['out', 1, 0]]; }, /output 0 of node 1 of layer "out"/],
      ['an unknown node layer', (j) => { j.model.nodes[1].layer = 'nope'; }, /names no listed layer/],
      ['bad refs', (j) => { j.model.inputs = 'x'; }, /model.inputs must be an array/],
      ['a layer of the wrong shape', (j) => { j.model.layers[0].config.inputShape = [4]; }, /cannot be built|does not match/],
    ];
    const before = backendInfo().liveTensors;
    for (const [what, change, message] of variants) {
      const j = JSON.parse(JSON.stringify(good));
      change(j);
      let err: unknown;
      try { Model.fromJSON(j, weights); } catch (e) { err = e; }
      expect(err, what).toBeInstanceOf(FormatError);
      expect((err as Error).message, what).toMatch(message);
      expect(backendInfo().liveTensors, what).toBe(before);
    }
    g.dispose();
  });
});
