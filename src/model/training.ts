// The training loop and batched inference over any model: fit (async, seeded shuffling,
// validation, callbacks, progress), trainOnBatch, evaluate and predict. Every training step runs
// inside tidy: after it, only parameters, optimizer state and moving statistics remain.
import { Tensor, tidy, noGrad, sameShape } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { takeRows, permutation, checkBatchSize } from '../data/batches.js';
import { randomStream, withRandomStream } from '../random.js';
import { ProgressReporter, nowMs, type Verbosity } from '../progress.js';
import { requireCompiled, bindOptimizer, type Compiled } from './compile.js';
import { collectCallbacks, callAll, type Callbacks, type History, type Logs } from './callbacks.js';
import { countCorrect } from './metrics.js';
import { checkInput, checkLabels, checkXs, sampleCount, takeInputRows, requireSingleOutput, type ModelInput } from './inputs.js';
import type { Model } from './model.js';

export type { ModelInput } from './inputs.js';

export interface FitOptions extends Callbacks {
  /** Train until this epoch index (exclusive). Default 1. */
  epochs?: number;
  /** Epoch to start at (as Keras: for resuming; epochs counts from 0, not from here). Default 0. */
  initialEpoch?: number;
  batchSize?: number;
  /** Evaluated after each epoch. */
  validationData?: [ModelInput, Tensor];
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
}

/** Loss (and accuracy) of a trainOnBatch step or an evaluation. */
export interface LossAndMetrics { loss: number; accuracy?: number }

const YIELD_EVERY_MS = 10;
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Trains `model` for `epochs` over (x, y); yields to the event loop between batches. */
export async function fit(model: Model, compiled: Compiled | null, x: ModelInput, y: Tensor, options: FitOptions = {}): Promise<History> {
  const c = requireCompiled(compiled, model.name, 'fit');
  checkXs('fit', model, x, y, false);
  requireSingleOutput(model, 'fit');
  const o = options ?? {};
  const epochs = intOption('fit', o.epochs, 'epochs', 1, 0);
  const initialEpoch = intOption('fit', o.initialEpoch, 'initialEpoch', 0, 0);
  const batchSize = checkBatchSize('fit', o.batchSize ?? 32);
  const shuffle = o.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new ValueError(`fit: option 'shuffle' must be a boolean, got ${fmtValue(shuffle)}`);
  const verbose = o.verbose ?? 1;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new ValueError(`fit: option 'verbose' must be 0, 1 or 2, got ${fmtValue(verbose)}`);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isFinite(o.seed))) {
    throw new ValueError(`fit: option 'seed' must be a finite number, got ${fmtValue(o.seed)}`);
  }
  const stream = o.seed === undefined ? null : randomStream(o.seed);
  const rng = <T>(fn: () => T): T => (stream ? withRandomStream(stream, fn) : fn());
  const stopOnNaN = o.stopOnNaN ?? true;
  if (typeof stopOnNaN !== 'boolean') throw new ValueError(`fit: option 'stopOnNaN' must be a boolean, got ${fmtValue(stopOnNaN)}`);
  if (o.augment !== undefined && typeof o.augment !== 'function') throw new ValueError(`fit: option 'augment' must be a function (xBatch) => Tensor, got ${describe(o.augment)}`);
  if (o.augment !== undefined && Array.isArray(x)) throw new ValueError('fit: option \'augment\' takes one input batch; it is not supported for several inputs');
  const split = o.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new ValueError(`fit: option 'validationSplit' must be a number in [0, 1), got ${fmtValue(split)}`);
  if (split > 0 && o.validationData) throw new ValueError('fit: give validationData or validationSplit, not both');
  const n = sampleCount(x);
  const nTrain = split > 0 ? Math.floor(n * (1 - split)) : n;
  if (nTrain === 0) throw new ValueError(`fit: no training samples (x has ${n} samples${split > 0 ? `, validationSplit ${split} leaves none` : ''})`);
  let val: { x: ModelInput; y: Tensor; start: number; end: number } | null = null;
  if (o.validationData) {
    const vd = o.validationData;
    if (!Array.isArray(vd) || vd.length < 2) throw new ValueError(`fit: option 'validationData' must be [xVal, yVal], got ${describe(vd)}`);
    checkXs('fit (validationData)', model, vd[0], vd[1], false);
    val = { x: vd[0], y: vd[1], start: 0, end: sampleCount(vd[0]) };
  } else if (split > 0) {
    if (nTrain === n) throw new ValueError(`fit: validationSplit ${split} of ${n} samples leaves no validation samples`);
    val = { x, y, start: nTrain, end: n };
  }
  checkInput(model, x, 'fit');
  checkLabels(model, y, 'fit');
  if (val) { checkInput(model, val.x, 'fit (validationData)'); checkLabels(model, val.y, 'fit (validationData)'); }
  const hooks = collectCallbacks(o);

  const history: History = { loss: [] };
  if (c.accuracy) history.accuracy = [];
  if (val) { history.valLoss = []; if (c.accuracy) history.valAccuracy = []; }
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
    let seen = 0, lossSum = 0, correct = 0;
    for (let b = 0, start = 0; start < nTrain; b++, start += batchSize) {
      const count = Math.min(batchSize, nTrain - start);
      await callAll(hooks, 'onBatchBegin', b);
      const [loss, right] = rng(() => trainStep(model, c, params, x, y, order, start, count, o.augment, false, stopOnNaN));
      if (!Number.isFinite(loss) && stopOnNaN) {
        const err = new ValueError(`${model.name}.fit: the loss became ${loss} at epoch ${epoch + 1}/${epochs}, batch ${b + 1} ` +
          `(samples ${start}-${start + count - 1}); training stopped before applying that batch's update. Lower the learning rate, ` +
          'check the data for NaN/Infinity, or pass stopOnNaN: false to train on');
        (err as ValueError & { history?: History }).history = history;
        throw err;
      }
      seen += count; lossSum += loss * count; correct += right;
      const running: Logs = { loss: lossSum / seen };
      if (c.accuracy) running.accuracy = correct / seen;
      reporter.batchEnd(seen, running);
      const batchLogs: Logs & { size: number } = { loss, size: count };
      if (c.accuracy) batchLogs.accuracy = right / count;
      await callAll(hooks, 'onBatchEnd', b, batchLogs);
      if (nowMs() - lastYield >= YIELD_EVERY_MS) { await yieldToEventLoop(); lastYield = nowMs(); }
      if (model.stopTraining) break;
    }
    const logs: Logs = { loss: lossSum / seen };
    history.loss.push(logs.loss);
    if (c.accuracy) { logs.accuracy = correct / seen; history.accuracy!.push(logs.accuracy); }
    if (val) {
      const r = evalRange(model, c, val.x, val.y, val.start, val.end, batchSize);
      logs.valLoss = r.loss;
      history.valLoss!.push(r.loss);
      if (c.accuracy) { logs.valAccuracy = r.accuracy!; history.valAccuracy!.push(r.accuracy!); }
    }
    reporter.epochEnd(logs);
    await callAll(hooks, 'onEpochEnd', epoch, logs);
    await yieldToEventLoop();
    lastYield = nowMs();
  }
  await callAll(hooks, 'onTrainEnd', history);
  return history;
}

/** One optimisation step on (x, y); returns the batch's loss (and accuracy). */
export function trainOnBatch(model: Model, compiled: Compiled | null, x: ModelInput, y: Tensor): LossAndMetrics {
  const c = requireCompiled(compiled, model.name, 'trainOnBatch');
  checkXs('trainOnBatch', model, x, y, false);
  requireSingleOutput(model, 'trainOnBatch');
  checkInput(model, x, 'trainOnBatch');
  checkLabels(model, y, 'trainOnBatch');
  const n = sampleCount(x);
  if (n === 0) throw new ValueError('trainOnBatch: the batch is empty');
  bindOptimizer(model, c.optimizer);
  const [loss, right] = trainStep(model, c, model.parameters(), x, y, null, 0, n, undefined, true);
  return c.accuracy ? { loss, accuracy: right / n } : { loss };
}

/** Mean loss (and accuracy) over (x, y), in inference mode. */
export function evaluate(model: Model, compiled: Compiled | null, x: ModelInput, y: Tensor, options: { batchSize?: number } = {}): LossAndMetrics {
  const c = requireCompiled(compiled, model.name, 'evaluate');
  checkXs('evaluate', model, x, y, false);
  requireSingleOutput(model, 'evaluate');
  const batchSize = checkBatchSize('evaluate', options?.batchSize ?? 32);
  checkInput(model, x, 'evaluate');
  checkLabels(model, y, 'evaluate');
  if (sampleCount(x) === 0) throw new ValueError('evaluate: x has no samples');
  return evalRange(model, c, x, y, 0, sampleCount(x), batchSize);
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
function trainStep(model: Model, c: Compiled, params: Tensor[], x: ModelInput, y: Tensor, order: Int32Array | null, start: number,
                   count: number, augment?: (x: Tensor) => Tensor, whole = false, skipNonFinite = false): [number, number] {
  return tidy(() => {
    const trained = new Set(params);
    const state = model.weights().filter((w) => !trained.has(w));
    const snapshot = state.map((w) => w.detach()); // freed by this tidy
    const restore = () => state.forEach((w, i) => w.assign(snapshot[i]));
    try {
      return trainStepBody(model, c, params, x, y, order, start, count, augment, whole, skipNonFinite, restore);
    } catch (e) {
      restore();
      model.zeroGrad();
      throw e;
    }
  });
}

function trainStepBody(model: Model, c: Compiled, params: Tensor[], x: ModelInput, y: Tensor, order: Int32Array | null, start: number,
                       count: number, augment: ((x: Tensor) => Tensor) | undefined, whole: boolean, skipNonFinite: boolean,
                       restore: () => void): [number, number] {
  let xb = whole ? x : takeInputRows(x, order, start, count);
  const yb = whole ? y : takeRows(y, order, start, count);
  if (augment && !Array.isArray(xb)) {
    const a = augment(xb);
    if (!(a instanceof Tensor) || !sameShape(a.shape, xb.shape)) {
      throw new ShapeError(`fit: augment must return a Tensor of the batch's shape ${fmtShape(xb.shape)}, got ${a instanceof Tensor ? fmtShape(a.shape) : describe(a)}`);
    }
    xb = a;
  }
  model.zeroGrad();
  const pred = model.forward(xb as Tensor, { training: true }) as Tensor;
  const loss = c.loss(pred, yb);
  if (!(loss instanceof Tensor) || loss.size !== 1) {
    throw new ValueError(`${model.name}: the loss must return a scalar Tensor, got ${loss instanceof Tensor ? fmtShape(loss.shape) : describe(loss)}`);
  }
  const lossValue = loss.dataSync()[0];
  const right = c.accuracy ? countCorrect(pred, yb, c.threshold) : 0;
  if (skipNonFinite && !Number.isFinite(lossValue)) {
    restore();
    return [lossValue, right] as [number, number];
  }
  if (loss.requiresGrad) {
    loss.backward();
    c.optimizer.step(params);
  }
  model.zeroGrad();
  return [lossValue, right] as [number, number];
}

/** Mean loss (and accuracy) over samples [from, to) of (x, y), in batches, in inference mode. */
function evalRange(model: Model, c: Compiled, x: ModelInput, y: Tensor, from: number, to: number, batchSize: number): LossAndMetrics {
  let lossSum = 0, right = 0;
  const n = to - from;
  for (let start = from; start < to; start += batchSize) {
    const count = Math.min(batchSize, to - start);
    const [l, r] = tidy(() => noGrad(() => {
      const whole = start === 0 && count === sampleCount(x);
      const xb = whole ? x : takeInputRows(x, null, start, count);
      const yb = whole ? y : takeRows(y, null, start, count);
      const pred = model.forward(xb as Tensor, { training: false }) as Tensor;
      const loss = c.loss(pred, yb);
      return [loss.dataSync()[0], c.accuracy ? countCorrect(pred, yb, c.threshold) : 0];
    }));
    lossSum += l * count;
    right += r;
  }
  return c.accuracy ? { loss: lossSum / n, accuracy: right / n } : { loss: lossSum / n };
}

function intOption(where: string, v: unknown, key: string, dflt: number, min: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new ValueError(`${where}: option '${key}' must be an integer >= ${min}, got ${fmtValue(v)}`);
  return x;
}
