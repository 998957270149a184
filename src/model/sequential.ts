// Sequential: a stack of layers, each fed the previous one's output. Layers are added one by one
// (each named uniquely and built as soon as the input shape is known); everything else (training,
// summary, saving) comes from Model.
import { Tensor, sameShape } from '../tensor.js';
import { ShapeError, ValueError, FormatError, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { Layer, fmtBatchShape, type ApplyOptions } from '../nn/layer.js';
import { readModel, type LoadSource, type ModelJSON } from '../io/format.js';
import { Model, OWN_TOPOLOGY, registerSavedModelLoader } from './model.js';
import { checkInput, checkInputShape } from './inputs.js';
import { modelFromJSON, type TopologyJSON } from './serialization.js';
import { LayerNames } from './layer-names.js';

export interface SequentialOptions {
  /** One sample's shape (no batch axis): builds every layer now. */
  inputShape?: readonly number[];
  name?: string;
}

export class Sequential extends Model {
  private index: { layers: Set<Layer>; names: LayerNames; count: number } | null = null;

  constructor(layers: Layer[] = [], options: SequentialOptions = {}) {
    if (!Array.isArray(layers)) throw new ValueError(`Sequential: layers must be an array of layers, got ${describe(layers)}`);
    if (options === null || typeof options !== 'object') throw new ValueError(`Sequential: options must be an object, got ${describe(options)}`);
    const name = options.name ?? 'sequential';
    if (typeof name !== 'string' || name === '') throw new ValueError(`Sequential: option 'name' must be a non-empty string, got ${fmtValue(name)}`);
    super(OWN_TOPOLOGY, name);
    if (options.inputShape !== undefined) this.inputShape = checkInputShape(options.inputShape, 'Sequential');
    for (const l of layers) this.add(l);
    if (this.inputShape) this.build(this.inputShape);
  }

  /** Appends a layer (names it uniquely if unnamed); builds it when the model's shape is known. */
  add(layer: Layer): this {
    if (!(layer instanceof Layer)) throw new ValueError(`${this.name}.add: expected a layer (nn.*), got ${describe(layer)}`);
    const index = this.layerIndex();
    if (index.layers.has(layer)) throw new ValueError(`${this.name}.add: layer '${layer.name}' is already in the model`);
    const givenName = layer.name;
    if (!layer.name) {
      layer.name = index.names.next(layer.baseName);
    } else if (index.names.has(layer.name)) {
      throw new ValueError(`${this.name}.add: a layer named '${layer.name}' is already in the model; layer names must be unique`);
    }
    const prevInputShape = this.inputShape;
    if (this.layers.length === 0 && !this.inputShape && layer.declaredInputShape) this.inputShape = layer.declaredInputShape.slice();
    this.layers.push(layer);
    index.layers.add(layer);
    index.names.add(layer.name);
    index.count++;
    try {
      if (this.inputShape && this.layers.length > 1 && this.layers[this.layers.length - 2].built) {
        layer.build(this.layers[this.layers.length - 2].outputShape!);
      } else if (this.inputShape && this.layers.length === 1) {
        layer.build(this.inputShape);
      }
    } catch (e) {
      // A layer that does not fit is not added: the model stays as it was.
      this.layers.pop();
      index.layers.delete(layer);
      index.names.delete(layer.name);
      index.count--;
      layer.name = givenName;
      this.inputShape = prevInputShape;
      throw e;
    }
    return this;
  }

  /** The layers and their names as sets, so adding a layer costs the same at any depth; rebuilt if `layers` was changed directly. */
  private layerIndex(): { layers: Set<Layer>; names: LayerNames; count: number } {
    if (!this.index || this.index.count !== this.layers.length) {
      const names = new LayerNames();
      for (const l of this.layers) names.add(l.name);
      this.index = { layers: new Set(this.layers), names, count: this.layers.length };
    }
    return this.index;
  }

  /** Builds every layer for one sample's input shape (no batch axis). */
  override build(inputShape: readonly number[]): void {
    const shape = checkInputShape(inputShape, this.name);
    if (this.inputShape && !sameShape(this.inputShape, shape)) {
      throw new ShapeError(`${this.name}: built for input ${fmtBatchShape(this.inputShape)}, cannot build for ${fmtBatchShape(shape)}`);
    }
    this.inputShape = shape;
    let s: number[] = shape;
    for (const l of this.layers) s = l.build(s);
  }

  override get built(): boolean { return this.inputShape !== null && this.layers.every((l) => l.built); }

  /** One sample's output shape (null until built). */
  override get outputShape(): number[] | null {
    if (!this.built) return null;
    return this.layers.length ? this.layers[this.layers.length - 1].outputShape!.slice() : this.inputShape!.slice();
  }

  /** Runs the layers on a batch; builds the model from x's shape on first use. */
  override forward(x: Tensor, options: ApplyOptions = {}): Tensor {
    if (!(x instanceof Tensor)) throw new ValueError(`${this.name}.forward: x must be a Tensor, got ${describe(x)}`);
    checkInput(this, x, 'forward');
    let y = x;
    for (const l of this.layers) y = l.apply(y, options);
    return y;
  }

  protected override topologyJSON(): TopologyJSON {
    return {
      className: 'Sequential',
      name: this.name,
      inputShape: this.inputShape ? this.inputShape.slice() : null,
      layers: this.layers.map((l) => l.toJSON()),
    };
  }

  /**
   * Rebuilds a model from toJSON() output (object or string) and weights.bin bytes. Without
   * weights the layers are freshly initialised. FormatError for anything malformed or mismatched.
   */
  static override fromJSON(json: ModelJSON | string, weights?: Uint8Array | ArrayBuffer | ArrayBufferView): Sequential {
    return modelFromJSON(json, weights, (layers, topology) => topology.className === 'Functional'
      ? fail('describes a "Functional" (graph) model: load it with Model.load or Model.fromJSON')
      : 
      new Sequential(layers, { name: topology.name, ...(topology.inputShape ? { inputShape: topology.inputShape } : {}) }));
  }

  /**
   * Loads a model saved by `save`: a directory or model.json path (Node), a URL (fetch: a
   * model.json URL, a directory URL, or packed bytes), packed bytes, a fetch Response, or
   * `{ modelJson, weights }`.
   */
  static override async load(source: LoadSource): Promise<Sequential> {
    const { json, weights } = await readModel(source);
    return Sequential.fromJSON(json, weights);
  }
}

const fail = (msg: string): never => { throw new FormatError(`load: model.json ${msg}`); };

registerSavedModelLoader((json, weights) => Sequential.fromJSON(json, weights));
