// What an op handler works with: the state the whole graph's compilation shares (`GraphState`)
// and one node seen through named accessors (`NodeContext`): its inputs, attributes and output,
// checked at load time with errors that name the node, and its values read at run time.
import { keep, tidy, noGrad, FormatError, ShapeError, ValueError, type Tensor } from '../../index.js';
import type { NodeMsg } from './proto.js';
import { Attributes } from './attributes.js';
import { hostTensor, isFloatConst, type HostConst } from './tensor-data.js';
import { floatValue, type DType, type Env, type FloatValue, type IntValue, type Value } from './values.js';
import { checkedSize, MAX_INT_ELEMENTS, MAX_INT_ELEMENTS_PER_RUN } from './limits.js';

/** One node's work at run time: reads its inputs from `env` and sets its outputs there. */
export type Step = (env: Env) => void;

/** Compiles one node: checks it and returns its step, or null when it needs none (a constant). */
export type OpHandler = (node: NodeContext) => Step | null;

export interface GraphState {
  /** The default-domain opset version the graph was written for. */
  opset: number;
  /**
   * Run-time values of constants: integer ones on the host; float ones as kept tensors in wasm
   * memory, made only for the constants some step reads (see `sharedConst`, `finishConsts`).
   */
  consts: Map<string, Value>;
  /** Every constant as decoded, for compile-time use; emptied once the graph is compiled. */
  host: Map<string, HostConst>;
  /** Float constants -> the nodes whose steps use a prepared form of them rather than the value. */
  claimed: Map<string, Set<NodeMsg>>;
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
  /**
   * Values a fused step may read after the step of the node that reads them in the graph (a
   * fusion's sources): a run frees them only when it ends. The inputs of `fused` nodes count too.
   */
  pinned: Set<string>;
}

export function newGraphState(opset: number, nodes: NodeMsg[]): GraphState {
  return {
    opset, consts: new Map(), host: new Map(), claimed: new Map(), dtypes: new Map(), uses: new Map(), readers: new Map(), graphOutputs: new Set(),
    owned: [], nodes, fused: new Set(), gelu: new Map(), pinned: new Set(),
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
  return keepTensor(graph, hostTensor(c));
}

/**
 * Records an initializer or Constant: integer ones as run-time values at once; float ones stay
 * as decoded (raw bytes of the file) until a step needs their value (sharedConst) or a handler
 * prepares them in another layout (NodeContext.preparedConst), so each weight reaches wasm
 * memory once, in the form the kernels use.
 */
export function addConst(graph: GraphState, name: string, c: HostConst): void {
  graph.host.set(name, c);
  if (isFloatConst(c)) {
    graph.dtypes.set(name, 'f');
  } else {
    graph.dtypes.set(name, 'i');
    graph.consts.set(name, { kind: 'i', dims: c.dims, data: c.ints! });
  }
}

/** The run-time tensor of float constant `name`, made in wasm memory on first use and shared by every reader. */
export function sharedConst(graph: GraphState, name: string): Tensor {
  const v = graph.consts.get(name);
  if (v && v.kind === 'f') return v.t;
  const t = constTensor(graph, graph.host.get(name)!);
  graph.consts.set(name, floatValue(t));
  return t;
}

/**
 * Once every node is compiled: makes the run-time tensors of the float constants a step reads
 * (a reader that did not claim a prepared form, or a graph output), then drops the decoded
 * constants and the tensors inside node attributes, which are views of the file's bytes: the
 * loaded model holds no reference to the file.
 */
export function finishConsts(graph: GraphState): void {
  for (const [name, c] of graph.host) {
    if (!isFloatConst(c) || graph.consts.has(name)) continue;
    const claimed = graph.claimed.get(name);
    const readers = graph.readers.get(name) ?? [];
    if (graph.graphOutputs.has(name) || readers.some((n) => !claimed?.has(n))) sharedConst(graph, name);
  }
  graph.host.clear();
  graph.claimed.clear();
  for (const n of graph.nodes) {
    for (const a of n.attribute ?? []) { a.t = null; a.tensors = []; }
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
    return c && isFloatConst(c) ? c : null;
  }

  /** The float constant `name` as the one tensor every reader shares. */
  sharedConst(name: string): Tensor {
    return sharedConst(this.graph, name);
  }

  /**
   * A form of float constant `name` only this node uses (weights in the kernels' layout),
   * computed by `prepare` from a transient tensor of the value; this node's step must not read
   * `name` itself, so the value is not kept unless another reader needs it.
   */
  preparedConst(name: string, prepare: (t: Tensor) => Tensor): Tensor {
    const claimed = this.graph.claimed.get(name);
    if (claimed) claimed.add(this.node); else this.graph.claimed.set(name, new Set([this.node]));
    const shared = this.graph.consts.get(name);
    const source = shared && shared.kind === 'f' ? shared.t : null;
    const prepared = noGrad(() => tidy(() => prepare(source ?? hostTensor(this.graph.host.get(name)!))));
    return prepared === source ? prepared : this.keep(prepared);
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
