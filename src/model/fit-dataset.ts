// fit / evaluate / predict over a dataset (data.dataset, or any iterable / async iterable of
// [x, y] batches): one batch is read, trained on (or evaluated) and freed before the next, so wasm
// memory is bounded by the batches in flight, not by the dataset's size. A batch's training step
// is the in-memory fit's step (training.ts), so the same batches in the same order give the same bits.
import { Tensor, tidy, noGrad } from '../tensor.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { describe } from '../ops/util.js';
import { dataset as toDataset, Dataset } from '../data/dataset.js';
import { release, isPlainObject } from '../data/dataset-elements.js';
import { recordEpoch } from './checkpoint.js';
import { ProgressReporter, nowMs } from '../progress.js';
import { requireCompiled, bindOptimizer, type Compiled } from './compile.js';
import { collectCallbacks, callAll, type History, type Logs } from './callbacks.js';
import { resolveSampleWeights } from './sample-weights.js';
import { checkInput, checkXs, sampleCount, type ModelInput } from './inputs.js';
import {
  exclusiveFit, fitSettings, emptyHistory, stopIfNonFinite, trainStep, lossOf, evalRange, zeroStep, addStep, metricLogs, validationLogs, checkTargets, checkTargetLabels,
  intOption, yieldToEventLoop, YIELD_EVERY_MS, type FitOptions, type LossAndMetrics, type ModelTarget, type StepResult,
} from './training.js';
import type { Model } from './model.js';

/** A dataset fit and evaluate accept: a Dataset, any iterable / async iterable (not an array) of batches, or a function returning one. */
export type DatasetInput = Dataset<unknown> | AsyncIterable<unknown> | Iterable<unknown> | (() => Iterable<unknown> | AsyncIterable<unknown>);

export interface FitDatasetOptions extends Omit<FitOptions, 'batchSize' | 'validationData' | 'validationSplit' | 'shuffle' | 'sampleWeight'> {
  /** Evaluated after each epoch: a dataset of [x, y] batches, or [xVal, yVal] tensors. */
  validationData?: DatasetInput | [ModelInput, ModelTarget];
  /**
   * Batches per epoch. Default: one full pass of the dataset per epoch. When given, the dataset's
   * iteration carries on across epochs (a new pass starts when one ends), so an endless dataset
   * (`repeat()`) trains with a defined epoch.
   */
  stepsPerEpoch?: number;
  /** Batches of validationData evaluated per epoch (a dataset); default all. */
  validationSteps?: number;
}

/** True for what fit / evaluate / predict treat as a dataset: a function, or an (async) iterable that is not a Tensor or an array of inputs. */
export function isDatasetInput(x: unknown): x is DatasetInput {
  if (x instanceof Dataset || typeof x === 'function') return true;
  if (x === null || typeof x !== 'object' || x instanceof Tensor || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  return Symbol.asyncIterator in x || Symbol.iterator in x;
}

const IN_FIT = new Set(['batchSize', 'validationSplit', 'shuffle', 'sampleWeight']);

/** x and y of one dataset element: `[x, y]`, `{ x, y }` or (yOptional) a bare x. */
function splitElement(where: string, el: unknown, index: number, yOptional: boolean): { x: unknown; y: unknown } {
  if (Array.isArray(el) && (el.length === 2 || (yOptional && el.length === 1))) return { x: el[0], y: el[1] };
  if (isPlainObject(el) && 'x' in el) return { x: el.x, y: el.y };
  if (yOptional && el instanceof Tensor) return { x: el, y: undefined };
  throw new ValueError(`${where}: batch ${index + 1} of the dataset must be [x, y] or { x, y } (tensors, x an array of tensors for several inputs), got ${describe(el)}` +
    (el instanceof Tensor ? ' (batch the dataset, and give it labels: data.dataset(...).batch(n) of [x, y] elements)' : ''));
}

/** Checks one training / evaluation batch against the model; returns its targets, one per output. */
function checkBatch(where: string, model: Model, c: Compiled, x: unknown, y: unknown): Tensor[] {
  if (y === undefined || y === null) throw new ValueError(`${model.name}.${where}: the dataset's batches carry no targets (y); elements must be [x, y] pairs`);
  const ys = checkTargets(where, model, c, x, y);
  checkInput(model, x as ModelInput, where);
  checkTargetLabels(model, ys, where);
  return ys;
}

/** Opens iteration `epoch` (under fit's seeded stream when given) and reads batches from it. */
class BatchReader {
  private it: AsyncIterator<unknown> | null = null;
  constructor(private readonly ds: Dataset<unknown>, private readonly rng: <T>(fn: () => T) => T) {}

  /** The next batch of iteration `epoch` (opened when none is open); null at its end. */
  async next(epoch: number): Promise<{ value: unknown } | null> {
    this.it ??= this.rng(() => this.ds._open(epoch));
    const r = await this.it.next();
    if (!r.done) return { value: r.value };
    this.it = null;
    return null;
  }

  async close(): Promise<void> {
    const it = this.it;
    this.it = null;
    await it?.return?.();
  }
}

/** model.fit(dataset, options): streams batches, `epochs` passes (or stepsPerEpoch batches each). */
export function fitDataset(model: Model, compiled: Compiled | null, source: DatasetInput, options: FitDatasetOptions = {}): Promise<History> {
  return exclusiveFit(model, () => fitStreaming(model, compiled, source, options));
}

async function fitStreaming(model: Model, compiled: Compiled | null, source: DatasetInput, options: FitDatasetOptions): Promise<History> {
  const c = requireCompiled(compiled, model.name, 'fit');
  const o = options ?? {};
  if (typeof o !== 'object') throw new ValueError(`${model.name}.fit: with a dataset the second argument is the options object, got ${describe(o)}`);
  for (const key of Object.keys(o)) {
    if (IN_FIT.has(key)) throw new ValueError(`${model.name}.fit: option '${key}' does not apply to a dataset (its batches are made by the dataset: use dataset.batch / shuffle, or [x, y] tensors)`);
  }
  const ds = toDataset(source as Dataset<unknown>);
  const { epochs, initialEpoch, verbose, stream, rng, stopOnNaN } = fitSettings(model, o);
  const stepsPerEpoch = o.stepsPerEpoch === undefined ? null : intOption('fit', o.stepsPerEpoch, 'stepsPerEpoch', 1, 1);
  const validationSteps = o.validationSteps === undefined ? null : intOption('fit', o.validationSteps, 'validationSteps', 1, 1);
  const val = o.validationData === undefined ? null : validationOf(model, c, o.validationData);
  if (ds.size === Infinity && stepsPerEpoch === null) {
    throw new ValueError(`${model.name}.fit: the dataset is endless (repeat()); give stepsPerEpoch to say how many batches make an epoch`);
  }
  const hooks = collectCallbacks(o, model);
  const history = emptyHistory(c, val !== null);
  // The epoch's size in samples is known once a full pass has been seen.
  const reporter = new ProgressReporter({ verbose, epochs, samples: null, log: o.log });
  const params = model.parameters();
  bindOptimizer(model, c.optimizer);
  model.stopTraining = false;
  const reader = new BatchReader(ds, rng);
  let pass = initialEpoch;
  let lastYield = nowMs();
  try {
    await callAll(hooks, 'onTrainBegin');
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      c.optimizer.setEpoch(epoch);
      await callAll(hooks, 'onEpochBegin', epoch);
      reporter.epochBegin(epoch);
      let seen = 0;
      const sums = zeroStep(c);
      let complete = true;
      for (let b = 0; stepsPerEpoch === null || b < stepsPerEpoch; b++) {
        let got = await reader.next(stepsPerEpoch === null ? epoch : pass);
        // With stepsPerEpoch a pass that ends mid-epoch is followed by the next one.
        if (got === null && stepsPerEpoch !== null) got = await reader.next(++pass);
        if (got === null) break;
        const el = got.value;
        try {
          await callAll(hooks, 'onBatchBegin', b);
          const { x, y } = splitElement(`${model.name}.fit`, el, b, false);
          const ys = checkBatch('fit', model, c, x, y);
          const count = sampleCount(x as ModelInput);
          if (count === 0) throw new ValueError(`${model.name}.fit: batch ${b + 1} of epoch ${epoch + 1} is empty`);
          if (o.augment !== undefined && Array.isArray(x)) throw new ValueError('fit: option \'augment\' takes one input batch; it is not supported for several inputs');
          const weights = o.classWeight === undefined ? null : resolveSampleWeights(model, c, ys, count, o.classWeight, undefined);
          const step = rng(() => trainStep(model, c, params, x as ModelInput, ys, null, 0, count, o.augment, true, stopOnNaN, weights));
          if (stopOnNaN) stopIfNonFinite(model, step.loss, history, `epoch ${epoch + 1}/${epochs}, batch ${b + 1}`);
          seen += count;
          addStep(sums, step, count);
          reporter.batchEnd(seen, metricLogs(c, sums, seen));
          await callAll(hooks, 'onBatchEnd', b, { ...metricLogs(c, step, count, 1), size: count });
        } finally {
          release(el);
        }
        if (nowMs() - lastYield >= YIELD_EVERY_MS) { await yieldToEventLoop(); lastYield = nowMs(); }
        if (model.stopTraining) { complete = false; break; }
      }
      if (seen === 0) {
        throw new ValueError(`${model.name}.fit: the dataset yielded no batches in epoch ${epoch + 1}` +
          (epoch > initialEpoch ? ' (a one-shot iterator such as a generator object is iterable once: pass a function returning a fresh one)' : ''));
      }
      if (stepsPerEpoch === null) { await reader.close(); if (complete) reporter.setSamples(seen); }
      const logs: Logs = metricLogs(c, sums, seen);
      if (val) Object.assign(logs, validationLogs(await val(validationSteps)));
      for (const [key, v] of Object.entries(logs)) history[key]!.push(v!);
      if (complete) recordEpoch(model._progress, epoch + 1, o.seed, stream);
      reporter.epochEnd(logs, seen);
      await callAll(hooks, 'onEpochEnd', epoch, logs);
      await yieldToEventLoop();
      lastYield = nowMs();
    }
  } finally {
    await reader.close();
  }
  await callAll(hooks, 'onTrainEnd', history);
  return history;
}

/** The per-epoch validation: a dataset streamed through evaluate, or tensors evaluated in batches of 32. */
function validationOf(model: Model, c: Compiled, vd: unknown): (steps: number | null) => Promise<LossAndMetrics> {
  if (isDatasetInput(vd)) {
    const ds = toDataset(vd as Dataset<unknown>);
    let pass = 0;
    return (steps) => evaluateStream(model, c, ds, pass++, steps, 'fit (validationData)');
  }
  if (!Array.isArray(vd) || vd.length < 2) throw new ValueError(`fit: option 'validationData' must be a dataset or [xVal, yVal], got ${describe(vd)}`);
  const ys = checkTargets('fit (validationData)', model, c, vd[0], vd[1]);
  checkInput(model, vd[0] as ModelInput, 'fit (validationData)');
  checkTargetLabels(model, ys, 'fit (validationData)');
  return async () => evalRange(model, c, vd[0] as ModelInput, ys, 0, sampleCount(vd[0] as ModelInput), 32);
}

/** Loss and metrics over a dataset's batches (the first `steps` when given), in inference mode. */
async function evaluateStream(model: Model, c: Compiled, ds: Dataset<unknown>, epoch: number, steps: number | null, what: string): Promise<LossAndMetrics> {
  const sums: StepResult = zeroStep(c);
  let seen = 0;
  const it = ds._open(epoch);
  try {
    for (let b = 0; steps === null || b < steps; b++) {
      const r = await it.next();
      if (r.done) break;
      try {
        const { x, y } = splitElement(`${model.name}.${what}`, r.value, b, false);
        const ys = checkBatch(what, model, c, x, y);
        const count = sampleCount(x as ModelInput);
        const step = tidy(() => noGrad(() => lossOf(model, c, model.forward(x as Tensor, { training: false }), ys).result));
        addStep(sums, step, count);
        seen += count;
      } finally {
        release(r.value);
      }
    }
  } finally {
    await it.return?.();
  }
  if (seen === 0) throw new ValueError(`${model.name}.${what}: the dataset yielded no samples`);
  return metricLogs(c, sums, seen);
}

/** model.evaluate(dataset, { steps }): mean loss and metrics over the dataset, streamed. */
export async function evaluateDataset(model: Model, compiled: Compiled | null, source: DatasetInput, options: { steps?: number } = {}): Promise<LossAndMetrics> {
  const c = requireCompiled(compiled, model.name, 'evaluate');
  const steps = options?.steps === undefined ? null : intOption('evaluate', options.steps, 'steps', 1, 1);
  const ds = toDataset(source as Dataset<unknown>);
  return evaluateStream(model, c, ds, 0, steps, 'evaluate');
}

/**
 * model.predict(dataset, { steps }): the outputs for every batch (elements `x`, `[x]`, `[x, y]` or
 * `{ x }`), concatenated: one tensor per model output. Only the outputs accumulate (in host memory
 * until the end); each input batch is freed after its forward pass.
 */
export async function predictDataset(model: Model, source: DatasetInput, options: { steps?: number } = {}): Promise<Tensor[]> {
  const steps = options?.steps === undefined ? null : intOption('predict', options.steps, 'steps', 1, 1);
  const ds = toDataset(source as Dataset<unknown>);
  const chunks: Float32Array[][] = [];
  let n = 0;
  const it = ds._open(0);
  try {
    for (let b = 0; steps === null || b < steps; b++) {
      const r = await it.next();
      if (r.done) break;
      try {
        const { x } = splitElement(`${model.name}.predict`, r.value, b, true);
        checkXs(`${model.name}.predict`, model, x, null, true);
        checkInput(model, x as ModelInput, 'predict');
        const outs = tidy(() => noGrad(() => {
          const y = model.forward(x as Tensor, { training: false });
          return (Array.isArray(y) ? y : [y]).map((t) => t.dataSync() as Float32Array);
        }));
        outs.forEach((o, i) => (chunks[i] ??= []).push(o));
        n += sampleCount(x as ModelInput);
      } finally {
        release(r.value);
      }
    }
  } finally {
    await it.return?.();
  }
  if (n === 0) throw new ValueError(`${model.name}.predict: the dataset yielded no batches`);
  return model.outputShapes.map((shape, i) => {
    const out = Tensor.empty([n, ...shape]);
    const view = out.view();
    let offset = 0;
    for (const chunk of chunks[i]) { view.set(chunk, offset); offset += chunk.length; }
    if (offset !== out.size) {
      out.dispose();
      throw new ShapeError(`${model.name}.predict: output ${i} gave ${offset} values for ${n} samples, expected ${fmtShape([n, ...shape])}`);
    }
    return out;
  });
}
