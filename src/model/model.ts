// Model: what every kind of model shares. It owns a list of layers, a name, the input shape once
// known and the compile settings, and offers Keras' workflow on top of its topology: summary,
// compile, fit / evaluate / predict / trainOnBatch, toJSON / save. A subclass defines the
// topology: how the layers are built and connected (build, forward, outputShape) and how that is
// written to model.json (topologyJSON). Sequential is a stack of layers. The workflow itself lives
// next to this file: compile.ts, training.ts, callbacks.ts, metrics.ts, summary.ts,
// serialization.ts.
import type { Tensor } from '../tensor.js';
import { ValueError } from '../errors.js';
import type { Layer, ApplyOptions } from '../nn/layer.js';
import type * as optim from '../optim/index.js';
import { encodeWeights, writeModel, type ModelJSON, type SaveTarget } from '../io/format.js';
import { resolveCompile, bindOptimizer, type Compiled, type CompileOptions } from './compile.js';
import { fit, trainOnBatch, evaluate, predict, type FitOptions, type LossAndMetrics } from './training.js';
import type { History } from './callbacks.js';
import { layerTable } from './summary.js';
import { modelJSON, weightSpecs, trainingConfig, type TopologyJSON } from './serialization.js';

export abstract class Model {
  readonly layers: Layer[] = [];
  name: string;
  /** One sample's input shape once known. */
  inputShape: number[] | null = null;
  /** Set to true (e.g. in a callback) to end fit after the current batch. */
  stopTraining = false;
  private compiled: Compiled | null = null;

  protected constructor(name: string) {
    this.name = name;
  }

  /** Builds every layer for one sample's input shape (no batch axis). */
  abstract build(inputShape: readonly number[]): void;

  /** True once every layer is built. */
  abstract get built(): boolean;

  /** One sample's output shape (null until built). */
  abstract get outputShape(): number[] | null;

  /** Runs the layers on a batch; builds the model from x's shape on first use. */
  abstract forward(x: Tensor, options?: ApplyOptions): Tensor;

  /** The `model` section of model.json. */
  protected abstract topologyJSON(): TopologyJSON;

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
    return layerTable(this.name, this.layers);
  }

  /** Sets the optimizer, loss and metrics used by fit / evaluate / trainOnBatch. */
  compile(options: CompileOptions): void {
    const compiled = resolveCompile(options, this.name);
    bindOptimizer(this, compiled.optimizer);
    this.compiled = compiled;
  }

  /** The compiled optimizer (undefined before compile). */
  get optimizer(): optim.Optimizer | undefined { return this.compiled?.optimizer; }

  /** Trains for `epochs` over (x, y); yields to the event loop between batches. */
  fit(x: Tensor, y: Tensor, options: FitOptions = {}): Promise<History> { return fit(this, this.compiled, x, y, options); }

  /** One optimisation step on (x, y); returns the batch's loss (and accuracy). */
  trainOnBatch(x: Tensor, y: Tensor): LossAndMetrics { return trainOnBatch(this, this.compiled, x, y); }

  /** Mean loss (and accuracy) over (x, y), in inference mode. */
  evaluate(x: Tensor, y: Tensor, options: { batchSize?: number } = {}): LossAndMetrics { return evaluate(this, this.compiled, x, y, options); }

  /** Outputs for every sample of x, computed in batches (inference mode). */
  predict(x: Tensor, options: { batchSize?: number } = {}): Tensor { return predict(this, x, options); }

  /** Frees every weight (and the optimizer state). */
  dispose(): void {
    for (const l of this.layers) { l.zeroGrad(); l.dispose(); }
    this.compiled?.optimizer.dispose();
  }

  /** Topology and weight manifest (model.json of docs/FORMAT.md). */
  toJSON(): ModelJSON {
    const tensors = weightSpecs(this);
    return modelJSON(this.topologyJSON(), tensors, trainingConfig(this.compiled));
  }

  /** weights.bin bytes: the header and every weight as little-endian float32, in toJSON's order. */
  weightsBytes(): Uint8Array { return encodeWeights(this.weights()); }

  /**
   * Saves the model. A directory path (or file: URL) in Node writes `<dir>/model.json` and
   * `<dir>/weights.bin`; an http(s) URL receives a multipart POST; an object with
   * `save(artifacts)` gets `{ modelJson, weights }`. Always resolves to the packed single-file
   * bytes, which `load` accepts.
   */
  async save(target?: SaveTarget): Promise<Uint8Array> {
    const json = this.toJSON();
    const weights = this.weightsBytes();
    return writeModel(target, json, weights);
  }

  /** ValueError unless the model is built. */
  protected requireBuilt(what: string): void {
    if (!this.built) {
      throw new ValueError(`${this.name}.${what}: the model is not built yet: give inputShape (new Sequential(layers, { inputShape })) or call it on data first`);
    }
  }
}
