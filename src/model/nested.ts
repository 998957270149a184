// A graph model used as a layer of another model (Keras' nested Functional): one layer per model,
// named as the model, whose weights are the model's own (so the two share them), whose inputs
// must have the model's input shapes, and whose outputs are the model's outputs.
import type { Tensor } from '../tensor.js';
import { ShapeError, ValueError } from '../errors.js';
import { Layer, fmtBatchShape } from '../nn/layer.js';
import type { Model } from './model.js';

export class NestedModel extends Layer {
  readonly className: string = 'Functional';
  readonly baseName: string;

  constructor(readonly model: Model) {
    super({ name: model.name }, model.name);
    this.baseName = model.name;
    this.inputShape = model.inputs[0].sampleShape.slice();
    this.outputShape = model.outputShapes[0].slice();
  }

  computeOutputShape(shape: readonly number[]): number[] { return this.buildNode([shape])[0]; }

  override buildNode(inputShapes: readonly (readonly number[])[]): number[][] {
    const want = this.model.inputs.map((t) => t.sampleShape);
    if (inputShapes.length !== want.length) {
      throw new ValueError(`${this.label}: the model takes ${want.length} input${want.length === 1 ? '' : 's'}, got ${inputShapes.length}`);
    }
    inputShapes.forEach((s, i) => {
      if (s.length !== want[i].length || s.some((d, j) => d !== want[i][j])) {
        throw new ShapeError(`${this.label}: input ${i} must have shape ${fmtBatchShape(want[i])}, got ${fmtBatchShape(s)}`);
      }
    });
    return this.model.outputShapes;
  }

  override callNode(inputs: readonly Tensor[], training: boolean): Tensor[] {
    this.buildNode(inputs.map((x) => x.shape.slice(1)));
    return this.model._run(inputs, training);
  }

  protected call(x: Tensor, training: boolean): Tensor { return this.callNode([x], training)[0]; }

  /** The nested model's whole topology (its weights are saved with the outer model's). */
  protected config(): Record<string, unknown> { return { model: this.model._topologyJSON() }; }

  override parameters(): Tensor[] { return this.trainable ? this.model.parameters() : []; }
  override weights(): Tensor[] { return this.model.weights(); }
  override nonTrainableWeights(): Tensor[] {
    const trained = new Set(this.parameters());
    return this.weights().filter((w) => !trained.has(w));
  }
  override zeroGrad(): void { this.model.zeroGrad(); }
  override regularizationLoss(): Tensor | null { return this.trainable ? this.model.regularizationLoss() : null; }
  override dispose(): void { for (const l of this.model.layers) l.dispose(); }

  /** Freezing the nested model freezes each of its layers (as Keras). */
  protected override setWeightsTrainable(value: boolean): void {
    for (const l of this.model.layers) l.trainable = value;
  }
}
