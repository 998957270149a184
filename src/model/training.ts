// The training loop and batched inference over any model: fit (async, seeded shuffling,
// validation, callbacks, progress), trainOnBatch, evaluate and predict. Every training step runs
// inside tidy: after it, only parameters, optimizer state and moving statistics remain.
import { Tensor, tidy, noGrad, sameShape } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { takeRows, permutation, checkBatchSize } from '../data/batches.js';
import { withRandomStream } from '../random.js';
import { fitStream, recordEpoch } from './checkpoint.js';
import { ProgressReporter, nowMs, type Verbosity } from '../progress.js';
import { requireCompiled, bindOptimizer, type Compiled } from './compile.js';
import { collectCallbacks, callAll, type Callbacks, type History, type Logs } from './callbacks.js';
import { countBatch, zeroCounts, addCounts, metricValues, type MetricCounts } from './metric-specs.js';
import { resolveSampleWeights, batchWeights, weightedLoss } from './sample-weights.js';
import { checkInput, checkLabels, checkXs, sampleCount, takeInputRows, type ModelInput } from './inputs.js';
import type { Model } from './model.js';

export type { ModelInput } from './inputs.js';

/** What a model takes as y: a batch of targets, or one batch per output of a model with several (in outputs order). */
export type ModelTarget = Tensor | Tensor[];

export interface FitOptions extends Callbacks {
  /** Train until this epoch index (exclusive). Default 1. */
  epochs?: number;
  /** Epoch to start at (as Keras: for resuming; epochs counts from 0, not from here). Default 0. */
  initialEpoch?: number;
  batchSize?: number;
  /** Evaluated after each epoch. */
  validationData?: [ModelInput, ModelTarget];
  /** Fraction of the samples, taken from the end before shuffling (as Keras), used for validation. */
  validationSplit?: number;
  /** Reshuffle the training samples every epoch (seeded generator). Default true. */
  shuffle?: boolean;
  /** 0 silent, 1 progress bar in a terminal (a line per epoch otherwise), 2 a line per epoch. Default 1. */
  verbose?: Verbosity;
  /** More callbacks (objects with the same hooks). */
  callbacks?: Callbacks | Callbacks[];
  /** Receives the progress lines instead of stdout (e.g. in a browser). */
  log?: (line: string) => void;
  /** Applied to each training batch before the forward pass (e.g. `x => data.augment(x, {...})`). */
  augment?: (xBatch: Tensor) => Tensor;
  /**
   * Stop when a batch's loss is NaN or infinite (Keras' TerminateOnNaN), before that batch's
   * update is applied: fit rejects with a ValueError naming the epoch and batch (its `history`
   * property holds the completed epochs). Default true; false trains on regardless.
   */
  stopOnNaN?: boolean;
  /**
   * Seeds this fit's own random stream (shuffling, dropout, augmentation) instead of drawing from
   * the global generator: the result then does not depend on anything else drawing random numbers
   * meanwhile, such as another model training concurrently (fit yields between batches).
   */
  seed?: number;
  /** A loss weight per class label, `{ [label]: weight }` (labels not listed weigh 1), as Keras' class_weight; one-output models. */
  classWeight?: Record<number, number>;
  /** A loss weight per sample of x, a tensor [N], as Keras' sample_weight (applied to every output's loss). */
  sampleWeight?: Tensor;
}

/**
 * Loss (and accuracy) of a trainOnBatch step or an evaluation. With several outputs `loss` is the
 * weighted total, and each output adds `<output layer name>_loss` (and `_accuracy`).
 */
export interface LossAndMetrics { loss: number; accuracy?: number; [key: string]: number | undefined }

/** A training or evaluation batch's results: the total loss, each output's loss and metric counts. */
export interface StepResult { loss: number; losses: number[]; counts: MetricCounts[] }

export const YIELD_EVERY_MS = 10;
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Models inside a fit() that has not finished: a second concurrent fit would interleave updates on the same weights. */
const fitting = new WeakSet<Model>();

/** Runs one fit of `model`, refusing a second one while it runs. */
export async function exclusiveFit<T>(model: Model, body: () => Promise<T>): Promise<T> {
  if (fitting.has(model)) {
    throw new ValueError(`${model.name}.fit: the model is already training in another fit() that has not finished; await it before calling fit again (two fits would interleave their updates on the same weights)`);
  }
  fitting.add(model);
  try {
    return await body();
  } finally {
    fitting.delete(model);
  }
}

/** Trains `model` for `epochs` over (x, y); yields to the event loop between batches. */
export async function fit(model: Model, compiled: Compiled | null, x: ModelInput, y: ModelTarget, options: FitOptions = {}): Promise<History> {
  return exclusiveFit(model, () => fitOnce(model, compiled, x, y, options));
}

async function fitOnce(model: Model, compiled: Compiled | null, x: ModelInput, y: ModelTarget, options: FitOptions): Promise<History> {
  const c = requireCompiled(compiled, model.name, 'fit');
  const ys = checkTargets('fit', model, c, x, y);
  const o = options ?? {};
  const { epochs, initialEpoch, verbose, stream, rng, stopOnNaN } = fitSettings(model, o);
  const batchSize = checkBatchSize('fit', o.batchSize ?? 32);
  const shuffle = o.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new ValueError(`fit: option 'shuffle' must be a boolean, got ${fmtValue(shuffle)}`);
  if (o.augment !== undefined && Array.isArray(x)) throw new ValueError('fit: option \'augment\' takes one input batch; it is not supported for several inputs');
  const split = o.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new ValueError(`fit: option 'validationSplit' must be a number in [0, 1), got ${fmtValue(split)}`);
  if (split > 0 && o.validationData) throw new ValueError('fit: give validationData or validationSplit, not both');
  const n = sampleCount(x);
  const nTrain = split > 0 ? Math.floor(n * (1 - split)) : n;
  if (nTrain === 0) throw new ValueError(`fit: no training samples (x has ${n} samples${split > 0 ? `, validationSplit ${split} leaves none` : ''})`);
  let val: { x: ModelInput; ys: Tensor[]; start: number; end: number } | null = null;
  if (o.validationData) {
    const vd = o.validationData;
    if (!Array.isArray(vd) || vd.length < 2) throw new ValueError(`fit: option 'validationData' must be [xVal, yVal], got ${describe(vd)}`);
    val = { x: vd[0], ys: checkTargets('fit (validationData)', model, c, vd[0], vd[1]), start: 0, end: sampleCount(vd[0]) };
  } else if (split > 0) {
    if (nTrain === n) throw new ValueError(`fit: validationSplit ${split} of ${n} samples leaves no validation samples`);
    val = { x, ys, start: nTrain, end: n };
  }
  checkInput(model, x, 'fit');
  checkTargetLabels(model, ys, 'fit');
  if (val) { checkInput(model, val.x, 'fit (validationData)'); checkTargetLabels(model, val.ys, 'fit (validationData)'); }
  const weights = resolveSampleWeights(model, c, ys, n, o.classWeight, o.sampleWeight);
  const hooks = collectCallbacks(o, model);

  const history = emptyHistory(c, val !== null);
  const reporter = new ProgressReporter({ verbose, epochs, samples: nTrain, log: o.log });
  const params = model.parameters();
  bindOptimizer(model, c.optimizer);
  model.stopTraining = false;
  let lastYield = nowMs();
  await callAll(hooks, 'onTrainBegin');
  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    c.optimizer.setEpoch(epoch);
    await callAll(hooks, 'onEpochBegin', epoch);
    reporter.epochBegin(epoch);
    const order = shuffle ? rng(() => permutation(nTrain)) : null;
    let seen = 0;
    const sums = zeroStep(c);
    for (let b = 0, start = 0; start < nTrain; b++, start += batchSize) {
      const count = Math.min(batchSize, nTrain - start);
      await callAll(hooks, 'onBatchBegin', b);
      const step = rng(() => trainStep(model, c, params, x, ys, order, start, count, o.augment, false, stopOnNaN, weights));
      if (stopOnNaN) stopIfNonFinite(model, step.loss, history, `epoch ${epoch + 1}/${epochs}, batch ${b + 1} (samples ${start}-${start + count - 1})`);
      seen += count;
      addStep(sums, step, count);
      reporter.batchEnd(seen, metricLogs(c, sums, seen));
      await callAll(hooks, 'onBatchEnd', b, { ...metricLogs(c, step, count, 1), size: count });
      if (nowMs() - lastYield >= YIELD_EVERY_MS) { await yieldToEventLoop(); lastYield = nowMs(); }
      if (model.stopTraining) break;
    }
    const logs: Logs = metricLogs(c, sums, seen);
    if (val) Object.assign(logs, validationLogs(evalRange(model, c, val.x, val.ys, val.start, val.end, batchSize)));
    for (const [key, v] of Object.entries(logs)) history[key]!.push(v!);
    if (seen === nTrain) recordEpoch(model._progress, epoch + 1, o.seed, stream);
    reporter.epochEnd(logs);
    await callAll(hooks, 'onEpochEnd', epoch, logs);
    await yieldToEventLoop();
    lastYield = nowMs();
  }
  await callAll(hooks, 'onTrainEnd', history);
  return history;
}

/** The options every fit checks the same way, and its random stream (seeded by `seed`, else the global generator). */
export function fitSettings(model: Model, o: Pick<FitOptions, 'epochs' | 'initialEpoch' | 'verbose' | 'seed' | 'stopOnNaN' | 'augment'>) {
  const epochs = intOption('fit', o.epochs, 'epochs', 1, 0);
  const initialEpoch = intOption('fit', o.initialEpoch, 'initialEpoch', 0, 0);
  const verbose = o.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new ValueError(`fit: option 'verbose' must be 0, 1 or 2, got ${fmtValue(verbose)}`);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isFinite(o.seed))) {
    throw new ValueError(`fit: option 'seed' must be a finite number, got ${fmtValue(o.seed)}`);
  }
  const stream = o.seed === undefined ? null : fitStream(model._progress, o.seed, initialEpoch);
  const rng = <T>(fn: () => T): T => (stream ? withRandomStream(stream, fn) : fn());
  const stopOnNaN = o.stopOnNaN ?? true;
  if (typeof stopOnNaN !== 'boolean') throw new ValueError(`fit: option 'stopOnNaN' must be a boolean, got ${fmtValue(stopOnNaN)}`);
  if (o.augment !== undefined && typeof o.augment !== 'function') throw new ValueError(`fit: option 'augment' must be a function (xBatch) => Tensor, got ${describe(o.augment)}`);
  return { epochs, initialEpoch, verbose: verbose as Verbosity, stream, rng, stopOnNaN };
}

/** Keras' TerminateOnNaN: a ValueError (carrying the completed epochs' `history`) when a batch's loss is NaN or infinite. */
export function stopIfNonFinite(model: Model, loss: number, history: History, where: string): void {
  if (Number.isFinite(loss)) return;
  const err = new ValueError(`${model.name}.fit: the loss became ${loss} at ${where}; training stopped before applying that batch's update. ` +
    'Lower the learning rate, check the data for NaN/Infinity, or pass stopOnNaN: false to train on');
  (err as ValueError & { history?: History }).history = history;
  throw err;
}

/** A History with an empty array per key fit will log (validation keys when `withValidation`). */
export function emptyHistory(c: Compiled, withValidation: boolean): History {
  const history: History = { loss: [] };
  for (const key of Object.keys(metricLogs(c, zeroStep(c), 1))) history[key] = [];
  if (withValidation) for (const key of Object.keys(validationLogs(metricLogs(c, zeroStep(c), 1)))) history[key] = [];
  return history;
}

/** One optimisation step on (x, y); returns the batch's loss (and accuracy). */
export function trainOnBatch(model: Model, compiled: Compiled | null, x: ModelInput, y: ModelTarget): LossAndMetrics {
  const c = requireCompiled(compiled, model.name, 'trainOnBatch');
  const ys = checkTargets('trainOnBatch', model, c, x, y);
  checkInput(model, x, 'trainOnBatch');
  checkTargetLabels(model, ys, 'trainOnBatch');
  const n = sampleCount(x);
  if (n === 0) throw new ValueError('trainOnBatch: the batch is empty');
  bindOptimizer(model, c.optimizer);
  return metricLogs(c, trainStep(model, c, model.parameters(), x, ys, null, 0, n, undefined, true), n, 1);
}

/** Mean loss (and accuracy) over (x, y), in inference mode. */
export function evaluate(model: Model, compiled: Compiled | null, x: ModelInput, y: ModelTarget, options: { batchSize?: number } = {}): LossAndMetrics {
  const c = requireCompiled(compiled, model.name, 'evaluate');
  const ys = checkTargets('evaluate', model, c, x, y);
  const batchSize = checkBatchSize('evaluate', options?.batchSize ?? 32);
  checkInput(model, x, 'evaluate');
  checkTargetLabels(model, ys, 'evaluate');
  if (sampleCount(x) === 0) throw new ValueError('evaluate: x has no samples');
  return evalRange(model, c, x, ys, 0, sampleCount(x), batchSize);
}

/** Outputs for every sample of x, computed in batches (inference mode): one tensor per model output. */
export function predict(model: Model, x: ModelInput, options: { batchSize?: number } = {}): Tensor[] {
  checkXs('predict', model, x, null, true);
  const batchSize = checkBatchSize('predict', options?.batchSize ?? 32);
  checkInput(model, x, 'predict');
  const n = sampleCount(x);
  const outShapes = model.outputShapes;
  const rowSizes = outShapes.map((s) => s.reduce((a, b) => a * b, 1));
  const outs: Tensor[] = [];
  try {
    for (const s of outShapes) outs.push(Tensor.empty([n, ...s]));
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      tidy(() => noGrad(() => {
        const xb = start === 0 && count === n ? x : takeInputRows(x, null, start, count);
        const y = model.forward(xb as Tensor, { training: false });
        (Array.isArray(y) ? y : [y]).forEach((yb, i) => kernels().copy(yb.ptr, outs[i].ptr + start * rowSizes[i] * 4, count * rowSizes[i]));
      }));
    }
  } catch (e) {
    for (const o of outs) o.dispose();
    throw e;
  }
  return outs;
}

/**
 * One training step inside tidy: forward, loss, backward, optimizer update, grads cleared.
 * The forward pass updates state that is not a parameter (batch-norm moving statistics): it is
 * put back when the step fails or, with `skipNonFinite`, when the loss is NaN / infinite, so
 * an aborted step leaves the model exactly as it was.
 */
export function trainStep(model: Model, c: Compiled, params: Tensor[], x: ModelInput, ys: Tensor[], order: Int32Array | null, start: number,
                   count: number, augment?: (x: Tensor) => Tensor, whole = false, skipNonFinite = false, weights: Float32Array | null = null): StepResult {
  return tidy(() => {
    const trained = new Set(params);
    const state = model.weights().filter((w) => !trained.has(w));
    const snapshot = state.map((w) => w.detach()); // freed by this tidy
    const restore = () => state.forEach((w, i) => w.assign(snapshot[i]));
    try {
      return trainStepBody(model, c, params, x, ys, order, start, count, augment, whole, skipNonFinite, restore, weights);
    } catch (e) {
      restore();
      model.zeroGrad();
      throw e;
    }
  });
}

function trainStepBody(model: Model, c: Compiled, params: Tensor[], x: ModelInput, ys: Tensor[], order: Int32Array | null, start: number,
                       count: number, augment: ((x: Tensor) => Tensor) | undefined, whole: boolean, skipNonFinite: boolean,
                       restore: () => void, weights: Float32Array | null): StepResult {
  let xb = whole ? x : takeInputRows(x, order, start, count);
  const yb = whole ? ys : ys.map((y) => takeRows(y, order, start, count));
  if (augment && !Array.isArray(xb)) {
    const a = augment(xb);
    if (!(a instanceof Tensor) || !sameShape(a.shape, xb.shape)) {
      throw new ShapeError(`fit: augment must return a Tensor of the batch's shape ${fmtShape(xb.shape)}, got ${a instanceof Tensor ? fmtShape(a.shape) : describe(a)}`);
    }
    xb = a;
  }
  model.zeroGrad();
  const wb = weights ? batchWeights(weights, order, start, count) : null;
  const { total, result } = lossOf(model, c, model.forward(xb as Tensor, { training: true }), yb, wb);
  if (skipNonFinite && !Number.isFinite(result.loss)) {
    restore();
    return result;
  }
  if (total.requiresGrad) {
    total.backward();
    c.optimizer.step(params);
  }
  model.zeroGrad();
  return result;
}

/**
 * The loss of a batch's predictions (one per output) against its targets: each output's loss,
 * weighted (and each sample weighted by `weights`), summed with the layers' regulariser penalties (as
 * Keras reports it) into the total that is differentiated; with its values and metric counts.
 */
export function lossOf(model: Model, c: Compiled, out: Tensor | Tensor[], ys: Tensor[], weights: Float32Array | null = null): { total: Tensor; result: StepResult } {
  const preds = Array.isArray(out) ? out : [out];
  const several = preds.length > 1;
  let total: Tensor | null = null;
  const losses: number[] = [];
  preds.forEach((pred, i) => {
    const loss = weights ? weightedLoss(c.losses[i], pred, ys[i], weights) : c.losses[i](pred, ys[i]);
    if (!(loss instanceof Tensor) || loss.size !== 1) {
      throw new ValueError(`${model.name}: the loss${several ? ` of output '${c.outputNames[i]}'` : ''} must return a scalar Tensor, got ${loss instanceof Tensor ? fmtShape(loss.shape) : describe(loss)}`);
    }
    if (several) losses.push(loss.dataSync()[0]);
    const term = c.lossWeights[i] === 1 ? loss : loss.mul(c.lossWeights[i]);
    total = total === null ? term : total.add(term);
  });
  const penalty = model.regularizationLoss();
  const t = penalty ? (total as unknown as Tensor).add(penalty) : total as unknown as Tensor;
  const value = t.dataSync()[0];
  const counts = c.metrics.length > 0 ? preds.map((pred, i) => countBatch(c.metrics, pred, ys[i], c.thresholds[i])) : [];
  return { total: t, result: { loss: value, losses: several ? losses : [value], counts } };
}

/** Mean loss (and accuracy) over samples [from, to) of (x, y), in batches, in inference mode. */
export function evalRange(model: Model, c: Compiled, x: ModelInput, ys: Tensor[], from: number, to: number, batchSize: number): LossAndMetrics {
  const sums = zeroStep(c);
  for (let start = from; start < to; start += batchSize) {
    const count = Math.min(batchSize, to - start);
    const step = tidy(() => noGrad(() => {
      const whole = start === 0 && count === sampleCount(x);
      const xb = whole ? x : takeInputRows(x, null, start, count);
      const yb = whole ? ys : ys.map((y) => takeRows(y, null, start, count));
      return lossOf(model, c, model.forward(xb as Tensor, { training: false }), yb).result;
    }));
    addStep(sums, step, count);
  }
  return metricLogs(c, sums, to - from);
}

/** A StepResult of zeros, to accumulate batches into. */
export function zeroStep(c: Compiled): StepResult {
  return { loss: 0, losses: c.losses.map(() => 0), counts: c.losses.map(() => zeroCounts(c.metrics)) };
}

/** Adds a batch of `count` samples to the running sums (losses weighted by the batch's size). */
export function addStep(sums: StepResult, step: StepResult, count: number): void {
  sums.loss += step.loss * count;
  step.losses.forEach((l, i) => { sums.losses[i] += l * count; });
  step.counts.forEach((r, i) => addCounts(sums.counts[i], r));
}

/**
 * Logs of `n` samples from summed results (`lossScale` 1 when the losses are already means):
 * `loss` and the metrics (`accuracy`, `topK5`, `precision`, ...) for one output; for several, the
 * total `loss` and Keras' `<output>_loss` / `<output>_<metric>` per output.
 */
export function metricLogs(c: Compiled, sums: StepResult, n: number, lossScale = n): LossAndMetrics {
  const logs: LossAndMetrics = { loss: sums.loss / lossScale };
  if (c.outputNames.length === 1) {
    if (c.metrics.length > 0) Object.assign(logs, metricValues(c.metrics, sums.counts[0], n));
    return logs;
  }
  c.outputNames.forEach((name, i) => { logs[`${name}_loss`] = sums.losses[i] / lossScale; });
  if (c.metrics.length > 0) {
    c.outputNames.forEach((name, i) => {
      for (const [key, v] of Object.entries(metricValues(c.metrics, sums.counts[i], n))) logs[`${name}_${key}`] = v;
    });
  }
  return logs;
}

/**
 * Evaluation logs as fit reports validation: `valLoss`, `valAccuracy`, `valTopK5`, ... for the
 * single-output keys (which hold no '_'), and `val_<output>_...` per output.
 */
export function validationLogs(r: LossAndMetrics): Record<string, number | undefined> {
  const logs: Record<string, number | undefined> = {};
  for (const [key, v] of Object.entries(r)) {
    logs[key.includes('_') ? `val_${key}` : `val${key[0].toUpperCase()}${key.slice(1)}`] = v;
  }
  return logs;
}

/**
 * y as one batch per output, checked with x: a Tensor for a single output (as checkXY checks it),
 * an array of one tensor per output for several. Errors name the model and the output.
 */
export function checkTargets(what: string, model: Model, c: Compiled, x: unknown, y: unknown): Tensor[] {
  const names = c.outputNames;
  if (names.length === 1) {
    checkXs(what, model, x, y, false);
    return [y as Tensor];
  }
  checkXs(what, model, x, null, true);
  const where = `${model.name}.${what}`;
  if (!Array.isArray(y) || y.length !== names.length) {
    throw new ValueError(`${where}: the model has ${names.length} outputs (${names.map((n) => `'${n}'`).join(', ')}), so y must be an array of ${names.length} tensors in outputs order, got ${Array.isArray(y) ? `an array of ${y.length}` : describe(y)}`);
  }
  const n = sampleCount(x as ModelInput);
  y.forEach((t, i) => {
    const which = `y[${i}] (output '${names[i]}')`;
    if (!(t instanceof Tensor)) throw new ValueError(`${where}: ${which} must be a Tensor, got ${describe(t)}`);
    t._checkLive(where, `y[${i}]`);
    if (t.rank < 1) throw new ShapeError(`${where}: ${which} must have a batch axis, got a scalar`);
    if (t.shape[0] !== n) throw new ShapeError(`${where}: ${which} holds ${t.shape[0]} samples but x holds ${n} (y[${i}] ${fmtShape(t.shape)})`);
  });
  return y;
}

/** Labels in range for every multi-class output. */
export function checkTargetLabels(model: Model, ys: Tensor[], what: string): void {
  const shapes = model.outputShapes;
  ys.forEach((y, i) => checkLabels(model, y, what, shapes[i]));
}

export function intOption(where: string, v: unknown, key: string, dflt: number, min: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new ValueError(`${where}: option '${key}' must be an integer >= ${min}, got ${fmtValue(v)}`);
  return x;
}
