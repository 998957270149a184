// nn.input: the entry point of a graph model. It makes an InputLayer (no weights, passes its
// batch through) with one node and no inputs, and returns that node's symbolic output.
import type { Tensor } from '../tensor.js';
import { ValueError, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { Layer, checkKeys } from './layer.js';
import { GraphNode, type SymbolicTensor } from './symbolic.js';

export interface InputOptions {
  /** One sample's shape (no batch axis), e.g. [32, 32, 3]. */
  shape: readonly number[];
  name?: string;
}

export class InputLayer extends Layer {
  readonly className: string = 'InputLayer';
  readonly baseName: string = 'input_layer';

  constructor(opts: InputOptions) {
    const L = 'input';
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new ValueError(`${L}: expects { shape, name? }, got ${opts === undefined ? 'no options' : describe(opts)}`);
    checkKeys(L, opts, ['shape']);
    const shape = opts.shape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ValueError(`${L}: option 'shape' must be an array of positive integers (one sample, no batch axis), got ${fmtValue(shape)}`);
    }
    super({ name: opts.name, inputShape: shape }, L);
    this.build(shape);
  }

  computeOutputShape(shape: readonly number[]): number[] { return shape.slice(); }

  protected call(x: Tensor): Tensor { return x; }

  protected config(): Record<string, unknown> { return {}; }
}

/** A symbolic input of a graph model: `shape` is one sample's shape (the batch axis is left out). */
export function input(opts: InputOptions): SymbolicTensor {
  const layer = new InputLayer(opts);
  const node = new GraphNode(layer, [], [layer.outputShape!]);
  layer.inboundNodes.push(node);
  return node.outputs[0];
}
