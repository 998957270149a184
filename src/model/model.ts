// Model: a graph of layers (the functional API: new Model({ inputs, outputs })) and what every kind
// of model shares: a list of layers, a name, the compile settings, and Keras' workflow on top of
// the topology: summary, compile, fit / evaluate / predict / trainOnBatch, toJSON / save.
// Sequential specialises it (a stack of layers built as they are added): it overrides the
// topology methods (build, built, outputShape, forward, topologyJSON). The graph itself is read
// and run by graph.ts; the workflow lives next to this file: compile.ts, training.ts,
// callbacks.ts, metrics.ts, summary.ts, serialization.ts.
import { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtValue, rejectUnknownOptions } from '../errors.js';
import { describe } from '../ops/util.js';
import { fmtBatchShape, type Layer, type ApplyOptions } from '../nn/layer.js';
import { SymbolicTensor, isSymbolic } from '../nn/symbolic.js';
import type * as optim from '../optim/index.js';
import { encodeWeights, writeModel, readModel, parseModelJSON, type ModelJSON, type SaveTarget, type LoadSource } from '../io/format.js';
import { resolveCompile, bindOptimizer, type Compiled, type CompileOptions } from './compile.js';
import { fit, trainOnBatch, evaluate, predict, type FitOptions, type LossAndMetrics, type ModelInput, type ModelTarget } from './training.js';
import type { History } from './callbacks.js';
import { fitDataset, evaluateDataset, predictDataset, isDatasetInput, type DatasetInput, type FitDatasetOptions } from './fit-dataset.js';
import { layerTable, graphTable } from './summary.js';
import { confusionMatrix, type ConfusionOptions } from './confusion.js';
import { modelJSON, modelFromJSON, weightSpecs, weightNames, trainingConfig, type TopologyJSON } from './serialization.js';
import { checkpointArtifacts, includeOptimizer, noProgress, type SaveOptions, type TrainingProgress } from './checkpoint.js';
import { graphTopologyJSON, graphFromTopology } from './graph-json.js';
import { buildTopology, runGraph, type Topology } from './graph.js';
import { checkGraphInput } from './inputs.js';
import { NestedModel } from './nested.js';

export interface ModelConfig {
  /** The model's inputs: nn.input() tensors, one or an array (x is then an array in this order). */
  inputs: SymbolicTensor | SymbolicTensor[];
  /** The model's outputs: symbolic tensors, one or an array (forward then returns an array). */
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

export type { SaveOptions } from './checkpoint.js';

/** @internal how a subclass with its own topology (Sequential) constructs the base. */
export const OWN_TOPOLOGY: unique symbol = Symbol('own topology');

type FromJSON = (json: ModelJSON | string, weights?: Uint8Array | ArrayBuffer | ArrayBufferView) => Model;
/** Rebuilds a saved topology: Sequential registers itself (it imports this module, not the reverse). */
let savedModelFromJSON: FromJSON | null = null;
/** @internal */
export function registerSavedModelLoader(fromJSON: FromJSON): void { savedModelFromJSON = fromJSON; }

export class Model {
  readonly layers: Layer[] = [];
  name: string;
  /** One sample's input shape once known (the first input's, for a graph model). */
  inputShape: number[] | null = null;
  /** Set to true (e.g. in a callback) to end fit after the current batch. */
  stopTraining = false;
  private compiled: Compiled | null = null;
  /** The graph (null for Sequential, which is a plain stack). */
  private readonly graph: Topology | null = null;
  /** This model as a layer of another model (made on first symbolic apply). */
  private asLayer: NestedModel | null = null;
  /** @internal where training stands (fit records it, a checkpoint saves and restores it). */
  _progress: TrainingProgress = noProgress();

  constructor(config: ModelConfig);
  /** @internal */
  constructor(config: typeof OWN_TOPOLOGY, name: string);
  constructor(config: ModelConfig | typeof OWN_TOPOLOGY, name?: string) {
    if (config === OWN_TOPOLOGY) {
      this.name = name!;
      return;
    }
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
      throw new ValueError(`Model: expects { inputs, outputs, name? }, got ${describe(config)}`);
    }
    rejectUnknownOptions('Model', config, ['inputs', 'outputs', 'name']);
    const n = config.name ?? 'model';
    if (typeof n !== 'string' || n === '' || /[/\s]/.test(n)) throw new ValueError(`Model: option 'name' must be a non-empty string without '/' or spaces, got ${fmtValue(n)}`);
    this.name = n;
    if (config.inputs === undefined) throw new ValueError(`${n}: option 'inputs' is required`);
    if (config.outputs === undefined) throw new ValueError(`${n}: option 'outputs' is required`);
    this.graph = buildTopology(n, config.inputs, config.outputs);
    this.layers.push(...this.graph.layers);
    this.inputShape = this.graph.inputs[0].sampleShape.slice();
    for (const l of this.layers) {
      if (l instanceof NestedModel) continue; // its weights keep the inner model's names
      for (const w of l.weights()) w.name = `${l.name}/${w.name!.slice(w.name!.lastIndexOf('/') + 1)}`;
    }
  }

  /** The symbolic inputs of a graph model (empty for Sequential). */
  get inputs(): SymbolicTensor[] { return this.graph ? this.graph.inputs.slice() : []; }

  /** The symbolic outputs of a graph model (empty for Sequential). */
  get outputs(): SymbolicTensor[] { return this.graph ? this.graph.outputs.slice() : []; }

  /** Builds every layer for one sample's input shape (a graph model is built at construction). */
  build(inputShape: readonly number[]): void {
    const want = this.graph!.inputs[0].sampleShape;
    if (this.graph!.inputs.length !== 1 || inputShape.length !== want.length || inputShape.some((d, i) => d !== want[i])) {
      throw new ShapeError(`${this.name}: built for input ${this.graph!.inputs.map((t) => fmtBatchShape(t.sampleShape)).join(', ')}, cannot build for ${fmtBatchShape(inputShape)}`);
    }
  }

  /** True once every layer is built (always, for a graph model). */
  get built(): boolean { return true; }

  /** One sample's output shape (null until built); the first output's for several. */
  get outputShape(): number[] | null { return this.graph!.outputs[0].sampleShape.slice(); }

  /** Every output's sample shape. */
  get outputShapes(): number[][] {
    if (this.graph) return this.graph.outputs.map((t) => t.sampleShape.slice());
    const s = this.outputShape;
    return s ? [s] : [];
  }

  /**
   * Runs the model on a batch (an array of batches, in inputs order, for several inputs);
   * returns the output, or an array of outputs for several.
   */
  forward(x: Tensor | Tensor[], options: ApplyOptions = {}): Tensor | Tensor[] {
    const g = this.graph!;
    const xs = checkGraphInput(this, x, 'forward');
    const ys = runGraph(g, xs, options?.training === true);
    return g.outputs.length === 1 ? ys[0] : ys;
  }

  /** The `model` section of model.json. */
  protected topologyJSON(): TopologyJSON { return graphTopologyJSON(this.name, this.graph!); }

  /** @internal the topology of a nested model, for its layer's config. */
  _topologyJSON(): TopologyJSON { return this.topologyJSON(); }

  /**
   * Alias of forward (inference by default), as a Keras model is callable. Given symbolic
   * tensors it is applied as a layer of another graph model (sharing its weights).
   */
  apply(x: Tensor | Tensor[], options?: ApplyOptions): Tensor;
  apply(x: SymbolicTensor | SymbolicTensor[], options?: ApplyOptions): SymbolicTensor;
  apply(x: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[], options: ApplyOptions = {}): Tensor | SymbolicTensor {
    if (isSymbolic(x)) {
      if (!this.graph) throw new ValueError(`${this.name}: only a graph model (new Model({ inputs, outputs })) can be applied to symbolic tensors`);
      return this._layerOf().apply(x as SymbolicTensor[]);
    }
    return this.forward(x as Tensor, options) as Tensor;
  }

  /** @internal this model as a layer of another model (one layer per model). */
  _layerOf(): NestedModel {
    this.asLayer ??= new NestedModel(this);
    return this.asLayer;
  }

  /** @internal runs the graph on checked batches (a nested model's call). */
  _run(xs: readonly Tensor[], training: boolean): Tensor[] {
    return runGraph(this.graph!, xs, training);
  }

  /** The layer named `name` (or at position `index` of `layers`). */
  getLayer(nameOrIndex: string | number): Layer {
    if (typeof nameOrIndex === 'number') {
      const l = Number.isInteger(nameOrIndex) ? this.layers[nameOrIndex] : undefined;
      if (!l) throw new ValueError(`${this.name}.getLayer: index ${fmtValue(nameOrIndex)} is out of range (the model has ${this.layers.length} layers)`);
      return l;
    }
    const l = this.layers.find((x) => x.name === nameOrIndex);
    if (!l) throw new ValueError(`${this.name}.getLayer: no layer named ${typeof nameOrIndex === 'string' ? `'${nameOrIndex}'` : fmtValue(nameOrIndex)} (layers: ${this.layers.map((x) => x.name).join(', ')})`);
    return l;
  }

  /** False freezes every layer (as setting each layer's trainable); true unfreezes them. */
  get trainable(): boolean { return this.layers.some((l) => l.trainable); }
  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw new ValueError(`${this.name}: trainable must be a boolean, got ${fmtValue(value)}`);
    for (const l of this.layers) l.trainable = value;
  }

  /** Trainable parameters of every layer, in order (a weight shared by two layers once). */
  parameters(): Tensor[] { return unique(this.layers.flatMap((l) => l.parameters())); }

  /** Every weight (trainable and not), in saving order. */
  weights(): Tensor[] { return unique(this.layers.flatMap((l) => l.weights())); }

  /**
   * The sum of the layers' regulariser penalties (kernelRegularizer / biasRegularizer), the term
   * fit / trainOnBatch / evaluate add to the loss; null when no layer has a regulariser.
   */
  regularizationLoss(): Tensor | null {
    let total: Tensor | null = null;
    for (const l of this.layers) {
      const r = l.regularizationLoss();
      if (r) total = total ? total.add(r) : r;
    }
    return total;
  }

  /** Resets every parameter's gradient to null. */
  zeroGrad(): void { for (const l of this.layers) l.zeroGrad(); }

  countParams(): number {
    this.requireBuilt('countParams');
    return this.weights().reduce((n, w) => n + w.size, 0);
  }

  /** Keras-style summary table (returned, not printed); graph models add a "Connected to" column. */
  summary(): string {
    this.requireBuilt('summary');
    return this.graph ? graphTable(this.name, this.graph) : layerTable(this.name, this.layers);
  }

  /** Sets the optimizer, loss and metrics used by fit / evaluate / trainOnBatch. */
  compile(options: CompileOptions): void {
    const compiled = resolveCompile(options, this.name, this.outputs.map((t) => t.layer.name));
    bindOptimizer(this, compiled.optimizer);
    this.compiled = compiled;
  }

  /** The compiled optimizer (undefined before compile). */
  get optimizer(): optim.Optimizer | undefined { return this.compiled?.optimizer; }

  /**
   * Where training stands: `epoch`, the epochs fit has completed (restored by loading a checkpoint:
   * the `initialEpoch` that continues), and `step`, the optimizer's update count.
   */
  get trainingProgress(): { epoch: number; step: number } {
    return { epoch: this._progress.epoch, step: this.compiled?.optimizer.iterations ?? 0 };
  }

  /** Trains for `epochs` over (x, y), or streams a dataset of [x, y] batches; yields to the event loop between batches. */
  fit(x: ModelInput, y: ModelTarget, options?: FitOptions): Promise<History>;
  fit(dataset: DatasetInput, options?: FitDatasetOptions): Promise<History>;
  fit(x: ModelInput | DatasetInput, y?: ModelTarget | FitDatasetOptions, options: FitOptions = {}): Promise<History> {
    if (isDatasetInput(x)) return fitDataset(this, this.compiled, x, y as FitDatasetOptions);
    return fit(this, this.compiled, x as ModelInput, y as ModelTarget, options);
  }

  /** One optimisation step on (x, y); returns the batch's loss (and accuracy); y holds one target per output. */
  trainOnBatch(x: ModelInput, y: ModelTarget): LossAndMetrics { return trainOnBatch(this, this.compiled, x, y); }

  /** Mean loss (and accuracy) over (x, y), in inference mode. */
  evaluate(x: ModelInput, y: ModelTarget, options?: { batchSize?: number }): LossAndMetrics;
  /** Streams a dataset of [x, y] batches (the first `steps` when given). */
  evaluate(dataset: DatasetInput, options?: { steps?: number }): Promise<LossAndMetrics>;
  evaluate(x: ModelInput | DatasetInput, y?: ModelTarget | { steps?: number }, options: { batchSize?: number } = {}): LossAndMetrics | Promise<LossAndMetrics> {
    if (isDatasetInput(x)) return evaluateDataset(this, this.compiled, x, y as { steps?: number });
    return evaluate(this, this.compiled, x as ModelInput, y as ModelTarget, options);
  }

  /** The confusion matrix of the predictions on x against y: int32 [C, C], rows the true class (confusion.ts). */
  confusionMatrix(x: ModelInput, y: Tensor, options: ConfusionOptions = {}): Tensor { return confusionMatrix(this, this.compiled, x, y, options); }

  /** Outputs for every sample of x, computed in batches (inference mode); an array for several outputs. */
  predict(x: ModelInput, options?: { batchSize?: number }): Tensor;
  /** Streams a dataset of batches (x, [x], [x, y] or { x }); resolves to the outputs of every sample. */
  predict(dataset: DatasetInput, options?: { steps?: number }): Promise<Tensor>;
  predict(x: ModelInput | DatasetInput, options: { batchSize?: number; steps?: number } = {}): Tensor | Promise<Tensor> {
    const one = (outs: Tensor[]) => (outs.length === 1 && this.outputShapes.length <= 1 ? outs[0] : outs) as Tensor;
    if (isDatasetInput(x)) return predictDataset(this, x, options).then(one);
    return one(predict(this, x as ModelInput, options));
  }

  /** Frees every weight (and the optimizer state). */
  dispose(): void {
    for (const l of this.layers) { l.zeroGrad(); l.dispose(); }
    this.compiled?.optimizer.dispose();
  }

  /** Topology and weight manifest (model.json of docs/FORMAT.md). */
  toJSON(): ModelJSON {
    const topology = this.topologyJSON();
    const tensors = weightSpecs(this);
    return modelJSON(topology, tensors, trainingConfig(this.compiled));
  }

  /** weights.bin bytes: the header and every weight as little-endian float32, in toJSON's order. */
  weightsBytes(): Uint8Array { return encodeWeights(this.weights()); }

  /**
   * Saves the model. A directory path (or file: URL) in Node writes `<dir>/model.json` and
   * `<dir>/weights.bin`; an http(s) URL receives a multipart POST; an object with
   * `save(artifacts)` gets `{ modelJson, weights }`. Always resolves to the packed single-file
   * bytes, which `load` accepts. `{ includeOptimizer: true }` saves a checkpoint: also the
   * optimizer's state, the epochs completed and the random generators' states (docs/FORMAT.md),
   * from which a loaded model's `fit({ initialEpoch })` continues bit for bit.
   */
  async save(target?: SaveTarget, options: SaveOptions = {}): Promise<Uint8Array> {
    if (includeOptimizer(this.name, options)) {
      const c = checkpointArtifacts(this, this.toJSON(), this._progress, weightNames(this));
      return writeModel(target, c.json, c.weights);
    }
    const json = this.toJSON();
    const weights = this.weightsBytes();
    return writeModel(target, json, weights);
  }

  /** ONNX export, Sequential or graph: installed by src/io/onnx/export.ts (OnnxExportOptions there). */
  toOnnx(options?: unknown): Uint8Array {
    void options;
    throw new ValueError(`${this.name}.toOnnx: the ONNX exporter is not loaded; import the model classes from the package entry ('wasm-cnn')`);
  }

  /**
   * Rebuilds a model, graph or Sequential, from toJSON() output (object or string) and
   * weights.bin bytes. Without weights the layers are freshly initialised. FormatError for
   * anything malformed or mismatched.
   */
  static fromJSON(json: ModelJSON | string, weights?: Uint8Array | ArrayBuffer | ArrayBufferView): Model {
    const j = parseModelJSON(json);
    if (j.model.className !== 'Functional') return savedModelFromJSON!(j, weights);
    return modelFromJSON(j, weights, (made, topology) => graphFromTopology(topology, made));
  }

  /**
   * A trainable graph Model from an ONNX CNN's bytes (src/io/onnx/to-model.ts, loaded on the first
   * call like the importer): one layer per node, taking NHWC images. FormatError for malformed bytes
   * or a node no layer expresses, naming the node and its op type.
   */
  static async fromOnnx(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options?: { name?: string }): Promise<Model> {
    const { modelFromOnnx } = await import('../io/onnx/to-model.js');
    return modelFromOnnx(bytes, options);
  }

  /** Loads any model saved by `save` (the sources of Sequential.load). */
  static async load(source: LoadSource): Promise<Model> {
    const { json, weights } = await readModel(source);
    return Model.fromJSON(json, weights);
  }

  /** ValueError unless the model is built. */
  protected requireBuilt(what: string): void {
    if (!this.built) {
      throw new ValueError(`${this.name}.${what}: the model is not built yet: give inputShape (new Sequential(layers, { inputShape })) or call it on data first`);
    }
  }
}

/** The tensors in order, each once. */
function unique(ts: Tensor[]): Tensor[] { return [...new Set(ts)]; }
