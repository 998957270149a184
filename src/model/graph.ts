// The topology of a graph model and its execution. The graph is read once, at construction, from
// the outputs back to the inputs through the nodes that layer.apply recorded: checked (inputs come
// from nn.input, every input reaches an output and every output depends only on the inputs, no
// cycle), put in execution order, and its unnamed layers named Keras-style (conv2d, conv2d_1, ...).
// Running it calls each node in that order; without a gradient tape an intermediate batch is freed
// as soon as its last consumer has run (with one, tidy frees what backward does not need).
import { Tensor, isGradEnabled } from '../tensor.js';
import { ValueError } from '../errors.js';
import { describe } from '../ops/util.js';
import type { Layer } from '../nn/layer.js';
import { InputLayer } from '../nn/input.js';
import { SymbolicTensor, type GraphNode } from '../nn/symbolic.js';
import { LayerNames } from './layer-names.js';

export interface Topology {
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** Every node in execution order, the inputs' nodes first (in inputs order). */
  nodes: GraphNode[];
  /** Each layer once, in the order of its first node. */
  layers: Layer[];
  /** How many times each tensor is read: by nodes of this graph, plus once per model output. */
  uses: Map<SymbolicTensor, number>;
}

const layerLabel = (l: Layer): string => `'${l.name || l.baseName}' (${l.className})`;

/** Symbolic tensors from `value` (one or an array); ValueError naming `what` otherwise. */
function symbolicList(where: string, what: string, value: unknown): SymbolicTensor[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new ValueError(`${where}: ${what} must not be empty`);
  list.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) {
      throw new ValueError(`${where}: ${what}${Array.isArray(value) ? `[${i}]` : ''} must be a symbolic tensor (from nn.input or layer.apply), got ${describe(t)}`);
    }
  });
  return list as SymbolicTensor[];
}

/** Reads, checks, orders and names the graph between `inputs` and `outputs`. */
export function buildTopology(where: string, inputsArg: unknown, outputsArg: unknown): Topology {
  const inputs = symbolicList(where, 'inputs', inputsArg);
  const outputs = symbolicList(where, 'outputs', outputsArg);
  const inputNodes = new Set<GraphNode>();
  inputs.forEach((t, i) => {
    if (!(t.node.layer instanceof InputLayer) || t.node.inputs.length > 0) {
      throw new ValueError(`${where}: inputs[${i}] is the output of layer ${layerLabel(t.layer)}, not an nn.input() tensor`);
    }
    if (inputNodes.has(t.node)) throw new ValueError(`${where}: input ${layerLabel(t.layer)} is given twice`);
    inputNodes.add(t.node);
  });

  // Depth-first from the outputs; post-order is an execution order. A node met again while its
  // own inputs are still being visited closes a cycle.
  const state = new Map<GraphNode, 'visiting' | 'done'>();
  const order: GraphNode[] = [];
  for (const out of outputs) {
    const stack: [GraphNode, number][] = [[out.node, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (next === 0) {
        const s = state.get(node);
        if (s === 'done') { stack.pop(); continue; }
        if (s === 'visiting') throw new ValueError(`${where}: the graph has a cycle through layer ${layerLabel(node.layer)}`);
        state.set(node, 'visiting');
        if (node.inputs.length === 0 && !inputNodes.has(node)) {
          throw new ValueError(`${where}: the outputs depend on ${layerLabel(node.layer)}, which is not among the model's inputs`);
        }
      }
      if (next < node.inputs.length) {
        top[1]++;
        const child = node.inputs[next].node;
        if (state.get(child) === 'visiting') throw new ValueError(`${where}: the graph has a cycle through layer ${layerLabel(child.layer)}`);
        if (state.get(child) !== 'done') stack.push([child, 0]);
      } else {
        state.set(node, 'done');
        order.push(node);
        stack.pop();
      }
    }
  }
  inputs.forEach((t, i) => {
    if (!state.has(t.node)) throw new ValueError(`${where}: inputs[${i}], ${layerLabel(t.layer)}, is not connected to the outputs`);
  });
  const nodes = [...inputs.map((t) => t.node), ...order.filter((n) => !inputNodes.has(n))];
  const layers = [...new Set(nodes.map((n) => n.layer))];
  nameLayers(where, layers);
  const uses = new Map<SymbolicTensor, number>();
  const use = (t: SymbolicTensor) => uses.set(t, (uses.get(t) ?? 0) + 1);
  for (const n of nodes) n.inputs.forEach(use);
  outputs.forEach(use);
  return { inputs, outputs, nodes, layers, uses };
}

/** Names unnamed layers baseName, baseName_1, ...; ValueError when two layers share a name. */
function nameLayers(where: string, layers: readonly Layer[]): void {
  const byName = new Map<string, Layer>();
  const names = new LayerNames();
  for (const l of layers) {
    if (!l.name) continue;
    const other = byName.get(l.name);
    if (other) throw new ValueError(`${where}: two layers are named '${l.name}' (${other.className} and ${l.className}); layer names must be unique in a model`);
    byName.set(l.name, l);
    names.add(l.name);
  }
  for (const l of layers) {
    if (l.name) continue;
    l.name = names.next(l.baseName);
    names.add(l.name);
  }
}

/**
 * Runs the graph on one batch per input; returns one batch per output. Without a gradient tape
 * each intermediate batch is freed once its last reader has run (never the caller's inputs).
 */
export function runGraph(t: Topology, xs: readonly Tensor[], training: boolean): Tensor[] {
  const values = new Map<SymbolicTensor, Tensor>();
  // How many values hold each batch (a layer may hand its input on), so freeing one is O(1).
  const holders = new Map<Tensor, number>();
  const hold = (s: SymbolicTensor, x: Tensor) => {
    values.set(s, x);
    holders.set(x, (holders.get(x) ?? 0) + 1);
  };
  const release = (s: SymbolicTensor): Tensor => {
    const x = values.get(s)!;
    values.delete(s);
    const left = holders.get(x)! - 1;
    if (left > 0) holders.set(x, left); else holders.delete(x);
    return x;
  };
  t.inputs.forEach((s, i) => hold(s, xs[i]));
  const eager = !isGradEnabled();
  const pending = new Map(t.uses);
  const inputNodes = new Set(t.inputs.map((s) => s.node));
  const stillHeld = (x: Tensor) => xs.includes(x) || holders.has(x);
  try {
    for (const node of t.nodes) {
      if (inputNodes.has(node)) continue;
      const outs = node.layer.callNode(node.inputs.map((s) => values.get(s)!), training);
      node.outputs.forEach((s, i) => hold(s, outs[i]));
      if (!eager) continue;
      for (const s of node.outputs) {
        if (t.uses.has(s)) continue;
        const x = release(s); // an output nothing reads (e.g. of a nested model with several)
        if (!stillHeld(x)) x.dispose();
      }
      for (const s of node.inputs) {
        const left = pending.get(s)! - 1;
        pending.set(s, left);
        if (left > 0) continue;
        const x = release(s);
        if (!stillHeld(x)) x.dispose();
      }
    }
    return t.outputs.map((s) => values.get(s)!);
  } catch (e) {
    if (eager) for (const x of new Set(values.values())) if (!xs.includes(x)) x.dispose();
    throw e;
  }
}
