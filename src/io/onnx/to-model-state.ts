// What the ONNX -> Model conversion shares while it walks the graph: the constants (initializers and
// Constant nodes, on the host), the symbolic value of every computed tensor, the readers of each
// value (for patterns such as MatMul + Add), the layer names handed out, and the layers made so far
// (freed if the conversion fails).
import { FormatError, type nn } from '../../index.js';
import type { NodeMsg } from './proto.js';
import type { HostConst } from './tensor-data.js';

/** A constant with the name it has in the file. */
export type NamedConst = HostConst & { name: string };

/** A computed value: its symbolic tensor (NHWC when 4-D in the file) and what the converters track about it. */
export interface SymValue {
  t: nn.SymbolicTensor;
  /** Every element is >= 0 (after relu-like ops), so zero padding is as good as -infinity for max pooling. */
  nonNegative: boolean;
  /** [C, H, W] when this is an image flattened here in NHWC order (with H*W > 1) whose file order is C, H, W. */
  chw: [number, number, number] | null;
  /** A 4-D value that is NHWC in the file too (after a Transpose to NHWC, as toOnnx writes around its graph); otherwise NCHW there. */
  nhwcInFile?: boolean;
}

/** The label errors name a node by: `node 'name' (OpType)`, or its index when it has no name. */
export function nodeLabel(node: NodeMsg, index: number): string {
  return `node '${node.name || `#${index}`}' (${node.opType ?? ''})`;
}

/** Unique layer names valid in a model (no '/' or spaces), made from ONNX names. */
export class NameTable {
  private readonly taken = new Set<string>();

  /** `raw` made valid ('/a/b/Conv' -> 'a_b_Conv'), then made unique with _1, _2, ... */
  take(raw: string, fallback = 'layer'): string {
    const base = raw.replace(/[/\s]+/g, '_').replace(/^_+|_+$/g, '') || fallback;
    let name = base;
    for (let n = 1; this.taken.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    return name;
  }
}

export class ConversionState {
  readonly consts = new Map<string, NamedConst>();
  readonly values = new Map<string, SymValue>();
  readonly readers = new Map<string, NodeMsg[]>();
  /** Nodes already expressed by an earlier node's layer (the Add of a MatMul + Add). */
  readonly consumed = new Set<NodeMsg>();
  readonly names = new NameTable();
  readonly layers: nn.Layer[] = [];

  constructor(readonly opset: number, readonly nodes: NodeMsg[]) {}

  /** A layer made for the graph: freed with the others if the conversion fails. */
  track<L extends nn.Layer>(layer: L): L {
    this.layers.push(layer);
    return layer;
  }

  disposeLayers(): void {
    for (const l of this.layers.splice(0)) l.dispose();
  }

  /** The computed (non-constant) value `name`, read by the node `label`. */
  value(name: string | undefined, label: string, what: string): SymValue {
    const v = name ? this.values.get(name) : undefined;
    if (!v) {
      const kind = name && this.consts.has(name) ? 'a constant' : 'missing';
      throw new FormatError(`Model.fromOnnx: ${label}: input ${what} is ${kind}; a layer needs a value computed from the graph's inputs here`);
    }
    return v;
  }

  /** The float constant `name` read by `label` as `what`, or null when the input is absent (and optional). */
  floatConst(name: string | undefined, label: string, what: string, optional = false): NamedConst | null {
    if (!name) {
      if (optional) return null;
      throw new FormatError(`Model.fromOnnx: ${label}: input ${what} is missing`);
    }
    const c = this.consts.get(name);
    if (!c || !c.float) {
      throw new FormatError(`Model.fromOnnx: ${label}: input ${what} ('${name}') must be a float initializer or constant (a trainable weight), got ${c ? 'an integer constant' : 'a computed value'}`);
    }
    return c;
  }

  /** Makes `output` (of the node `label`) the value `v`. */
  define(output: string | undefined, v: SymValue): void {
    if (output) this.values.set(output, v);
  }
}
