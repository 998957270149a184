// The Layer base: lazy build from the first input shape, named parameters kept out of tidy,
// shape inference (`computeOutputShape`) used by Sequential and summary(), application to
// symbolic tensors (graph nodes for the functional API), freezing, and the option checks every
// layer runs at construction (so misuse fails where it is written, not at first use).
// A single-input layer defines computeOutputShape / createWeights / call / config; a layer with
// several inputs (merge layers) or outputs (a nested model) overrides buildNode / callNode.
import { Tensor, keep } from '../tensor.js';
import { ShapeError, ValueError, fmtShape, fmtValue as fmtOpt, rejectUnknownOptions } from '../errors.js';
import { getInitializer, type Initializer, type InitializerSpec } from './initializers.js';
import { describe } from '../ops/util.js';
import { dilatedExtent, samePadding, windowOutputSize } from '../geometry.js';
import { GraphNode, SymbolicTensor, isSymbolic } from './symbolic.js';

export interface ApplyOptions {
  /** Training mode: batch statistics in batch norm, dropout active. Default false. */
  training?: boolean;
}

/** Options every layer accepts. */
export interface LayerOptions {
  /** Layer name (unique within a model; defaults to the Keras snake_case name). */
  name?: string;
  /** Shape of one sample (no batch axis); only meaningful on a model's first layer. */
  inputShape?: readonly number[];
  /** When false the layer is frozen: no gradients, no updates, moving statistics used as in inference. Default true. */
  trainable?: boolean;
  /**
   * Names for some of the layer's weights in place of the Keras ones, e.g. `{ kernel: 'conv1.weight' }`
   * (an imported network keeps its own names): the parameter is then `<layer>/conv1.weight`.
   */
  weightNames?: Record<string, string>;
}

/** Serialised layer: the Keras class name and the options that rebuild it. */
export interface LayerJSON {
  className: string;
  config: Record<string, unknown>;
}

export abstract class Layer {
  /** Keras class name ('Conv2D', 'MaxPooling2D', ...). */
  abstract readonly className: string;
  /** Default snake_case name base ('conv2d', 'max_pooling2d', ...). */
  abstract readonly baseName: string;
  name: string;
  /** True when the name was given by the user (Sequential leaves it as is). */
  readonly explicitName: boolean;
  private _isTrainable: boolean;
  /** Input shape declared in the options (one sample, no batch axis). */
  readonly declaredInputShape: number[] | null;
  /** Shape of one input sample, set by build(). */
  inputShape: number[] | null = null;
  /** Shape of one output sample, set by build(). */
  outputShape: number[] | null = null;
  protected readonly _trainable: Tensor[] = [];
  protected readonly _nonTrainable: Tensor[] = [];
  /** Every application of this layer to symbolic tensors, in order (a shared layer has several). */
  readonly inboundNodes: GraphNode[] = [];
  /** The weightNames option: a weight's own name by its Keras name. */
  private readonly weightRenames: Readonly<Record<string, string>> | null;

  constructor(opts: LayerOptions | undefined, layerType: string) {
    if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
      throw new ValueError(`${layerType}: options must be an object, got ${describe(opts)}`);
    }
    const o = opts ?? {};
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '' || /[/\s]/.test(o.name))) {
      throw new ValueError(`${layerType}: option 'name' must be a non-empty string without '/' or spaces, got ${fmtOpt(o.name)}`);
    }
    this.name = o.name ?? '';
    this.explicitName = o.name !== undefined;
    if (o.trainable !== undefined && typeof o.trainable !== 'boolean') {
      throw new ValueError(`${layerType}: option 'trainable' must be a boolean, got ${fmtOpt(o.trainable)}`);
    }
    this._isTrainable = o.trainable ?? true;
    this.weightRenames = o.weightNames === undefined ? null : checkWeightNames(layerType, o.weightNames);
    if (o.inputShape !== undefined) {
      if (!Array.isArray(o.inputShape) || o.inputShape.length === 0 || !o.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
        throw new ValueError(`${layerType}: option 'inputShape' must be an array of positive integers (one sample, no batch axis), got ${fmtOpt(o.inputShape)}`);
      }
      this.declaredInputShape = o.inputShape.slice();
    } else {
      this.declaredInputShape = null;
    }
  }

  /** Layer name for messages: the model-given name once set, else the base name. */
  protected get label(): string { return this.name || this.baseName; }

  /**
   * False freezes the layer (as Keras): its parameters leave parameters(), get no gradient (so no
   * optimizer update), and a layer with non-trainable state (batch norm's moving statistics) runs
   * as in inference even in training. Gradients still flow through it to earlier layers.
   */
  get trainable(): boolean { return this._isTrainable; }
  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw new ValueError(`${this.label}: trainable must be a boolean, got ${fmtOpt(value)}`);
    this._isTrainable = value;
    this.setWeightsTrainable(value);
  }

  /** Whether the trainable weights record gradients; a container layer forwards this to its members. */
  protected setWeightsTrainable(value: boolean): void {
    for (const w of this._trainable) {
      w.requiresGrad = value;
      if (!value) w.zeroGrad();
    }
  }

  get built(): boolean { return this.inputShape !== null; }

  /** Output shape (no batch axis) for an input shape; throws ShapeError naming the layer. */
  abstract computeOutputShape(inputShape: readonly number[]): number[];

  /** Creates the parameters for this input shape (called once, by build). */
  protected createWeights(inputShape: readonly number[]): void { void inputShape; }

  /** The forward computation on a batch (input already checked). */
  protected abstract call(x: Tensor, training: boolean): Tensor;

  /** Options that rebuild this layer (without name/inputShape/trainable, which the base adds). */
  protected abstract config(): Record<string, unknown>;

  /** Builds the layer for one sample's shape (no batch axis). Idempotent for the same shape. */
  build(inputShape: readonly number[]): number[] {
    if (this.inputShape) {
      this.checkBuiltShape(inputShape);
      return this.outputShape!.slice();
    }
    const out = this.computeOutputShape(inputShape);
    const nT = this._trainable.length, nN = this._nonTrainable.length;
    try {
      this.createWeights(inputShape);
      this.checkRenamedWeights(this._trainable.length - nT + this._nonTrainable.length - nN);
    } catch (e) {
      // E.g. out of memory after the kernel but before the bias: drop the partial weights so
      // a later build starts clean.
      for (const w of this._trainable.splice(nT)) w.dispose();
      for (const w of this._nonTrainable.splice(nN)) w.dispose();
      throw e;
    }
    this.inputShape = inputShape.slice();
    this.outputShape = out;
    return out.slice();
  }

  /** Every weightNames key must be one of the weights just created (a typo would otherwise be ignored). */
  private checkRenamedWeights(created: number): void {
    if (!this.weightRenames) return;
    const own = new Set(this.weights().slice(-created).map((w) => w.name!));
    const keras = Object.keys(this.weightRenames);
    const unknown = keras.filter((k) => !own.has(this.weightRenames![k]));
    if (unknown.length > 0) {
      const names = this.weights().map((w) => Object.keys(this.weightRenames!).find((k) => this.weightRenames![k] === w.name) ?? w.name);
      throw new ValueError(`${this.label}: option 'weightNames' renames ${fmtOpt(unknown)}, which ${unknown.length === 1 ? 'is not a weight' : 'are not weights'} of the layer (its weights: ${names.join(', ') || 'none'})`);
    }
  }

  /** Layers with parameters accept only the input shape they were built for (others: any). */
  protected checkBuiltShape(inputShape: readonly number[]): void {
    if (this.paramCount() === 0) { this.computeOutputShape(inputShape); return; }
    const want = this.inputShape!;
    if (inputShape.length !== want.length || !this.compatible(inputShape, want)) {
      throw new ShapeError(`${this.label}: expected input of shape ${fmtBatchShape(want)}, got ${fmtBatchShape(inputShape)}`);
    }
    this.computeOutputShape(inputShape);
  }

  /** Whether a new input shape fits the built parameters (default: the last axis matches). */
  protected compatible(shape: readonly number[], built: readonly number[]): boolean {
    return shape[shape.length - 1] === built[built.length - 1];
  }

  /**
   * Runs the layer on a batch `x` ([batch, ...inputShape]); builds it on first use. Given a
   * symbolic tensor (or an array of them, for layers with several inputs) it builds the layer
   * from the shapes and returns the symbolic output: a node of a graph model.
   */
  apply(x: Tensor, opts?: ApplyOptions): Tensor;
  apply(x: SymbolicTensor | readonly SymbolicTensor[], opts?: ApplyOptions): SymbolicTensor;
  apply(x: readonly Tensor[], opts?: ApplyOptions): Tensor;
  apply(x: Tensor | SymbolicTensor | readonly (Tensor | SymbolicTensor)[], opts: ApplyOptions = {}): Tensor | SymbolicTensor {
    if (isSymbolic(x)) {
      const outs = this.applySymbolic(x instanceof SymbolicTensor ? [x] : x);
      return outs.length === 1 ? outs[0] : outs as unknown as SymbolicTensor;
    }
    if (Array.isArray(x)) {
      if (x.some((t) => t instanceof SymbolicTensor)) {
        throw new ValueError(`${this.label}: inputs mix symbolic tensors and Tensors; give all of one kind`);
      }
      const outs = this.callNode(x as Tensor[], opts?.training === true);
      return outs.length === 1 ? outs[0] : outs as unknown as Tensor;
    }
    return this.applyOne(x as Tensor, opts?.training === true);
  }

  /** The checks and computation of a single-input call. */
  private applyOne(x: Tensor, training: boolean): Tensor {
    if (!(x instanceof Tensor)) throw new ValueError(`${this.label}: input must be a Tensor, got ${describe(x)}`);
    x._checkLive(this.label, 'input');
    if (x.rank < 1) throw new ShapeError(`${this.label}: input must have a batch axis, got a scalar`);
    if (x.dtype !== 'float32') throw new ValueError(`${this.label}: input must be float32, got ${x.dtype} ${fmtShape(x.shape)}`);
    this.build(x.shape.slice(1));
    return this.call(x, training && !this.frozenInference());
  }

  /** A frozen layer with state that is not trained (moving statistics) keeps that state: inference mode. */
  private frozenInference(): boolean { return !this._isTrainable && this._nonTrainable.length > 0; }

  /** Builds from the inputs' shapes and adds a node to the graph; returns the node's outputs. */
  private applySymbolic(inputs: readonly SymbolicTensor[]): SymbolicTensor[] {
    const shapes = this.buildNode(inputs.map((t) => t.sampleShape));
    const node = new GraphNode(this, inputs, shapes);
    this.inboundNodes.push(node);
    return node.outputs;
  }

  /**
   * Builds the layer for its inputs' sample shapes and returns the output shapes (one per
   * output). Single-input layers take exactly one.
   */
  buildNode(inputShapes: readonly (readonly number[])[]): number[][] {
    if (inputShapes.length !== 1) throw new ValueError(`${this.label}: expects one input, got ${inputShapes.length}`);
    return [this.build(inputShapes[0])];
  }

  /** Runs the layer on one batch per input; returns one batch per output. */
  callNode(inputs: readonly Tensor[], training: boolean): Tensor[] {
    if (inputs.length !== 1) throw new ValueError(`${this.label}: expects one input, got ${inputs.length}`);
    return [this.applyOne(inputs[0], training)];
  }

  /** Trainable parameters (named as in Keras); empty when the layer is frozen. */
  parameters(): Tensor[] { return this._isTrainable ? this._trainable.slice() : []; }

  /** Every weight in saving order: trainable ones, then non-trainable (e.g. moving statistics). */
  weights(): Tensor[] { return [...this._trainable, ...this._nonTrainable]; }

  /** Weights that are not trained by gradient (plus all weights of a frozen layer). */
  nonTrainableWeights(): Tensor[] { return this._isTrainable ? this._nonTrainable.slice() : this.weights(); }

  /** Number of scalars in every weight, trainable or not (Keras' count_params). */
  countParams(): number {
    if (!this.built) {
      throw new ValueError(`${this.label}: countParams() needs the layer built: apply it to an input or give inputShape`);
    }
    return this.paramCount();
  }

  protected paramCount(): number {
    let n = 0;
    for (const w of this.weights()) n += w.size;
    return n;
  }

  /** The penalty the layer's regularisers add to the training loss (a scalar), or null when it has none. */
  regularizationLoss(): Tensor | null { return null; }

  /** Resets the gradients of the parameters to null. */
  zeroGrad(): void { for (const p of this._trainable) p.zeroGrad(); }

  /** Frees the parameters; the layer is unusable afterwards. */
  dispose(): void {
    for (const w of this.weights()) w.dispose();
  }

  /** Serialisable description: className and the options that rebuild it. */
  toJSON(): LayerJSON {
    const cfg: Record<string, unknown> = { name: this.name || this.baseName, ...this.config() };
    if (!this.trainable) cfg.trainable = false;
    if (this.declaredInputShape) cfg.inputShape = this.declaredInputShape.slice();
    if (this.weightRenames) cfg.weightNames = { ...this.weightRenames };
    return { className: this.className, config: cfg };
  }

  /** Creates a trainable parameter: kept out of tidy, requires grad, named as Keras. */
  protected addWeight(name: string, shape: readonly number[], init: Initializer, trainable = true): Tensor {
    const t = keep(init.init(shape));
    t.name = this.weightRenames?.[name] ?? name;
    if (trainable) { t.requireGrad(); t.requiresGrad = this._isTrainable; this._trainable.push(t); }
    else this._nonTrainable.push(t);
    return t;
  }

  protected checkRank(shape: readonly number[], rank: number, what: string): void {
    if (shape.length !== rank) {
      throw new ShapeError(`${this.label}: expects ${what} (batch, ${rank === 3 ? 'height, width, channels' : `${rank} axes`}), got input of shape ${fmtBatchShape(shape)}`);
    }
  }
}

/** The weightNames option: Keras weight name -> a non-empty name without '/' or spaces (the '<layer>/<weight>' split stays unambiguous). */
function checkWeightNames(layer: string, v: unknown): Record<string, string> {
  const ok = v !== null && typeof v === 'object' && !Array.isArray(v) &&
    Object.values(v).every((n) => typeof n === 'string' && n !== '' && !/[/\s]/.test(n));
  if (!ok) throw new ValueError(`${layer}: option 'weightNames' must map weight names to non-empty names without '/' or spaces, e.g. { kernel: 'conv1.weight' }, got ${fmtOpt(v)}`);
  const names = Object.values(v as Record<string, string>);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ValueError(`${layer}: option 'weightNames' gives two weights the name '${twice}'`);
  return { ...(v as Record<string, string>) };
}

/** Keras style: (None, 7, 7, 64). */
export function fmtBatchShape(shape: readonly number[]): string {
  return `(None${shape.map((d) => `, ${d}`).join('')})`;
}

// ---- option checks (ValueError naming the layer and option) -------------------------------------

export function optInt(layer: string, opts: Record<string, unknown>, key: string, dflt: number | undefined, min = 1): number {
  const v = opts[key] ?? dflt;
  if (v === undefined) throw new ValueError(`${layer}: option '${key}' is required`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new ValueError(`${layer}: option '${key}' must be an integer >= ${min}, got ${fmtOpt(v)}`);
  }
  return v;
}

export function optNumber(layer: string, opts: Record<string, unknown>, key: string, dflt: number, lo: number, hi: number, loOpen = false, hiOpen = false): number {
  const v = opts[key] ?? dflt;
  const ok = typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
  if (!ok) {
    throw new ValueError(`${layer}: option '${key}' must be a number in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${fmtOpt(v)}`);
  }
  return v as number;
}

export function optBool(layer: string, opts: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = opts[key] ?? dflt;
  if (typeof v !== 'boolean') throw new ValueError(`${layer}: option '${key}' must be a boolean, got ${fmtOpt(v)}`);
  return v;
}

export function optPair(layer: string, opts: Record<string, unknown>, key: string, dflt: number | undefined, min = 1): [number, number] {
  const v = opts[key] ?? dflt;
  if (v === undefined) throw new ValueError(`${layer}: option '${key}' is required`);
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((d) => Number.isInteger(d) && d >= min)) {
    throw new ValueError(`${layer}: option '${key}' must be an integer >= ${min} or a pair [h, w] of them, got ${fmtOpt(v)}`);
  }
  return [p[0], p[1]];
}

/** Explicit padding as [[top, bottom], [left, right]], or 'valid' / 'same'. */
export type Padding = 'valid' | 'same' | [[number, number], [number, number]];

export function optPadding(layer: string, opts: Record<string, unknown>, key = 'padding', dflt: 'valid' | 'same' = 'valid'): Padding {
  const v = opts[key] ?? dflt;
  if (v === 'valid' || v === 'same') return v;
  const bad = (): never => {
    throw new ValueError(`${layer}: option '${key}' must be 'valid', 'same', a non-negative integer, [padH, padW] or [[top, bottom], [left, right]], got ${fmtOpt(v)}`);
  };
  const nn = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (nn(v)) return [[v, v], [v, v]];
  if (!Array.isArray(v) || v.length !== 2) return bad();
  if (nn(v[0]) && nn(v[1])) return [[v[0], v[0]], [v[1], v[1]]];
  if (v.every((p) => Array.isArray(p) && p.length === 2 && nn(p[0]) && nn(p[1]))) {
    return [[v[0][0], v[0][1]], [v[1][0], v[1][1]]];
  }
  return bad();
}

/**
 * Rows/columns at each image border: n, [h, w] (both sides) or [[top, bottom], [left, right]] of
 * non-negative integers (ZeroPadding2D, Cropping2D); `what` names the pair in messages ('pad' -> [padH, padW]).
 */
export function optBorders(layer: string, key: string, v: unknown, what: string): [[number, number], [number, number]] {
  const count = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  const both = (x: unknown): x is [number, number] => Array.isArray(x) && x.length === 2 && count(x[0]) && count(x[1]);
  if (count(v)) return [[v, v], [v, v]];
  if (both(v)) return [[v[0], v[0]], [v[1], v[1]]];
  if (Array.isArray(v) && v.length === 2 && both(v[0]) && both(v[1])) return [[v[0][0], v[0][1]], [v[1][0], v[1][1]]];
  throw new ValueError(`${layer}: option '${key}' must be a non-negative integer, [${what}H, ${what}W] or [[top, bottom], [left, right]], got ${fmtOpt(v)}`);
}

export function optInitializer(layer: string, opts: Record<string, unknown>, key: string, dflt: InitializerSpec): Initializer {
  return getInitializer((opts[key] ?? dflt) as InitializerSpec, `${layer}: option '${key}'`);
}

/** Rejects option keys a layer does not know (a typo would otherwise be silently ignored). */
export function checkKeys(layer: string, opts: object | undefined, known: readonly string[]): void {
  if (!opts) return;
  rejectUnknownOptions(layer, opts, [...known, 'name', 'inputShape', 'trainable', 'weightNames']);
}

/** Output length of a windowed op along one axis (TensorFlow's rules). */
export function windowOut(inSize: number, k: number, stride: number, dilation: number, padding: Padding, axis: 0 | 1): number {
  const extent = dilatedExtent(k, dilation);
  if (padding === 'valid') return windowOutputSize(inSize, extent, stride);
  const [before, after] = padding === 'same' ? samePadding(inSize, extent, stride) : padding[axis];
  return windowOutputSize(inSize, extent, stride, before, after);
}
