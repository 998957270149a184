// Sequential: a stack of layers with Keras' workflow: summary, compile, fit (async, seeded
// shuffling, validation, callbacks, progress), evaluate / predict (batched), trainOnBatch, and
// save / load in the format of docs/FORMAT.md. Every training step runs inside tidy: after it,
// only parameters, optimizer state and moving statistics remain.
import { Tensor, tidy, noGrad } from './tensor.js';
import { kernels, heapF32, heapI32, isResponse } from './backend/wasm.js';
import { ShapeError, ValueError, FormatError, fmtShape, fmtValue } from './errors.js';
import { describe } from './ops/util.js';
import { Layer, fmtBatchShape, type ApplyOptions } from './nn/layer.js';
import { layerFromJSON } from './nn/index.js';
import { withoutInitDraws, withWeightBudget } from './nn/initializers.js';
import { getLoss, type LossConfig, type LossFn, type ResolvedLoss } from './losses.js';
import * as optim from './optim/index.js';
import { takeRows, permutation, checkXY, checkBatchSize } from './data/batches.js';
import { randomStream, withRandomStream } from './random.js';
import { ProgressReporter, type Verbosity } from './progress.js';
import {
  FORMAT_NAME, FORMAT_VERSION, encodeWeights, decodeWeights, parseModelJSON, checkManifest, pack, unpack,
  writeDirectory, readPath, readUrl, postUrl, isNode, isRemote, asBytes,
  type ModelJSON, type ModelArtifacts, type WeightSpec,
} from './io/format.js';

/** An optimizer as `compile` takes it: an `optim.*` object, its name, or `{ name, ...options }`. */
export type OptimizerSpec = optim.Optimizer | string | { name: string; [option: string]: unknown };

export interface CompileOptions {
  optimizer: OptimizerSpec;
  /** A loss name, `{ name, fromLogits?, ... }`, or `(yPred, yTrue) => scalar Tensor`. */
  loss: string | LossConfig | LossFn;
  /** Only 'accuracy' (alias 'acc'). */
  metrics?: string[];
}

/** Per-batch / per-epoch values passed to callbacks. */
export interface Logs {
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  [key: string]: number | undefined;
}

export interface Callbacks {
  onTrainBegin?: () => void | Promise<void>;
  onTrainEnd?: (history: History) => void | Promise<void>;
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  /** `logs`: the epoch's mean loss (and accuracy, validation values). */
  onEpochEnd?: (epoch: number, logs: Logs) => void | Promise<void>;
  onBatchBegin?: (batch: number) => void | Promise<void>;
  /** `logs`: this batch's loss (and accuracy) and its `size`. */
  onBatchEnd?: (batch: number, logs: Logs & { size: number }) => void | Promise<void>;
}

export interface FitOptions extends Callbacks {
  /** Train until this epoch index (exclusive). Default 1. */
  epochs?: number;
  /** Epoch to start at (as Keras: for resuming; epochs counts from 0, not from here). Default 0. */
  initialEpoch?: number;
  batchSize?: number;
  /** Evaluated after each epoch. */
  validationData?: [Tensor, Tensor];
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

/** One value per epoch; metric keys exist only when asked for. */
export interface History {
  loss: number[];
  accuracy?: number[];
  valLoss?: number[];
  valAccuracy?: number[];
}

export interface SequentialOptions {
  /** One sample's shape (no batch axis): builds every layer now. */
  inputShape?: readonly number[];
  name?: string;
}

interface Compiled {
  optimizer: optim.Optimizer;
  loss: ResolvedLoss;
  lossSpec: unknown;
  accuracy: boolean;
  /** Threshold for single-unit outputs: 0 with fromLogits, else 0.5. */
  threshold: number;
}

const YIELD_EVERY_MS = 10;

function nowMs(): number {
  const perf = (globalThis as any).performance;
  return perf && typeof perf.now === 'function' ? perf.now() : Date.now();
}
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export class Sequential {
  readonly layers: Layer[] = [];
  name: string;
  /** One sample's input shape once known. */
  inputShape: number[] | null = null;
  /** Set to true (e.g. in a callback) to end fit after the current batch. */
  stopTraining = false;
  private compiled: Compiled | null = null;

  constructor(layers: Layer[] = [], options: SequentialOptions = {}) {
    if (!Array.isArray(layers)) throw new ValueError(`Sequential: layers must be an array of layers, got ${describe(layers)}`);
    if (options === null || typeof options !== 'object') throw new ValueError(`Sequential: options must be an object, got ${describe(options)}`);
    const name = options.name ?? 'sequential';
    if (typeof name !== 'string' || name === '') throw new ValueError(`Sequential: option 'name' must be a non-empty string, got ${fmtValue(name)}`);
    this.name = name;
    if (options.inputShape !== undefined) this.inputShape = checkInputShape(options.inputShape, 'Sequential');
    for (const l of layers) this.add(l);
    if (this.inputShape) this.build(this.inputShape);
  }

  /** Appends a layer (names it uniquely if unnamed); builds it when the model's shape is known. */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new ValueError(`${this.name}.add: expected a layer (nn.*), got ${describe(layer)}`);
    if (this.layers.includes(layer)) throw new ValueError(`${this.name}.add: layer '${layer.name}' is already in the model`);
    const givenName = layer.name;
    if (!layer.name) {
      let n = 0;
      const taken = new Set(this.layers.map((l) => l.name));
      while (taken.has(n === 0 ? layer.baseName : `${layer.baseName}_${n}`)) n++;
      layer.name = n === 0 ? layer.baseName : `${layer.baseName}_${n}`;
    } else if (this.layers.some((l) => l.name === layer.name)) {
      throw new ValueError(`${this.name}.add: a layer named '${layer.name}' is already in the model; layer names must be unique`);
    }
    const prevInputShape = this.inputShape;
    if (this.layers.length === 0 && !this.inputShape && layer.declaredInputShape) this.inputShape = layer.declaredInputShape.slice();
    this.layers.push(layer);
    try {
      if (this.inputShape && this.layers.length > 1 && this.layers[this.layers.length - 2].built) {
        layer.build(this.layers[this.layers.length - 2].outputShape!);
      } else if (this.inputShape && this.layers.length === 1) {
        layer.build(this.inputShape);
      }
    } catch (e) {
      // A layer that does not fit is not added: the model stays as it was.
      this.layers.pop();
      layer.name = givenName;
      this.inputShape = prevInputShape;
      throw e;
    }
    return this;
  }

  /** Builds every layer for one sample's input shape (no batch axis). */
  build(inputShape: readonly number[]): void {
    const shape = checkInputShape(inputShape, this.name);
    if (this.inputShape && !sameDims(this.inputShape, shape)) {
      throw new ShapeError(`${this.name}: built for input ${fmtBatchShape(this.inputShape)}, cannot build for ${fmtBatchShape(shape)}`);
    }
    this.inputShape = shape;
    let s: number[] = shape;
    for (const l of this.layers) s = l.build(s);
  }

  get built(): boolean { return this.inputShape !== null && this.layers.every((l) => l.built); }

  /** One sample's output shape (null until built). */
  get outputShape(): number[] | null {
    if (!this.built) return null;
    return this.layers.length ? this.layers[this.layers.length - 1].outputShape!.slice() : this.inputShape!.slice();
  }

  /** Runs the layers on a batch; builds the model from x's shape on first use. */
  forward(x: Tensor, options: ApplyOptions = {}): Tensor {
    if (!(x instanceof Tensor)) throw new ValueError(`${this.name}.forward: x must be a Tensor, got ${describe(x)}`);
    this.checkInput(x, 'forward');
    let y = x;
    for (const l of this.layers) y = l.apply(y, options);
    return y;
  }

  /** Alias of forward (inference by default), as a Keras model is callable. */
  apply(x: Tensor, options: ApplyOptions = {}): Tensor { return this.forward(x, options); }

  /** Trainable parameters of every layer, in order. */
  parameters(): Tensor[] { return this.layers.flatMap((l) => l.parameters()); }

  /** Every weight (trainable and not), in saving order. */
  weights(): Tensor[] { return this.layers.flatMap((l) => l.weights()); }

  /** Resets every parameter's gradient to null. */
  zeroGrad(): void { for (const l of this.layers) l.zeroGrad(); }

  countParams(): number {
    this.requireBuilt('countParams');
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  /** Keras-style summary table (returned, not printed). */
  summary(): string {
    this.requireBuilt('summary');
    const rows = this.layers.map((l) => [`${l.name} (${l.className})`, fmtBatchShape(l.outputShape!), String(l.countParams())]);
    const header = ['Layer (type)', 'Output Shape', 'Param #'];
    const w0 = Math.max(29, ...rows.map((r) => r[0].length + 1));
    const w1 = Math.max(26, ...rows.map((r) => r[1].length + 1));
    const w2 = Math.max(10, ...rows.map((r) => r[2].length + 1));
    const width = w0 + w1 + w2;
    const line = (r: string[]) => (r[0].padEnd(w0) + r[1].padEnd(w1) + r[2].padEnd(w2)).trimEnd();
    let trainable = 0, total = 0;
    for (const l of this.layers) {
      total += l.countParams();
      for (const p of l.parameters()) trainable += p.size;
    }
    const fmt = (n: number) => n.toLocaleString('en-US');
    const out = [`Model: "${this.name}"`, '_'.repeat(width), line(header), '='.repeat(width)];
    rows.forEach((r, i) => {
      out.push(line(r));
      out.push(i === rows.length - 1 ? '='.repeat(width) : '_'.repeat(width));
    });
    if (rows.length === 0) out.push('='.repeat(width));
    out.push(`Total params: ${fmt(total)}`, `Trainable params: ${fmt(trainable)}`, `Non-trainable params: ${fmt(total - trainable)}`, '_'.repeat(width));
    return out.join('\n');
  }

  /** Sets the optimizer, loss and metrics used by fit / evaluate / trainOnBatch. */
  compile(options: CompileOptions): void {
    if (!options || typeof options !== 'object') throw new ValueError(`${this.name}.compile: expects { optimizer, loss, metrics? }, got ${describe(options)}`);
    const { optimizer, loss, metrics = [] } = options;
    if (optimizer === undefined) throw new ValueError(`${this.name}.compile: option 'optimizer' is required`);
    if (loss === undefined) throw new ValueError(`${this.name}.compile: option 'loss' is required`);
    let opt: optim.Optimizer;
    let resolved: ResolvedLoss;
    try {
      opt = resolveOptimizer(optimizer, this.name);
      resolved = getLoss(loss as any);
    } catch (e) {
      // Name where it happened: "sequential.compile: getLoss: unknown loss 'foo' ...".
      if (e instanceof ValueError && !e.message.startsWith(`${this.name}.compile`)) throw new ValueError(`${this.name}.compile: ${e.message}`);
      throw e;
    }
    if (!Array.isArray(metrics)) throw new ValueError(`${this.name}.compile: option 'metrics' must be an array such as ['accuracy'], got ${describe(metrics)}`);
    let accuracy = false;
    for (const m of metrics) {
      if (m === 'accuracy' || m === 'acc') accuracy = true;
      else throw new ValueError(`${this.name}.compile: unknown metric ${fmtValue(m)} (supported: 'accuracy')`);
    }
    const cfg = resolved.config;
    this.bindOptimizer(opt);
    this.compiled = {
      optimizer: opt, loss: resolved, lossSpec: typeof loss === 'function' ? null : loss, accuracy,
      threshold: cfg?.fromLogits ? 0 : 0.5,
    };
  }

  /** Binds the model's parameters to an unbound optimizer (so `opt.step()` works without arguments). */
  private bindOptimizer(opt: optim.Optimizer): void {
    if (this.built && opt.params === null && typeof opt.bind === 'function') opt.bind(this.parameters());
  }

  /** The compiled optimizer (undefined before compile). */
  get optimizer(): optim.Optimizer | undefined { return this.compiled?.optimizer; }

  /** Trains for `epochs` over (x, y); yields to the event loop between batches. */
  async fit(x: Tensor, y: Tensor, options: FitOptions = {}): Promise<History> {
    const c = this.requireCompiled('fit');
    checkXY('fit', x, y, false);
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
    const split = o.validationSplit ?? 0;
    if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new ValueError(`fit: option 'validationSplit' must be a number in [0, 1), got ${fmtValue(split)}`);
    if (split > 0 && o.validationData) throw new ValueError('fit: give validationData or validationSplit, not both');
    const n = x.shape[0];
    const nTrain = split > 0 ? Math.floor(n * (1 - split)) : n;
    if (nTrain === 0) throw new ValueError(`fit: no training samples (x has ${n} samples${split > 0 ? `, validationSplit ${split} leaves none` : ''})`);
    let val: { x: Tensor; y: Tensor; start: number; end: number } | null = null;
    if (o.validationData) {
      const vd = o.validationData;
      if (!Array.isArray(vd) || vd.length < 2) throw new ValueError(`fit: option 'validationData' must be [xVal, yVal], got ${describe(vd)}`);
      checkXY('fit (validationData)', vd[0], vd[1], false);
      val = { x: vd[0], y: vd[1], start: 0, end: vd[0].shape[0] };
    } else if (split > 0) {
      if (nTrain === n) throw new ValueError(`fit: validationSplit ${split} of ${n} samples leaves no validation samples`);
      val = { x, y, start: nTrain, end: n };
    }
    this.checkInput(x, 'fit');
    this.checkLabels(y, 'fit');
    if (val) { this.checkInput(val.x, 'fit (validationData)'); this.checkLabels(val.y, 'fit (validationData)'); }
    const hooks = collectCallbacks(o);

    const history: History = { loss: [] };
    if (c.accuracy) history.accuracy = [];
    if (val) { history.valLoss = []; if (c.accuracy) history.valAccuracy = []; }
    const reporter = new ProgressReporter({ verbose, epochs, samples: nTrain, log: o.log });
    const params = this.parameters();
    this.bindOptimizer(c.optimizer);
    this.stopTraining = false;
    let lastYield = nowMs();
    await callAll(hooks, 'onTrainBegin');
    for (let epoch = initialEpoch; epoch < epochs && !this.stopTraining; epoch++) {
      c.optimizer.setEpoch(epoch);
      await callAll(hooks, 'onEpochBegin', epoch);
      reporter.epochBegin(epoch);
      const order = shuffle ? rng(() => permutation(nTrain)) : null;
      let seen = 0, lossSum = 0, correct = 0;
      for (let b = 0, start = 0; start < nTrain; b++, start += batchSize) {
        const count = Math.min(batchSize, nTrain - start);
        await callAll(hooks, 'onBatchBegin', b);
        const [loss, right] = rng(() => this.step(c, params, x, y, order, start, count, o.augment, false, stopOnNaN));
        if (!Number.isFinite(loss) && stopOnNaN) {
          const err = new ValueError(`${this.name}.fit: the loss became ${loss} at epoch ${epoch + 1}/${epochs}, batch ${b + 1} ` +
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
        if (this.stopTraining) break;
      }
      const logs: Logs = { loss: lossSum / seen };
      history.loss.push(logs.loss);
      if (c.accuracy) { logs.accuracy = correct / seen; history.accuracy!.push(logs.accuracy); }
      if (val) {
        const r = this.evalRange(c, val.x, val.y, val.start, val.end, batchSize);
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
  trainOnBatch(x: Tensor, y: Tensor): { loss: number; accuracy?: number } {
    const c = this.requireCompiled('trainOnBatch');
    checkXY('trainOnBatch', x, y, false);
    this.checkInput(x, 'trainOnBatch');
    this.checkLabels(y, 'trainOnBatch');
    const n = x.shape[0];
    if (n === 0) throw new ValueError('trainOnBatch: the batch is empty');
    this.bindOptimizer(c.optimizer);
    const [loss, right] = this.step(c, this.parameters(), x, y, null, 0, n, undefined, true);
    return c.accuracy ? { loss, accuracy: right / n } : { loss };
  }

  /** Mean loss (and accuracy) over (x, y), in inference mode. */
  evaluate(x: Tensor, y: Tensor, options: { batchSize?: number } = {}): { loss: number; accuracy?: number } {
    const c = this.requireCompiled('evaluate');
    checkXY('evaluate', x, y, false);
    const batchSize = checkBatchSize('evaluate', options?.batchSize ?? 32);
    this.checkInput(x, 'evaluate');
    this.checkLabels(y, 'evaluate');
    if (x.shape[0] === 0) throw new ValueError('evaluate: x has no samples');
    return this.evalRange(c, x, y, 0, x.shape[0], batchSize);
  }

  /** Outputs for every sample of x, computed in batches (inference mode). */
  predict(x: Tensor, options: { batchSize?: number } = {}): Tensor {
    checkXY('predict', x, null, true);
    const batchSize = checkBatchSize('predict', options?.batchSize ?? 32);
    this.checkInput(x, 'predict');
    const n = x.shape[0];
    const outShape = this.outputShape!;
    const rowSize = outShape.reduce((a, b) => a * b, 1);
    const out = Tensor.empty([n, ...outShape]);
    try {
      for (let start = 0; start < n; start += batchSize) {
        const count = Math.min(batchSize, n - start);
        tidy(() => noGrad(() => {
          const xb = start === 0 && count === n ? x : takeRows(x, null, start, count);
          const yb = this.forward(xb, { training: false });
          kernels().copy(yb.ptr, out.ptr + start * rowSize * 4, count * rowSize);
        }));
      }
    } catch (e) {
      out.dispose();
      throw e;
    }
    return out;
  }

  /** Frees every weight (and the optimizer state). */
  dispose(): void {
    for (const l of this.layers) { l.zeroGrad(); l.dispose(); }
    this.compiled?.optimizer.dispose();
  }

  // ---- saving -------------------------------------------------------------------------------

  /** Topology and weight manifest (model.json of docs/FORMAT.md). */
  toJSON(): ModelJSON {
    const tensors: WeightSpec[] = this.weightSpecs();
    const json: ModelJSON = {
      format: FORMAT_NAME,
      formatVersion: FORMAT_VERSION,
      generatedBy: 'wasm-cnn',
      model: {
        className: 'Sequential',
        name: this.name,
        inputShape: this.inputShape ? this.inputShape.slice() : null,
        layers: this.layers.map((l) => l.toJSON()),
      },
      weights: { file: 'weights.bin', floats: tensors.reduce((a, t) => a + t.shape.reduce((p, d) => p * d, 1), 0), tensors },
    };
    const training = this.trainingConfig();
    if (training) json.training = training;
    return json;
  }

  /** weights.bin bytes: the header and every weight as little-endian float32, in toJSON's order. */
  weightsBytes(): Uint8Array { return encodeWeights(this.weights()); }

  /**
   * Rebuilds a model from toJSON() output (object or string) and weights.bin bytes. Without
   * weights the layers are freshly initialised. FormatError for anything malformed or mismatched.
   */
  static fromJSON(json: ModelJSON | string, weights?: Uint8Array | ArrayBuffer | ArrayBufferView): Sequential {
    const j = parseModelJSON(json);
    let layers: Layer[];
    try {
      layers = j.model.layers.map((l) => layerFromJSON(l as any));
    } catch (e) {
      if (e instanceof ValueError || e instanceof ShapeError) throw new FormatError(`load: model.json has an invalid layer: ${e.message}`);
      throw e;
    }
    const bytes = weights === undefined ? null : asBytes(weights);
    if (weights !== undefined && !bytes) throw new ValueError(`fromJSON: weights must be the weights.bin bytes (Uint8Array or ArrayBuffer), got ${describe(weights)}`);
    const payload = bytes ? decodeWeights(bytes, j.weights.floats) : null;
    let model: Sequential;
    const make = () => new Sequential(layers, { name: j.model.name, ...(j.model.inputShape ? { inputShape: j.model.inputShape } : {}) });
    try {
      // A small mismatch still builds and gets checkManifest's precise message; an absurd one
      // (a damaged size) is refused before it grows wasm memory by gigabytes.
      model = payload ? withoutInitDraws(() => withWeightBudget(payload.length / 4 + (1 << 22), 'weights.bin', make)) : make();
    } catch (e) {
      for (const l of layers) l.dispose();
      if (e instanceof ValueError || e instanceof ShapeError) throw new FormatError(`load: model.json describes a model that cannot be built: ${e.message}`);
      // A damaged model.json can ask for weights no wasm memory holds: still a malformed file.
      if (e instanceof RangeError) throw new FormatError(`load: model.json describes a model too large to build (${e.message})`);
      throw e;
    }
    try {
      checkManifest(j, model.weightSpecs());
      if (payload) {
        let at = 0;
        for (const w of model.weights()) {
          const n = w.size * 4;
          // Copy bytes (little-endian on disk, little-endian in wasm memory): no float conversion.
          const dst = w.ptr;
          new Uint8Array(kernels().memory.buffer, dst, n).set(payload.subarray(at, at + n));
          at += n;
        }
      }
    } catch (e) {
      model.dispose();
      throw e;
    }
    if (j.training) model.restoreTraining(j.training);
    return model;
  }

  /**
   * Saves the model. A directory path (or file: URL) in Node writes `<dir>/model.json` and
   * `<dir>/weights.bin`; an http(s) URL receives a multipart POST; an object with
   * `save(artifacts)` gets `{ modelJson, weights }`. Always resolves to the packed single-file
   * bytes, which `Sequential.load` accepts.
   */
  async save(target?: string | URL | { save(artifacts: ModelArtifacts): unknown }): Promise<Uint8Array> {
    const json = this.toJSON();
    const weights = this.weightsBytes();
    if (target === undefined || target === null) return pack(json, weights);
    if (typeof target === 'object' && !(target instanceof URL) && typeof (target as any).save === 'function') {
      await (target as any).save({ modelJson: json, weights });
      return pack(json, weights);
    }
    const s = target instanceof URL ? target.href : target;
    if (typeof s !== 'string' || s === '') throw new ValueError(`save: target must be a directory path, a URL or an object with save(), got ${describe(target)}`);
    if (/^https?:\/\//i.test(s)) {
      await postUrl(s, json, weights);
    } else if (isRemote(s)) {
      throw new ValueError(`save: cannot write to ${s}; use a directory path (Node), an http(s) URL, or save() for bytes`);
    } else {
      if (!isNode()) throw new ValueError(`save: writing to a path (${s}) needs Node's file system; in a browser call save() for the bytes or give an http(s) URL`);
      await writeDirectory(s, json, weights);
    }
    return pack(json, weights);
  }

  /**
   * Loads a model saved by `save`: a directory or model.json path (Node), a URL (fetch: a
   * model.json URL, a directory URL, or packed bytes), packed bytes, a fetch Response, or
   * `{ modelJson, weights }`.
   */
  static async load(source: string | URL | Uint8Array | ArrayBuffer | Response | ModelArtifacts): Promise<Sequential> {
    const bytes = asBytes(source);
    if (bytes) {
      const { json, weights } = unpack(bytes);
      return Sequential.fromJSON(json, weights);
    }
    // A Response by its shape: touching Node's global `Response` loads undici (~20-35 ms).
    if (isResponse(source)) {
      if (!source.ok) throw new FormatError(`load: the response is HTTP ${source.status} ${source.statusText}`);
      return Sequential.load(new Uint8Array(await source.arrayBuffer()));
    }
    if (source && typeof source === 'object' && !(source instanceof URL) && 'modelJson' in source) {
      const a = source as ModelArtifacts;
      const w = asBytes(a.weights);
      if (!w) throw new ValueError(`load: artifacts.weights must be bytes, got ${describe(a.weights)}`);
      return Sequential.fromJSON(a.modelJson, w);
    }
    const s = source instanceof URL ? source.href : source;
    if (typeof s !== 'string' || s === '') throw new ValueError(`load: source must be a path, URL, bytes, Response or { modelJson, weights }, got ${describe(source)}`);
    const useFs = isNode() && !isRemote(s);
    const { json, weights } = useFs ? await readPath(s) : await readUrl(s);
    return Sequential.fromJSON(json, weights);
  }

  // ---- internals -------------------------------------------------------------------------------

  private weightSpecs(): WeightSpec[] {
    return this.layers.flatMap((l) => l.weights().map((w) => ({ name: `${l.name}/${w.name}`, shape: w.shape.slice(), dtype: 'float32' as const })));
  }

  private trainingConfig(): ModelJSON['training'] | null {
    const c = this.compiled;
    if (!c || c.lossSpec === null) return null;
    const t: NonNullable<ModelJSON['training']> = { loss: c.lossSpec, metrics: c.accuracy ? ['accuracy'] : [] };
    try {
      const oc = c.optimizer.getConfig();
      if (typeof oc.lr === 'number' || (oc.lr && typeof oc.lr === 'object')) t.optimizer = JSON.parse(JSON.stringify(oc));
    } catch { /* a custom optimizer without a config: saved without it */ }
    return t;
  }

  /** Re-compiles from a saved training config when it is complete and valid; otherwise leaves the model uncompiled. */
  private restoreTraining(t: NonNullable<ModelJSON['training']>): void {
    if (!t.optimizer || t.loss === undefined) return;
    try {
      this.compile({ optimizer: t.optimizer as any, loss: t.loss as any, metrics: t.metrics ?? [] });
    } catch {
      this.compiled = null;
    }
  }

  private requireBuilt(what: string): void {
    if (!this.built) {
      throw new ValueError(`${this.name}.${what}: the model is not built yet: give inputShape (new Sequential(layers, { inputShape })) or call it on data first`);
    }
  }

  private requireCompiled(what: string): Compiled {
    if (!this.compiled) throw new ValueError(`${this.name}.${what}: call compile({ optimizer, loss, metrics }) first`);
    return this.compiled;
  }

  /** Builds from x on first use; ShapeError when x does not fit the built input shape. */
  private checkInput(x: Tensor, what: string): void {
    x._checkLive(`${this.name}.${what}`, 'x');
    if (x.dtype !== 'float32') throw new ValueError(`${this.name}.${what}: x must be float32, got ${x.dtype} ${fmtShape(x.shape)}`);
    const sample = x.shape.slice(1);
    if (!this.built) { this.build(this.inputShape ?? sample); }
    if (!sameDims(sample, this.inputShape!)) {
      const first = this.layers[0];
      throw new ShapeError(`${this.name}.${what}: input ${fmtShape(x.shape)} is incompatible with ${first ? `layer '${first.name}' (${first.className})` : 'the model'}: expected shape ${fmtBatchShape(this.inputShape!)}, found ${fmtBatchShape(sample)}`);
    }
  }

  /** Integer labels must lie in [0, classes) for a multi-class output. */
  private checkLabels(y: Tensor, what: string): void {
    const out = this.outputShape!;
    const classes = out[out.length - 1];
    if (y.rank !== 1 || out.length !== 1 || classes < 2) return;
    if (y.dtype === 'int32') {
      const i = kernels().firstLabelOutOfRange(y.ptr, y.size, classes);
      if (i >= 0) {
        throw new ValueError(`${this.name}.${what}: label ${heapI32()[(y.ptr >> 2) + i]} at index ${i} is out of range for ${classes} classes (labels must be integers in [0, ${classes - 1}])`);
      }
    } else {
      const v = heapF32();
      const base = y.ptr >> 2;
      for (let i = 0; i < y.size; i++) {
        const l = v[base + i];
        if (!(Number.isInteger(l) && l >= 0 && l < classes)) {
          throw new ValueError(`${this.name}.${what}: label ${l} at index ${i} is out of range for ${classes} classes (labels must be integers in [0, ${classes - 1}])`);
        }
      }
    }
  }

  /**
   * One training step inside tidy: forward, loss, backward, optimizer update, grads cleared.
   * The forward pass updates state that is not a parameter (batch-norm moving statistics): it is
   * put back when the step fails or, with `skipNonFinite`, when the loss is NaN / infinite, so
   * an aborted step leaves the model exactly as it was.
   */
  private step(c: Compiled, params: Tensor[], x: Tensor, y: Tensor, order: Int32Array | null, start: number,
               count: number, augment?: (x: Tensor) => Tensor, whole = false, skipNonFinite = false): [number, number] {
    return tidy(() => {
      const trained = new Set(params);
      const state = this.weights().filter((w) => !trained.has(w));
      const snapshot = state.map((w) => w.detach()); // freed by this tidy
      const restore = () => state.forEach((w, i) => w.assign(snapshot[i]));
      try {
        return this.stepBody(c, params, x, y, order, start, count, augment, whole, skipNonFinite, restore);
      } catch (e) {
        restore();
        this.zeroGrad();
        throw e;
      }
    });
  }

  private stepBody(c: Compiled, params: Tensor[], x: Tensor, y: Tensor, order: Int32Array | null, start: number,
                   count: number, augment: ((x: Tensor) => Tensor) | undefined, whole: boolean, skipNonFinite: boolean,
                   restore: () => void): [number, number] {
    let xb = whole ? x : takeRows(x, order, start, count);
    const yb = whole ? y : takeRows(y, order, start, count);
    if (augment) {
      const a = augment(xb);
      if (!(a instanceof Tensor) || !sameDims(a.shape, xb.shape)) {
        throw new ShapeError(`fit: augment must return a Tensor of the batch's shape ${fmtShape(xb.shape)}, got ${a instanceof Tensor ? fmtShape(a.shape) : describe(a)}`);
      }
      xb = a;
    }
    this.zeroGrad();
    const pred = this.forward(xb, { training: true });
    const loss = c.loss(pred, yb);
    if (!(loss instanceof Tensor) || loss.size !== 1) {
      throw new ValueError(`${this.name}: the loss must return a scalar Tensor, got ${loss instanceof Tensor ? fmtShape(loss.shape) : describe(loss)}`);
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
    this.zeroGrad();
    return [lossValue, right] as [number, number];
  }

  private evalRange(c: Compiled, x: Tensor, y: Tensor, from: number, to: number, batchSize: number): { loss: number; accuracy?: number } {
    let lossSum = 0, right = 0;
    const n = to - from;
    for (let start = from; start < to; start += batchSize) {
      const count = Math.min(batchSize, to - start);
      const [l, r] = tidy(() => noGrad(() => {
        const whole = start === 0 && count === x.shape[0];
        const xb = whole ? x : takeRows(x, null, start, count);
        const yb = whole ? y : takeRows(y, null, start, count);
        const pred = this.forward(xb, { training: false });
        const loss = c.loss(pred, yb);
        return [loss.dataSync()[0], c.accuracy ? countCorrect(pred, yb, c.threshold) : 0];
      }));
      lossSum += l * count;
      right += r;
    }
    return c.accuracy ? { loss: lossSum / n, accuracy: right / n } : { loss: lossSum / n };
  }
}

/** Correct predictions in a batch: argmax vs labels / one-hot, or a threshold for one unit. */
function countCorrect(pred: Tensor, y: Tensor, threshold: number): number {
  const k = kernels();
  const b = pred.shape[0];
  const classes = pred.rank >= 2 ? pred.shape[pred.rank - 1] : 1;
  if (pred.rank === 2 && classes > 1) {
    if (y.rank === 1 && y.size === b) {
      return y.dtype === 'int32' ? k.countArgmaxLabels(pred.ptr, y.ptr, b, classes) : k.countArgmaxFloatLabels(pred.ptr, y.ptr, b, classes);
    }
    if (sameDims(y.shape, pred.shape) && y.dtype === 'float32') return k.countArgmaxOneHot(pred.ptr, y.ptr, b, classes);
  } else if (pred.size === b && y.size === b) {
    if (y.dtype === 'float32') return k.countThreshold(pred.ptr, y.ptr, b, threshold);
    const p = pred.dataSync(), t = y.dataSync();
    let n = 0;
    for (let i = 0; i < b; i++) if ((p[i] > threshold) === (t[i] >= 0.5)) n++;
    return n;
  }
  throw new ShapeError(`accuracy: cannot compare predictions ${fmtShape(pred.shape)} with targets ${fmtShape(y.shape)} (${y.dtype}); use int32 labels [batch], one-hot targets of the output's shape, or a single output unit`);
}

function resolveOptimizer(spec: OptimizerSpec, model: string): optim.Optimizer {
  if (spec instanceof optim.Optimizer) return spec;
  if (spec && typeof spec === 'object' && typeof (spec as any).step === 'function' && typeof (spec as any).setEpoch === 'function') {
    return spec as unknown as optim.Optimizer;
  }
  // Names take Keras' default learning rates ('sgd' 0.01, 'adam' 0.001, ...).
  const kerasLr: Record<string, number> = { sgd: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001, adagrad: 0.001, adadelta: 0.001 };
  const cfg = typeof spec === 'string' ? { name: spec } : spec;
  if (!cfg || typeof cfg !== 'object' || typeof (cfg as any).name !== 'string') {
    throw new ValueError(`${model}.compile: optimizer must be an optim.* object, a name such as 'adam', or { name, ...options }, got ${describe(spec)}`);
  }
  const name = String((cfg as any).name).toLowerCase();
  const full = { lr: kerasLr[name], ...cfg, name } as { name: string; [k: string]: unknown };
  if (full.lr === undefined) delete full.lr;
  return optim.fromConfig(full) as optim.Optimizer;
}

function collectCallbacks(o: FitOptions): Callbacks[] {
  const list: Callbacks[] = [o];
  if (o.callbacks) {
    const extra = Array.isArray(o.callbacks) ? o.callbacks : [o.callbacks];
    for (const cb of extra) {
      if (!cb || typeof cb !== 'object') throw new ValueError(`fit: option 'callbacks' must hold objects with onEpochEnd / onBatchEnd / ... hooks, got ${describe(cb)}`);
      list.push(cb);
    }
  }
  const names = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;
  for (const cb of list) {
    for (const k of names) {
      if (cb[k] !== undefined && typeof cb[k] !== 'function') throw new ValueError(`fit: callback '${k}' must be a function, got ${describe(cb[k])}`);
    }
  }
  return list;
}

async function callAll(list: Callbacks[], hook: keyof Callbacks, ...args: unknown[]): Promise<void> {
  for (const cb of list) {
    const f = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (f) await f(...args);
  }
}

function intOption(where: string, v: unknown, key: string, dflt: number, min: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new ValueError(`${where}: option '${key}' must be an integer >= ${min}, got ${fmtValue(v)}`);
  return x;
}

function checkInputShape(shape: unknown, where: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(`${where}: inputShape must be an array of positive integers (one sample, no batch axis), got ${fmtValue(shape)}`);
  }
  return shape.slice();
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
