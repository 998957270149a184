// What an op handler works with: the state the whole graph's compilation shares (`GraphState`)
// and one node seen through named accessors (`NodeContext`): its inputs, attributes and output,
// checked at load time with errors that name the node, and its values read at run time.
import { keep, tensor as makeTensor, FormatError, ShapeError, ValueError, type Tensor } from '../../index.js';
import type { NodeMsg } from './proto.js';
import { Attributes } from './attributes.js';
import type { HostConst } from './tensor-data.js';
import { floatValue, type DType, type Env, type FloatValue, type IntValue, type Value } from './values.js';
import { checkedSize, MAX_INT_ELEMENTS, MAX_INT_ELEMENTS_PER_RUN } from './limits.js';

/** One node's work at run time: reads its inputs from `env` and sets its outputs there. */
export type Step = (env: Env) => void;

/** Compiles one node: checks it and returns its step, or null when it needs none (a constant). */
export type OpHandler = (node: NodeContext) => Step | null;

export interface GraphState {
  /** The default-domain opset version the graph was written for. */
  opset: number;
  /** Float constants as kept tensors, integer constants on the host. */
  consts: Map<string, Value>;
  host: Map<string, HostConst>;
  dtypes: Map<string, DType>;
  /** Number of nodes reading each value (graph outputs count as one more). */
  uses: Map<string, number>;
  /** The nodes reading each value, in graph order (a node reading a value twice is listed twice). */
  readers: Map<string, NodeMsg[]>;
  graphOutputs: Set<string>;
  /** Tensors the model owns (freed by dispose). */
  owned: Tensor[];
  nodes: NodeMsg[];
  /** Nodes folded into another node's step (a Relu into its Conv, the parts of an exact gelu). */
  fused: Set<NodeMsg>;
  /** The last node of each exact-gelu pattern -> the pattern's input. */
  gelu: Map<NodeMsg, string>;
}

export function newGraphState(opset: number, nodes: NodeMsg[]): GraphState {
  return {
    opset, consts: new Map(), host: new Map(), dtypes: new Map(), uses: new Map(), readers: new Map(), graphOutputs: new Set(),
    owned: [], nodes, fused: new Set(), gelu: new Map(),
  };
}

/** Keeps `t` alive for the model's lifetime; dispose frees it. */
export function keepTensor(graph: GraphState, t: Tensor): Tensor {
  keep(t);
  graph.owned.push(t);
  return t;
}

/** A float constant as a tensor the model owns. */
export function constTensor(graph: GraphState, c: HostConst): Tensor {
  return keepTensor(graph, makeTensor(c.float!, c.dims));
}

/** Records an initializer or Constant: float ones as kept tensors, integer ones on the host. */
export function addConst(graph: GraphState, name: string, c: HostConst): void {
  graph.host.set(name, c);
  if (c.float) {
    graph.dtypes.set(name, 'f');
    graph.consts.set(name, floatValue(constTensor(graph, c)));
  } else {
    graph.dtypes.set(name, 'i');
    graph.consts.set(name, { kind: 'i', dims: c.dims, data: c.ints! });
  }
}

/** The label errors name a node by: `node 'name' (OpType)`, or its index when it has no name. */
export function nodeLabel(node: NodeMsg, index: number): string {
  return `node '${node.name || `#${index}`}' (${node.opType ?? ''})`;
}

export class NodeContext {
  readonly label: string;
  readonly opType: string;
  /** The node's first output: the value its step computes. */
  readonly output: string;
  private readonly inputs: string[];
  private readonly outputs: string[];

  constructor(readonly graph: GraphState, readonly node: NodeMsg, index: number) {
    this.opType = node.opType ?? '';
    this.label = nodeLabel(node, index);
    const domain = node.domain ?? '';
    if (domain !== '' && domain !== 'ai.onnx') {
      throw new FormatError(`loadOnnx: ${this.label} is in domain '${domain}', which is not supported (only the default ONNX domain is)`);
    }
    this.inputs = node.input ?? [];
    this.outputs = node.output ?? [];
    const output = this.outputs[0];
    if (!output) throw new FormatError(`loadOnnx: ${this.label} has no output`);
    this.output = output;
  }

  get opset(): number { return this.graph.opset; }

  /** The node's attributes; any name outside `allowed` is a FormatError. */
  attributes(allowed: readonly string[]): Attributes {
    return new Attributes(this.label, this.node.attribute, allowed);
  }

  /** The name of input `i`, or null when it is absent or empty (an omitted optional input). */
  input(i: number): string | null {
    return i < this.inputs.length && this.inputs[i] !== '' ? this.inputs[i] : null;
  }

  /** The name of input `i`, which must be present; `what` is its name in the ONNX spec. */
  requiredInput(i: number, what: string): string {
    const name = this.input(i);
    if (name === null) throw new FormatError(`loadOnnx: ${this.label} is missing its input ${i} (${what})`);
    return name;
  }

  /** The names of all non-empty inputs (variadic ops). */
  presentInputs(): string[] {
    return this.inputs.filter((n) => n !== '');
  }

  /** The element kind of a value defined so far (graph inputs are float). */
  dtypeOf(name: string): DType {
    return this.graph.dtypes.get(name) ?? 'f';
  }

  /** Checks that the given inputs, where present, are float tensors. */
  requireFloatInputs(...indices: number[]): void {
    for (const i of indices) {
      const name = this.input(i);
      if (name && this.dtypeOf(name) !== 'f') {
        throw this.integerInputError(name);
      }
    }
  }

  /** Refuses the optional outputs past the first (training-only outputs such as a mask or statistics). */
  rejectExtraOutputs(): void {
    for (let i = 1; i < this.outputs.length; i++) {
      if (this.outputs[i]) throw new FormatError(`loadOnnx: ${this.label}: output ${i} ('${this.outputs[i]}') is not supported (inference outputs only)`);
    }
  }

  /** For ops of one float input and one float output: checks both and returns the input's name. */
  floatInOut(what: string): string {
    const name = this.requiredInput(0, what);
    this.requireFloatInputs(0);
    this.rejectExtraOutputs();
    this.declareOutput();
    return name;
  }

  /** Declares the element kind of the node's output for the nodes that read it. */
  declareOutput(dtype: DType = 'f'): void {
    this.graph.dtypes.set(this.output, dtype);
  }

  /** The value of a constant (initializer or Constant node) known at load time, if `name` is one. */
  hostConst(name: string): HostConst | undefined {
    return this.graph.host.get(name);
  }

  /** A float constant known at load time, or null when `name` is computed or integer. */
  hostFloat(name: string): HostConst | null {
    const c = this.graph.host.get(name);
    return c && c.float ? c : null;
  }

  /** Keeps a prepared weight for the model's lifetime. */
  keep(t: Tensor): Tensor {
    return keepTensor(this.graph, t);
  }

  /** A float constant as a tensor the model owns. */
  constTensor(c: HostConst): Tensor {
    return constTensor(this.graph, c);
  }

  /** Normalises an axis attribute for a value of rank `rank` (negative counts from the end). */
  axis(axis: number, rank: number): number {
    if (!Number.isInteger(axis) || axis < -rank || axis >= rank) throw new ShapeError(`${this.label}: axis ${axis} is out of range for rank ${rank}`);
    return axis < 0 ? axis + rank : axis;
  }

  private integerInputError(name: string): FormatError {
    return new FormatError(`loadOnnx: ${this.label}: input '${name}' is an integer tensor, which this op does not support`);
  }

  /**
   * At run time, before an integer result of shape `dims` is allocated: checks the shape and the
   * integer limits (limits.ts) and counts its elements against the run's budget.
   */
  reserveInts(env: Env, dims: readonly number[]): void {
    const n = checkedSize(dims, MAX_INT_ELEMENTS);
    if (typeof n === 'string') throw new ShapeError(`${this.label}: cannot make an integer tensor: ${n}`);
    if (env.intElements + n > MAX_INT_ELEMENTS_PER_RUN) {
      throw new ShapeError(`${this.label}: integer tensors of ${env.intElements + n} elements in all would pass the limit of ${MAX_INT_ELEMENTS_PER_RUN} per run`);
    }
    env.intElements += n;
  }

  /** At run time: the float value `name`. */
  readFloat(env: Env, name: string): FloatValue {
    const v = env.get(name)!;
    if (v.kind !== 'f') throw this.integerInputError(name);
    return v;
  }

  /** At run time: the integer value `name`. */
  readInt(env: Env, name: string): IntValue {
    const v = env.get(name)!;
    if (v.kind !== 'i') throw new ValueError(`${this.label}: input '${name}' must be an integer tensor`);
    return v;
  }
}
