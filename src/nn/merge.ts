// Merge layers (Keras): combine several inputs into one. add, subtract (exactly two), multiply,
// average and maximum are elementwise over inputs of one shape; multiply also broadcasts axes of
// size 1 (the [B,1,1,C] x [B,H,W,C] gate of squeeze-and-excitation). concatenate joins along an
// axis. They take an array of inputs, symbolic (graph models) or Tensors.
import { Tensor, sameShape } from '../tensor.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { ops } from './ops.js';
import { Layer, type LayerOptions, checkKeys, fmtBatchShape } from './layer.js';

/** The shared part: input count and shape checks, build from shapes, batch checks at call time. */
export abstract class Merge extends Layer {
  /** Exactly this many inputs (subtract: 2), or null for two or more. */
  protected readonly arity: number | null = null;
  /** Sample shapes of the inputs once built. */
  inputShapes: number[][] | null = null;

  /** One sample's output shape for the inputs' sample shapes; ShapeError naming the layer. */
  protected abstract mergeShapes(shapes: readonly (readonly number[])[]): number[];

  /** The computation on checked batches. */
  protected abstract merge(xs: readonly Tensor[]): Tensor;

  computeOutputShape(shape: readonly number[]): number[] {
    throw new ValueError(`${this.label}: a merge layer takes an array of inputs, got one input of shape ${fmtBatchShape(shape)}`);
  }

  protected call(): Tensor { throw new ValueError(`${this.label}: a merge layer takes an array of inputs`); }

  override buildNode(inputShapes: readonly (readonly number[])[]): number[][] {
    this.checkCount(inputShapes.length);
    const out = this.mergeShapes(inputShapes);
    this.inputShapes = inputShapes.map((s) => s.slice());
    this.inputShape ??= inputShapes[0].slice();
    this.outputShape ??= out.slice();
    return [out];
  }

  override callNode(inputs: readonly Tensor[], training: boolean): Tensor[] {
    void training;
    this.checkCount(inputs.length);
    inputs.forEach((x, i) => {
      if (!(x instanceof Tensor)) throw new ValueError(`${this.label}: input ${i} must be a Tensor, got ${describe(x)}`);
      x._checkLive(this.label, `input ${i}`);
      if (x.rank < 1) throw new ShapeError(`${this.label}: input ${i} must have a batch axis, got a scalar`);
      if (x.dtype !== 'float32') throw new ValueError(`${this.label}: input ${i} must be float32, got ${x.dtype} ${fmtShape(x.shape)}`);
    });
    if (inputs.some((x) => x.shape[0] !== inputs[0].shape[0])) {
      throw new ShapeError(`${this.label}: inputs hold different batch sizes (${inputs.map((x) => fmtShape(x.shape)).join(', ')})`);
    }
    this.buildNode(inputs.map((x) => x.shape.slice(1)));
    return [this.merge(inputs)];
  }

  private checkCount(n: number): void {
    if (this.arity !== null && n !== this.arity) throw new ValueError(`${this.label}: expects exactly ${this.arity} inputs, got ${n}`);
    if (n < 2) throw new ValueError(`${this.label}: expects an array of at least 2 inputs, got ${n}`);
  }

  protected shapesText(shapes: readonly (readonly number[])[]): string {
    return shapes.map((s) => fmtBatchShape(s)).join(', ');
  }

  protected config(): Record<string, unknown> { return {}; }
}

/** Elementwise merges: inputs of one shape (or broadcastable with axes of 1 when `broadcasts`). */
abstract class ElementwiseMerge extends Merge {
  protected readonly broadcasts: boolean = false;

  constructor(opts: LayerOptions | undefined, layerType: string) {
    super(opts, layerType);
    checkKeys(layerType, opts, []);
  }

  protected mergeShapes(shapes: readonly (readonly number[])[]): number[] {
    if (!this.broadcasts) {
      if (shapes.some((s) => !sameShape(s, shapes[0]))) {
        throw new ShapeError(`${this.label}: inputs must all have one shape, got ${this.shapesText(shapes)}`);
      }
      return shapes[0].slice();
    }
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) {
      throw new ShapeError(`${this.label}: inputs must have one rank, got ${this.shapesText(shapes)}`);
    }
    const out = shapes[0].slice();
    for (const s of shapes) {
      for (let i = 0; i < rank; i++) {
        if (s[i] === out[i] || s[i] === 1) continue;
        if (out[i] === 1) { out[i] = s[i]; continue; }
        throw new ShapeError(`${this.label}: inputs cannot be broadcast together (axis ${i + 1} is ${out[i]} and ${s[i]}), got ${this.shapesText(shapes)}`);
      }
    }
    return out;
  }
}

export class Add extends ElementwiseMerge {
  readonly className: string = 'Add';
  readonly baseName: string = 'add';
  constructor(opts?: LayerOptions) { super(opts, 'add'); }
  protected merge(xs: readonly Tensor[]): Tensor { return sumAll(xs); }
}

export class Subtract extends ElementwiseMerge {
  readonly className: string = 'Subtract';
  readonly baseName: string = 'subtract';
  protected override readonly arity: number | null = 2;
  constructor(opts?: LayerOptions) { super(opts, 'subtract'); }
  protected merge(xs: readonly Tensor[]): Tensor { return ops.sub(xs[0], xs[1]); }
}

export class Multiply extends ElementwiseMerge {
  readonly className: string = 'Multiply';
  readonly baseName: string = 'multiply';
  protected override readonly broadcasts: boolean = true;
  constructor(opts?: LayerOptions) { super(opts, 'multiply'); }
  protected merge(xs: readonly Tensor[]): Tensor { return fold(xs, ops.mul); }
}

export class Average extends ElementwiseMerge {
  readonly className: string = 'Average';
  readonly baseName: string = 'average';
  constructor(opts?: LayerOptions) { super(opts, 'average'); }
  protected merge(xs: readonly Tensor[]): Tensor {
    const sum = sumAll(xs);
    const out = ops.mul(sum, 1 / xs.length);
    if (!out.requiresGrad) sum.dispose();
    return out;
  }
}

export class Maximum extends ElementwiseMerge {
  readonly className: string = 'Maximum';
  readonly baseName: string = 'maximum';
  constructor(opts?: LayerOptions) { super(opts, 'maximum'); }
  protected merge(xs: readonly Tensor[]): Tensor { return fold(xs, ops.maximum); }
}

export interface ConcatenateOptions extends LayerOptions {
  /** Axis of the full shape (batch is axis 0, which cannot be joined); default -1. */
  axis?: number;
}

export class Concatenate extends Merge {
  readonly className: string = 'Concatenate';
  readonly baseName: string = 'concatenate';
  readonly axis: number;

  constructor(opts?: ConcatenateOptions) {
    const L = 'concatenate';
    super(opts, L);
    checkKeys(L, opts, ['axis']);
    const axis = opts?.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isInteger(axis) || axis === 0) {
      throw new ValueError(`${L}: option 'axis' must be a non-zero integer (axis 0 is the batch), got ${fmtValue(axis)}`);
    }
    this.axis = axis;
  }

  /** The axis of one sample's shape (the full shape's axis minus the batch). */
  private sampleAxis(rank: number, shapes: readonly (readonly number[])[]): number {
    const full = this.axis < 0 ? this.axis + rank + 1 : this.axis;
    if (full < 1 || full > rank) throw new ShapeError(`${this.label}: axis ${this.axis} is out of range for inputs ${this.shapesText(shapes)}`);
    return full - 1;
  }

  protected mergeShapes(shapes: readonly (readonly number[])[]): number[] {
    const rank = shapes[0].length;
    if (shapes.some((s) => s.length !== rank)) throw new ShapeError(`${this.label}: inputs must have one rank, got ${this.shapesText(shapes)}`);
    const ax = this.sampleAxis(rank, shapes);
    if (shapes.some((s) => s.some((d, i) => i !== ax && d !== shapes[0][i]))) {
      throw new ShapeError(`${this.label}: inputs must match on every axis but axis ${ax + 1}, got ${this.shapesText(shapes)}`);
    }
    const out = shapes[0].slice();
    out[ax] = shapes.reduce((n, s) => n + s[ax], 0);
    return out;
  }

  protected merge(xs: readonly Tensor[]): Tensor {
    return ops.concat(xs, this.sampleAxis(xs[0].rank - 1, xs.map((x) => x.shape.slice(1))) + 1);
  }

  protected override config(): Record<string, unknown> { return { axis: this.axis }; }
}

/** Left fold of a binary op, freeing the partial results. */
function fold(xs: readonly Tensor[], op: (a: Tensor, b: Tensor) => Tensor): Tensor {
  let acc = op(xs[0], xs[1]);
  for (let i = 2; i < xs.length; i++) {
    const next = op(acc, xs[i]);
    if (!next.requiresGrad) acc.dispose(); // nothing recorded: no backward reads it
    acc = next;
  }
  return acc;
}

function sumAll(xs: readonly Tensor[]): Tensor { return fold(xs, ops.add); }
