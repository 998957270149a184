// Resumable training in one process: the optimizers' stateDict / loadStateDict (a state moved
// into a fresh optimizer continues the torch.optim float64 reference's trajectory), checkpoints
// (save with includeOptimizer, Model.load) that resume the cases of test/runtimes/resume.js bit
// for bit after any epoch, fit's own seeded stream continuing, and save without includeOptimizer
// unchanged. Across processes and runtimes: test/resume-runtimes.test.ts.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as W from '../src/index.js';
import { tensor, keep, randn, setSeed, nn, optim, Sequential, Model, Tensor } from '../src/index.js';
import { RefSGD, RefAdam, RefRMSprop, RefAdagrad, RefAdadelta } from './reference/optim.js';
import { randomValues } from './reference/gradcheck.js';
import { expectClose } from './harness/close.js';
import { pack, unpack } from '../src/io/format.js';
import { crc32 } from '../src/io/crc32.js';
// @ts-ignore plain-JS module without types
import { RESUME_CASES, RESUME_EPOCHS, trainSlice, weightsHash } from './runtimes/resume.js';
// @ts-ignore plain-JS module without types
import { fnv1a } from './runtimes/seeded.js';

const rnd = (n: number, seed: number) => randomValues(n, seed, -1, 1).map(Math.fround);
const SHAPES = [[13], [3], [2, 4]];
const setGrad = (p: Tensor, values: number[]) => { p.zeroGrad(); p.grad = keep(tensor(values, p.shape as number[])); };
const gradsAt = (t: number) => SHAPES.map((s, i) => rnd(s.reduce((a, b) => a * b, 1), 100 * t + i).map((v) => v * (1 + t)));

interface Case { name: string; make: () => optim.Optimizer; ref: () => { step(p: number[][], g: (number[] | null)[]): void }; slots: string[] }
const cases: Case[] = [
  { name: 'sgd momentum', make: () => optim.sgd({ lr: 0.05, momentum: 0.9 }), ref: () => new RefSGD(0.05, { momentum: 0.9 }), slots: ['momentumBuffer'] },
  { name: 'sgd nesterov', make: () => optim.sgd({ lr: 0.05, momentum: 0.9, nesterov: true }), ref: () => new RefSGD(0.05, { momentum: 0.9, nesterov: true }), slots: ['momentumBuffer'] },
  { name: 'adam', make: () => optim.adam({ lr: 0.01 }), ref: () => new RefAdam(0.01), slots: ['expAvg', 'expAvgSq'] },
  { name: 'adam amsgrad', make: () => optim.adam({ lr: 0.01, amsgrad: true }), ref: () => new RefAdam(0.01, { amsgrad: true }), slots: ['expAvg', 'expAvgSq', 'maxExpAvgSq'] },
  { name: 'adamw', make: () => optim.adamw({ lr: 0.02, weightDecay: 0.2 }), ref: () => new RefAdam(0.02, { weightDecay: 0.2, decoupled: true }), slots: ['expAvg', 'expAvgSq'] },
  { name: 'rmsprop centered momentum', make: () => optim.rmsprop({ lr: 0.01, centered: true, momentum: 0.5 }), ref: () => new RefRMSprop(0.01, { centered: true, momentum: 0.5 }), slots: ['gradAvg', 'momentumBuffer', 'squareAvg'] },
  { name: 'adagrad lrDecay', make: () => optim.adagrad({ lr: 0.1, lrDecay: 0.1 }), ref: () => new RefAdagrad(0.1, { lrDecay: 0.1 }), slots: ['sum'] },
  { name: 'adadelta', make: () => optim.adadelta({ lr: 0.5 }), ref: () => new RefAdadelta(0.5), slots: ['accDelta', 'squareAvg'] },
];

describe('optimizer.stateDict / loadStateDict', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: 3 steps, state moved to a fresh optimizer, 3 more steps = 6 steps of the torch.optim reference', (_n, c) => {
    const init = SHAPES.map((s, i) => rnd(s.reduce((a, b) => a * b, 1), 10 + i));
    const a = SHAPES.map((s, i) => tensor(init[i], s).requireGrad());
    const ref = init.map((v) => v.slice());
    const r = c.ref();
    const first = c.make();
    for (let t = 0; t < 3; t++) {
      const g = gradsAt(t);
      a.forEach((p, i) => setGrad(p, g[i]));
      first.step(a);
      r.step(ref, g);
    }
    const state = first.stateDict(a);
    expect(state.name).toBe(first.name);
    expect(state.iterations).toBe(3);
    expect(state.params.map((s) => s!.step)).toEqual([3, 3, 3]);
    expect(Object.keys(state.params[0]!.buffers).sort()).toEqual(c.slots);
    // A copy of the values: the state's buffers as the optimizer holds them.
    for (const [k, v] of Object.entries(state.params[0]!.buffers)) expect(v).toEqual(first.getState(a[0])!.buffers[k].dataSync());
    // A fresh optimizer over copies of the parameters, given that state, continues as the reference.
    const b = a.map((p) => p.detach().requireGrad());
    const second = c.make();
    second.loadStateDict(state, b);
    const fresh = c.make();
    const f = a.map((p) => p.detach().requireGrad());
    for (let t = 3; t < 6; t++) {
      const g = gradsAt(t);
      for (const ps of [a, b, f]) ps.forEach((p, i) => setGrad(p, g[i]));
      first.step(a);
      second.step(b);
      fresh.step(f);
      r.step(ref, g);
    }
    b.forEach((p, i) => {
      expect(p.dataSync(), `${c.name}: param ${i} bit-identical to the optimizer never interrupted`).toEqual(a[i].dataSync());
      expectClose(p.dataSync(), ref[i], { rtol: 2e-5, atol: 2e-6, what: `${c.name} param ${i} after 6 steps` });
    });
    expect(second.iterations).toBe(6);
    // Without the state the same steps go elsewhere: the check above can fail.
    expect(f.some((p, i) => p.dataSync().some((v, k) => Math.abs(v - ref[i][k]) > 2e-6 + 2e-5 * Math.abs(ref[i][k])))).toBe(true);
    for (const o of [first, second, fresh]) o.dispose();
    for (const p of [...a, ...b, ...f]) { p.zeroGrad(); p.dispose(); }
  });

  it('SGD momentum buffer after two steps: g1 then 0.9 g1 + g2 (float32), and the schedule epoch moves with the state', () => {
    const p = tensor([1, 2, 3]).requireGrad();
    const opt = optim.sgd({ lr: optim.schedules.stepDecay({ initialLr: 0.1, stepSize: 1, gamma: 0.5 }), momentum: 0.9 }, [p]);
    const g1 = [0.5, -1, 2], g2 = [0.25, 0.75, -3];
    setGrad(p, g1); opt.step();
    setGrad(p, g2); opt.step();
    opt.setEpoch(3);
    const s = opt.stateDict();
    expect(Array.from(s.params[0]!.buffers.momentumBuffer)).toEqual(g1.map((v, i) => Math.fround(Math.fround(0.9 * v) + g2[i])));
    expect(s.epoch).toBe(3);
    const other = optim.sgd({ lr: optim.schedules.stepDecay({ initialLr: 0.1, stepSize: 1, gamma: 0.5 }), momentum: 0.9 }, [p]);
    expect(other.lr).toBe(0.1);
    other.loadStateDict(s);
    expect(other.epoch).toBe(3);
    expect(other.lr).toBe(0.0125);
    // A parameter not updated yet is null, and stays without state.
    const q = tensor([1]).requireGrad();
    const s2 = opt.stateDict([p, q]);
    expect(s2.params[1]).toBeNull();
    for (const o of [opt, other]) o.dispose();
    p.zeroGrad(); p.dispose(); q.dispose();
  });
});

describe('checkpoints: save(target, { includeOptimizer: true }) and Model.load', () => {
  it.each(RESUME_CASES)('%s: stopped after epochs 1, 2 and 4 and loaded each time from bytes, ends with the uninterrupted weights', async (name) => {
    const full = await trainSlice(W, name, null, RESUME_EPOCHS);
    let checkpoint: Uint8Array | null = null;
    let last: any;
    for (const until of [1, 2, 4, RESUME_EPOCHS]) {
      last = await trainSlice(W, name, checkpoint, until);
      expect(last.epoch).toBe(until);
      checkpoint = last.checkpoint;
    }
    expect(last.weights).toBe(full.weights);
    expect(last.checkpoint).toEqual(full.checkpoint);
  });

  it('the same checkpoint with its optimizer buffers dropped does not resume to the same weights', async () => {
    const full = await trainSlice(W, 'sequential-sgd', null, RESUME_EPOCHS);
    const two = await trainSlice(W, 'sequential-sgd', null, 2);
    // The same weights, random state and epoch, but the momentum buffers and step counts start afresh.
    const { json, weights } = unpack(two.checkpoint);
    const floats = json.weights.floats;
    json.trainingState.optimizer.params = [];
    json.trainingState.floats = 0;
    const header = new DataView(weights.buffer, weights.byteOffset);
    const modelOnly = weights.slice(0, 16 + floats * 4);
    new DataView(modelOnly.buffer).setUint32(8, floats, true);
    new DataView(modelOnly.buffer).setUint32(12, crc32(modelOnly.subarray(16)), true);
    expect(header.getUint32(8, true)).toBeGreaterThan(floats);
    const stripped = await trainSlice(W, 'sequential-sgd', pack(json, modelOnly), RESUME_EPOCHS);
    expect(stripped.epoch).toBe(RESUME_EPOCHS);
    expect(stripped.weights).not.toBe(full.weights);
  });

  it('restores the compile settings, optimizer state, schedule epoch, progress and random state', async () => {
    setSeed(5);
    const model = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3 }), nn.flatten(), nn.dense({ units: 3 })], { inputShape: [5, 5, 1] });
    model.compile({ optimizer: optim.adam({ lr: optim.schedules.exponential({ initialLr: 0.01, gamma: 0.5 }), beta1: 0.8 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = randn([6, 5, 5, 1]);
    const y = tensor(new Int32Array([0, 1, 2, 0, 1, 2]), [6], 'int32');
    await model.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0 });
    expect(model.trainingProgress).toEqual({ epoch: 3, step: 6 });
    const bytes = await model.save(undefined, { includeOptimizer: true });
    const nextDraws = randn([5]).dataSync();
    const loaded = await Model.load(bytes);
    // Loading put the generator back where the save left it.
    expect(randn([5]).dataSync()).toEqual(nextDraws);
    expect(loaded.trainingProgress).toEqual({ epoch: 3, step: 6 });
    const opt = loaded.optimizer!;
    expect(opt.getConfig()).toEqual(model.optimizer!.getConfig());
    expect(opt.epoch).toBe(2);
    expect(opt.lr).toBe(0.0025);
    const ps = model.parameters(), qs = loaded.parameters();
    ps.forEach((p, i) => {
      const a = model.optimizer!.getState(p)!, b = opt.getState(qs[i])!;
      expect(b.step).toBe(a.step);
      for (const k of Object.keys(a.buffers)) expect(b.buffers[k].dataSync()).toEqual(a.buffers[k].dataSync());
    });
    // Compiled with the same loss and metrics: evaluate gives the same numbers.
    expect(loaded.evaluate(x, y)).toEqual(model.evaluate(x, y));
    const j = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true))));
    expect(j.formatVersion).toBe(2);
    expect(j.trainingState.version).toBe(1);
    expect(j.trainingState.optimizer.params.map((p: any) => [p.name, p.buffers])).toEqual([
      ['conv2d/kernel', ['expAvg', 'expAvgSq']], ['conv2d/bias', ['expAvg', 'expAvgSq']], ['dense/kernel', ['expAvg', 'expAvgSq']], ['dense/bias', ['expAvg', 'expAvgSq']],
    ]);
    for (const t of [x, y]) t.dispose();
    model.dispose();
    loaded.dispose();
  });

  it('fit({ seed }) continues its own stream after a stop: fit to 2 then from 2 to 4 (also through a checkpoint) = fit to 4', async () => {
    const run = async (stops: number[], viaCheckpoint: boolean) => {
      setSeed(9);
      let model: Model = new Sequential([nn.dense({ units: 4, activation: 'relu' }), nn.dropout({ rate: 0.3 }), nn.dense({ units: 2 })], { inputShape: [3] });
      model.compile({ optimizer: optim.sgd({ lr: 0.1, momentum: 0.5 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
      const x = randn([20, 3]);
      const y = tensor(Int32Array.from({ length: 20 }, (_, i) => i % 2), [20], 'int32');
      let from = 0;
      for (const until of stops) {
        await model.fit(x, y, { seed: 42, initialEpoch: from, epochs: until, batchSize: 6, verbose: 0 });
        if (viaCheckpoint) {
          const bytes = await model.save(undefined, { includeOptimizer: true });
          model.dispose();
          setSeed(1234); // the global generator must not matter
          model = await Model.load(bytes);
        }
        from = until;
      }
      const h = weightsHash(model);
      model.dispose(); x.dispose(); y.dispose();
      return h;
    };
    const whole = await run([4], false);
    expect(await run([2, 4], false)).toBe(whole);
    expect(await run([1, 2, 4], true)).toBe(whole);
  });

  it('a Node directory checkpoint: model.json carries trainingState, weights.bin the optimizer buffers after the weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-checkpoint-'));
    try {
      const two = await trainSlice(W, 'graph-adam', null, 2);
      const m = await Model.load(two.checkpoint);
      await m.save(dir, { includeOptimizer: true });
      const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const bin = readFileSync(join(dir, 'weights.bin'));
      expect(new DataView(bin.buffer, bin.byteOffset).getUint32(8, true)).toBe(j.weights.floats + j.trainingState.floats);
      expect(j.trainingState.epoch).toBe(2);
      m.dispose();
      const again = await Model.load(dir);
      expect(weightsHash(again)).toBe(two.weights);
      expect(again.trainingProgress).toEqual({ epoch: 2, step: 20 });
      again.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('checkpoints as a browser or a worker keeps them', () => {
  it('a custom save target gets { modelJson, weights } with the optimizer buffers; Model.load of those pieces resumes', async () => {
    const full = await trainSlice(W, 'graph-sgd', null, RESUME_EPOCHS);
    const four = await trainSlice(W, 'graph-sgd', null, 4);
    const m = await Model.load(four.checkpoint);
    let artifacts: any = null;
    const packed = await m.save({ save: (a) => { artifacts = a; } }, { includeOptimizer: true });
    m.dispose();
    expect(packed).toEqual(four.checkpoint);
    expect(artifacts.modelJson.trainingState.epoch).toBe(4);
    const again = await Model.load({ modelJson: JSON.stringify(artifacts.modelJson), weights: artifacts.weights.buffer });
    const bytes = await again.save(undefined, { includeOptimizer: true });
    again.dispose();
    expect((await trainSlice(W, 'graph-sgd', bytes, RESUME_EPOCHS)).weights).toBe(full.weights);
  });
});

describe('save without includeOptimizer is unchanged', () => {
  it('formatVersion 1, no trainingState, the same bytes as before checkpoints existed', async () => {
    setSeed(3);
    const m = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3 }), nn.flatten(), nn.dense({ units: 3 })], { inputShape: [5, 5, 1] });
    m.compile({ optimizer: optim.sgd({ lr: 0.1, momentum: 0.9 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
    const x = randn([4, 5, 5, 1]);
    const y = tensor(new Int32Array([0, 1, 2, 1]), [4], 'int32');
    m.trainOnBatch(x, y);
    const bytes = await m.save();
    expect(await m.save(undefined, { includeOptimizer: false })).toEqual(bytes);
    expect(m.toJSON().formatVersion).toBe(1);
    expect('trainingState' in m.toJSON()).toBe(false);
    // Length and FNV-1a of the file this seeded model saved before checkpoints were added.
    expect([bytes.length, fnv1a(bytes)]).toEqual([1428, '3ddc1d27']);
    // It loads compiled (from the training section), with a fresh optimizer.
    const loaded = await Model.load(bytes);
    expect(loaded.optimizer!.iterations).toBe(0);
    expect(loaded.trainingProgress).toEqual({ epoch: 0, step: 0 });
    for (const t of [x, y]) t.dispose();
    m.dispose();
    loaded.dispose();
  });
});
