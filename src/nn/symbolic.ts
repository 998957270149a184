// Symbolic tensors and graph nodes: what `layer.apply` returns when given a symbolic input instead
// of data. A node records one application of a layer (its input symbolic tensors and the outputs it
// made); a symbolic tensor knows its shape (batch axis unknown) and the node and output index that
// produced it. Models read the graph from these links (src/model/graph.ts).
import type { Layer } from './layer.js';

/** One application of a layer to symbolic inputs. A layer applied twice has two nodes. */
export class GraphNode {
  readonly outputs: SymbolicTensor[];

  constructor(readonly layer: Layer, readonly inputs: readonly SymbolicTensor[], outputShapes: readonly (readonly number[])[]) {
    this.outputs = outputShapes.map((s, i) => new SymbolicTensor(s, this, i));
  }
}

/** A placeholder for a batch of tensors in a graph: its shape is known except the batch axis. */
export class SymbolicTensor {
  /** One sample's shape (no batch axis). */
  readonly sampleShape: readonly number[];

  constructor(sampleShape: readonly number[], readonly node: GraphNode, readonly outputIndex: number) {
    this.sampleShape = sampleShape.slice();
  }

  /** The shape with the batch axis as null, as Keras: [null, 32, 32, 3]. */
  get shape(): (number | null)[] { return [null, ...this.sampleShape]; }

  /** Rank including the batch axis. */
  get rank(): number { return this.sampleShape.length + 1; }

  /** The layer whose application produced this tensor. */
  get layer(): Layer { return this.node.layer; }

  toString(): string {
    return `SymbolicTensor((None${this.sampleShape.map((d) => `, ${d}`).join('')}), from '${this.node.layer.name || this.node.layer.baseName}')`;
  }
}

/** True for a symbolic tensor or a non-empty array holding only symbolic tensors. */
export function isSymbolic(x: unknown): x is SymbolicTensor | readonly SymbolicTensor[] {
  if (x instanceof SymbolicTensor) return true;
  return Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof SymbolicTensor);
}
