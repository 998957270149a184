// callbacks.earlyStopping / reduceLROnPlateau / modelCheckpoint with Keras' semantics. A stub
// callback placed before them writes a hand-made sequence into the monitored log key, so each case
// states the epoch at which Keras would stop, reduce or save; the weights restored or written are
// compared byte for byte with copies taken at that epoch's end.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Sequential, Model, nn, optim, tensor, callbacks, type Tensor } from '../src/index.js';

/** A small trainable problem: 24 samples of 3 features, 3 classes. */
function problem(): { x: Tensor; y: Tensor } {
  const x = tensor(Float32Array.from({ length: 72 }, (_, i) => Math.sin(i * 1.7) + (i % 3) * 0.3), [24, 3]);
  const y = tensor(Int32Array.from({ length: 24 }, (_, i) => i % 3), [24], 'int32');
  return { x, y };
}

function model(lr: optim.LearningRate = 0.1): Sequential {
  const m = new Sequential([nn.dense({ units: 5, activation: 'relu' }), nn.dense({ units: 3 })], { inputShape: [3] });
  m.compile({ optimizer: optim.sgd({ lr, momentum: 0.5 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  return m;
}

/** A callback that overwrites `key` in each epoch's logs with seq[epoch] (for the callbacks after it). */
const stub = (key: string, seq: number[]) => ({ onEpochEnd: (e: number, logs: Record<string, number | undefined>) => { logs[key] = seq[e]; } });

/** Runs fit with the stub, then `cb`, then a recorder of the weights' bytes and lr at each epoch end. */
async function runWith(cb: object, seq: number[], key = 'valLoss', m = model()) {
  const { x, y } = problem();
  const bytes: Uint8Array[] = [];
  const lrs: number[] = [];
  const h = await m.fit(x, y, {
    epochs: seq.length, batchSize: 8, verbose: 0, seed: 3,
    callbacks: [stub(key, seq), cb, { onEpochEnd: () => { bytes.push(m.weightsBytes()); lrs.push(m.optimizer!.lr); } }],
  });
  return { m, epochs: h.loss.length, bytes, lrs };
}

describe('earlyStopping (Keras semantics)', () => {
  // [options, monitored sequence, epochs Keras runs]
  const cases: [string, Record<string, unknown>, number[], number][] = [
    ['patience 0 stops at the first epoch without improvement (never at epoch 0)', {}, [1, 2, 0.5, 0.4], 2],
    ['patience 2 waits two epochs', { patience: 2 }, [1, 0.8, 0.9, 0.85, 0.7, 0.6], 4],
    ['an equal value is no improvement', { patience: 1 }, [1, 1, 0.5], 2],
    ['minDelta: an improvement must exceed it', { patience: 1, minDelta: 0.1 }, [1, 0.95, 0.5], 2],
    ['minDelta: beating it resets the wait', { patience: 1, minDelta: 0.1 }, [1, 0.85, 0.8, 0.5], 3],
    ['mode max (auto for accuracy)', { monitor: 'accuracy', patience: 1 }, [0.5, 0.6, 0.6, 0.9], 3],
    ['mode min forced on a metric', { monitor: 'accuracy', mode: 'min', patience: 1 }, [0.5, 0.6, 0.4, 0.9], 2],
    ['baseline: improvements that miss it do not reset the wait', { patience: 2, baseline: 0.35 }, [0.5, 0.6, 0.7, 0.3], 2],
    ['baseline: runs on while improving over the best', { patience: 2, baseline: 0.35 }, [0.5, 0.4, 0.3, 0.2, 0.1], 5],
    ['startFromEpoch: warm-up epochs are not watched', { patience: 0, startFromEpoch: 2 }, [1, 2, 3, 4, 5], 4],
    ['NaN is never an improvement', { patience: 1 }, [1, NaN, 0.5], 2],
    ["Keras' spelling 'val_loss'", { monitor: 'val_loss', patience: 1 }, [1, 2, 3], 2],
  ];
  for (const [name, options, seq, ran] of cases) {
    it(name, async () => {
      const key = (options.monitor as string | undefined)?.replace('val_loss', 'valLoss') ?? 'valLoss';
      const es = callbacks.earlyStopping(options);
      const { epochs, m } = await runWith(es, seq, key);
      expect(epochs).toBe(ran);
      expect(es.stoppedEpoch).toBe(ran < seq.length ? ran - 1 : -1);
      m.dispose();
    });
  }

  it('restoreBestWeights puts back the best epoch\'s weights exactly, at the end of training', async () => {
    const es = callbacks.earlyStopping({ patience: 2, restoreBestWeights: true });
    const { m, epochs, bytes } = await runWith(es, [1, 0.8, 0.9, 0.85, 0.1]);
    expect(epochs).toBe(4);
    expect(es.bestEpoch).toBe(1);
    expect(bytes[3]).not.toEqual(bytes[1]); // training moved the weights after the best epoch
    expect(m.weightsBytes()).toEqual(bytes[1]);
    m.dispose();
  });

  it('restoreBestWeights also restores when training runs to the last epoch (Keras 3)', async () => {
    const es = callbacks.earlyStopping({ patience: 5, restoreBestWeights: true });
    const { m, epochs, bytes } = await runWith(es, [1, 0.5, 0.7]);
    expect(epochs).toBe(3);
    expect(m.weightsBytes()).toEqual(bytes[1]);
    m.dispose();
  });

  it('restoreBestWeights with a baseline never beaten restores the best epoch seen', async () => {
    const es = callbacks.earlyStopping({ patience: 2, restoreBestWeights: true, baseline: 0.1 });
    const { m, epochs, bytes } = await runWith(es, [1, 0.6, 0.7, 0.8]);
    expect(epochs).toBe(3);
    expect(m.weightsBytes()).toEqual(bytes[1]);
    m.dispose();
  });

  it('a real run: valLoss from validationData, the instance reused by a second fit starts afresh', async () => {
    const { x, y } = problem();
    const m = model(0.5);
    const es = callbacks.earlyStopping({ monitor: 'loss', patience: 1 });
    const h = await m.fit(x, y, { epochs: 3, verbose: 0, validationData: [x, y], callbacks: [es] });
    expect(h.loss).toHaveLength(3);
    expect(es.best).toBe(Math.min(...h.loss));
    const h2 = await m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [es] });
    expect(es.best).toBe(h2.loss[0]); // reset at train begin: the one epoch's loss is the best, even if worse than before
    expect(es.wait).toBe(0);
    m.dispose();
  });
});

describe('reduceLROnPlateau (Keras semantics)', () => {
  it('reduces after patience epochs, waits out the cooldown, stops at minLr', async () => {
    const cb = callbacks.reduceLROnPlateau({ factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02, minDelta: 0 });
    const { lrs, m } = await runWith(cb, [1, 1, 1, 1, 1, 1, 1, 1]);
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02]);
    m.dispose();
  });

  it('minDelta (default 1e-4): a smaller gain is no improvement; a larger one resets the wait', async () => {
    const cb = callbacks.reduceLROnPlateau({ patience: 2 });
    const { lrs, m } = await runWith(cb, [1, 0.99995, 0.99992, 0.99995, 0.9998, 0.99975, 0.99972]);
    // e1, e2: within 1e-4 of the best (1): wait 1, 2 -> x0.1 at e2. e3: wait 1. e4: 0.9998 < 1 - 1e-4:
    // a new best, the wait restarts. e5, e6: within 1e-4 of 0.9998: wait 1, 2 -> x0.1 at e6.
    expect(lrs.map((v) => +v.toPrecision(12))).toEqual([0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001]);
    m.dispose();
  });

  it('mode max for accuracy; cooldown 0 reduces every patience epochs', async () => {
    const cb = callbacks.reduceLROnPlateau({ monitor: 'valAccuracy', patience: 1, factor: 0.5 });
    const { lrs, m } = await runWith(cb, [0.5, 0.6, 0.6, 0.7, 0.6], 'valAccuracy');
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.025]);
    m.dispose();
  });

  it('the reduced rate is the one the next epoch trains with', async () => {
    const { x, y } = problem();
    const m = model();
    const seen: number[] = [];
    await m.fit(x, y, {
      epochs: 3, batchSize: 24, shuffle: false, verbose: 0,
      callbacks: [stub('valLoss', [1, 2, 3]), callbacks.reduceLROnPlateau({ patience: 1, factor: 0.5 }), { onBatchBegin: () => { seen.push(m.optimizer!.lr); } }],
    });
    expect(seen).toEqual([0.1, 0.1, 0.05]);
    m.dispose();
  });

  it('with a schedule: the schedule is scaled from the reduction on (lr(e) = max(schedule(e) * s, minLr))', async () => {
    const schedule = (e: number) => 0.1 / (e + 1);
    const m = model(schedule);
    const seen: number[] = [];
    const { x, y } = problem();
    await m.fit(x, y, {
      epochs: 5, batchSize: 24, verbose: 0,
      callbacks: [stub('valLoss', [1, 2, 3, 4, 5]), callbacks.reduceLROnPlateau({ patience: 1, factor: 0.5, minLr: 0.0105 }), { onEpochBegin: () => { seen.push(m.optimizer!.lr); } }],
    });
    // Reductions at the ends of epochs 1 and 2 (patience 1): scale 0.5 from epoch 2, 0.25 from
    // epoch 3; at epoch 4 0.25 * 0.02 is below minLr.
    expect(seen).toEqual([0.1, 0.05, Math.max((0.1 / 3) * 0.5, 0.0105), (0.1 / 4) * 0.25 < 0.0105 ? 0.0105 : (0.1 / 4) * 0.25, 0.0105]);
    m.dispose();
  });
});

describe('modelCheckpoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-ckpt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the model at every epoch end; {epoch} is 1-based, {epoch:02d} padded', async () => {
    const cb = callbacks.modelCheckpoint({ path: join(dir, 'every', 'ep{epoch:02d}-{loss:.3f}') });
    const { m, bytes } = await runWith(cb, [1, 2, 3], 'valLoss');
    const written = readdirSync(join(dir, 'every')).sort();
    expect(written).toHaveLength(3);
    expect(written.map((n) => n.slice(0, 5))).toEqual(['ep01-', 'ep02-', 'ep03-']);
    for (let e = 0; e < 3; e++) {
      const back = await Model.load(join(dir, 'every', written[e]));
      expect(back.weightsBytes()).toEqual(bytes[e]);
      back.dispose();
    }
    m.dispose();
  });

  it('saveBestOnly writes only on improvement (strictly better, Keras)', async () => {
    const cb = callbacks.modelCheckpoint({ path: join(dir, 'best', 'e{epoch}'), saveBestOnly: true });
    const { m } = await runWith(cb, [1, 0.5, 0.5, 0.7, 0.4]);
    expect(readdirSync(join(dir, 'best')).sort()).toEqual(['e1', 'e2', 'e5']);
    m.dispose();
  });

  it('a fixed path is overwritten by each better model; mode max for accuracy', async () => {
    const path = join(dir, 'fixed');
    const cb = callbacks.modelCheckpoint({ path, monitor: 'valAccuracy', saveBestOnly: true });
    const { m, bytes } = await runWith(cb, [0.2, 0.9, 0.5], 'valAccuracy');
    const back = await Model.load(path);
    expect(back.weightsBytes()).toEqual(bytes[1]);
    expect(existsSync(join(path, 'model.json'))).toBe(true);
    back.dispose();
    m.dispose();
  });

  it('includeOptimizer: a checkpoint written at epoch 2 resumes to the weights of an uninterrupted run', async () => {
    const { x, y } = problem();
    const m0 = model();
    const json = m0.toJSON(), w0 = m0.weightsBytes();
    m0.dispose();
    const opts = { batchSize: 8, verbose: 0 as const, seed: 5 };
    const straight = Model.fromJSON(json, w0);
    await straight.fit(x, y, { ...opts, epochs: 4 });
    const run = Model.fromJSON(json, w0);
    const cb = callbacks.modelCheckpoint({ path: join(dir, 'resume', 'e{epoch}'), includeOptimizer: true });
    await run.fit(x, y, { ...opts, epochs: 2, callbacks: [cb] });
    expect(cb.saved).toEqual([join(dir, 'resume', 'e1'), join(dir, 'resume', 'e2')]);
    const resumed = await Model.load(join(dir, 'resume', 'e2'));
    expect(resumed.trainingProgress.epoch).toBe(2);
    await resumed.fit(x, y, { ...opts, epochs: 4, initialEpoch: resumed.trainingProgress.epoch });
    expect(resumed.weightsBytes()).toEqual(straight.weightsBytes());
    for (const m of [straight, run, resumed]) m.dispose();
  });

  it('an object target receives the artifacts', async () => {
    const got: unknown[] = [];
    const cb = callbacks.modelCheckpoint({ path: { save: (a: unknown) => { got.push(a); } }, monitor: 'loss' });
    const { m } = await runWith(cb, [1, 2], 'valLoss');
    expect(got).toHaveLength(2);
    m.dispose();
  });
});

describe('callbacks: monitors fit does not log', () => {
  it('a val* monitor without validation data: fit rejects at the first epoch end naming the keys there are', async () => {
    const { x, y } = problem();
    const m = model();
    const before = m.weightsBytes();
    const err = await m.fit(x, y, { epochs: 3, verbose: 0, callbacks: [callbacks.earlyStopping()] }).catch((e) => e);
    expect(err.name).toBe('ValueError');
    expect(err.message).toMatch(/earlyStopping: monitor 'valLoss' is not in the epoch's logs .*validationData.*; available: loss, accuracy/);
    expect(m.weightsBytes()).not.toEqual(before); // one epoch trained, then the error
    await expect(m.fit(x, y, { epochs: 1, verbose: 0, callbacks: [callbacks.reduceLROnPlateau({ monitor: 'f1' })] })).rejects.toThrow(/monitor 'f1' is not in the epoch's logs \(metrics need compile/);
    m.dispose();
  });
});
