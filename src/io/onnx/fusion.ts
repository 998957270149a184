// Patterns found before compiling, whose nodes then run as one step: the elementwise ops after a
// Conv (a residual Add, then Relu, Clip, HardSwish, x * HardSigmoid(x), x * Sigmoid(x) or Sigmoid),
// applied in place on the conv's output, and exact gelu written out with Erf.
import type { NodeMsg } from './proto.js';
import type { GraphState } from './graph-context.js';

export type ConvActivation = 'linear' | 'relu' | 'clip' | 'hardSwish' | 'silu' | 'sigmoid';

/** What a Conv's step also computes: the value it finally sets, a residual added to its output, then an activation. */
export interface ConvFusion {
  output: string;
  residual: string | null;
  activation: ConvActivation;
  clipMin: number;
  clipMax: number;
}

// Graph lookups the fusion passes share (this file's, fusion-norm.ts's and fusion-layernorm.ts's).

/** A default-domain node with one output and exactly `inputs` inputs, all present. */
export const plainNode = (n: NodeMsg, inputs: number): boolean =>
  !(n.domain ?? '') && (n.output ?? []).length === 1 && !!n.output![0] && (n.input ?? []).length === inputs && (n.input ?? []).every((i) => !!i);

/** Graph index of the node defining each value (values defined by no node are absent). */
const producers = new WeakMap<GraphState, Map<string, number>>();
function producerIndex(graph: GraphState, name: string): number {
  let m = producers.get(graph);
  if (!m) {
    m = new Map();
    for (const [i, n] of graph.nodes.entries()) for (const o of n.output ?? []) if (o) m.set(o, i);
    producers.set(graph, m);
  }
  return m.get(name) ?? -1;
}

/** The node defining value `name`, if any. */
export function producerOf(graph: GraphState, name: string): NodeMsg | undefined {
  const i = producerIndex(graph, name);
  return i < 0 ? undefined : graph.nodes[i];
}

/** The one node reading `name` when nothing else sees it (no other reader, not a graph output). */
export function onlyReader(graph: GraphState, name: string): NodeMsg | undefined {
  return !graph.graphOutputs.has(name) && graph.uses.get(name) === 1 ? graph.readers.get(name)?.[0] : undefined;
}

/**
 * The elementwise nodes a Conv's step can run in place on its output: a value read only by the
 * next node of the chain and not a graph output is never seen by any other node, so the chain
 * Conv -> [Add residual] -> [activation] becomes one step setting the last node's output. The
 * residual must be defined before the Conv (the step reads it), and an activation needs
 * constant bounds (Clip) or PyTorch's constants (HardSigmoid 1/6, 1/2). Marks the nodes fused.
 */
export function convFusion(graph: GraphState, conv: NodeMsg): ConvFusion {
  const convIndex = producerIndex(graph, conv.output![0]);
  const fusion: ConvFusion = { output: conv.output![0], residual: null, activation: 'linear', clipMin: -Infinity, clipMax: Infinity };
  const fuse = (n: NodeMsg) => { graph.fused.add(n); fusion.output = n.output![0]; };

  const add = onlyReader(graph, fusion.output);
  if (add && add.opType === 'Add' && plainNode(add, 2) && !(add.attribute ?? []).length) {
    const other = add.input![0] === fusion.output ? add.input![1] : add.input![0];
    const defined = graph.host.has(other) || producerIndex(graph, other) < convIndex;
    if (other !== fusion.output && defined && graph.dtypes.get(other) !== 'i') { fusion.residual = other; fuse(add); }
  }
  const x = fusion.output;
  const readers = graph.graphOutputs.has(x) ? [] : graph.readers.get(x) ?? [];
  const act = readers[0];
  if (readers.length === 1 && graph.uses.get(x) === 1 && plainNode(act, act.opType === 'Clip' ? (act.input ?? []).length : 1)) {
    if (act.opType === 'Relu' && !(act.attribute ?? []).length) { fusion.activation = 'relu'; fuse(act); }
    else if (act.opType === 'HardSwish' && !(act.attribute ?? []).length) { fusion.activation = 'hardSwish'; fuse(act); }
    else if (act.opType === 'Sigmoid' && !(act.attribute ?? []).length) { fusion.activation = 'sigmoid'; fuse(act); }
    else if (act.opType === 'Clip') {
      const bounds = clipBounds(graph, act);
      if (bounds) { [fusion.clipMin, fusion.clipMax] = bounds; fusion.activation = 'clip'; fuse(act); }
    }
  } else if (readers.length === 2 && graph.uses.get(x) === 2) {
    // x * Sigmoid(x) (silu) and x * HardSigmoid(x) (hard-swish): the gate reads x and only the Mul reads the gate.
    const gate = readers.find((n) => n.opType === 'Sigmoid' || n.opType === 'HardSigmoid');
    const mul = readers.find((n) => n.opType === 'Mul');
    if (gate && mul && plainNode(gate, 1) && plainNode(mul, 2) && !(mul.attribute ?? []).length && onlyReader(graph, gate.output![0]) === mul &&
        mul.input!.includes(x) && mul.input!.includes(gate.output![0]) && gateConstants(gate)) {
      fusion.activation = gate.opType === 'Sigmoid' ? 'silu' : 'hardSwish';
      graph.fused.add(gate);
      fuse(mul);
    }
  }
  return fusion;
}

/** Sigmoid without attributes, or HardSigmoid with PyTorch's alpha 1/6 and beta 1/2 (the ones ops.hardSigmoid computes). */
function gateConstants(gate: NodeMsg): boolean {
  const attrs = gate.attribute ?? [];
  if (gate.opType === 'Sigmoid') return attrs.length === 0;
  let alpha = 0.2, beta = 0.5;
  for (const a of attrs) {
    if (a.name === 'alpha') alpha = a.f ?? 0;
    else if (a.name === 'beta') beta = a.f ?? 0;
    else return false;
  }
  return Math.fround(alpha) === Math.fround(1 / 6) && beta === 0.5;
}

/** A Clip's bounds when constant: attributes before opset 11, scalar constant inputs since. */
function clipBounds(graph: GraphState, clip: NodeMsg): [number, number] | null {
  const attrs = clip.attribute ?? [];
  if (graph.opset < 11) {
    let lo = -3.4028234663852886e38, hi = 3.4028234663852886e38;
    for (const a of attrs) {
      if (a.name === 'min') lo = a.f ?? 0;
      else if (a.name === 'max') hi = a.f ?? 0;
      else return null;
    }
    return lo <= hi ? [lo, hi] : null;
  }
  if (attrs.length) return null;
  const scalar = (i: number, dflt: number): number | null => {
    const name = clip.input?.[i];
    if (!name) return dflt;
    const c = graph.host.get(name);
    return c && c.float && c.float.length === 1 ? c.float[0] : null;
  };
  const lo = scalar(1, -Infinity), hi = scalar(2, Infinity);
  return lo !== null && hi !== null && lo <= hi ? [lo, hi] : null;
}

/**
 * Finds exact gelu written out as Div(x, sqrt 2) -> Erf -> Add 1 -> Mul x -> Mul 0.5 (PyTorch's
 * export before opset 20, and toOnnx's) and runs it as one gelu kernel rather than five ops.
 */
export function fuseGelu(graph: GraphState): void {
  const readers = graph.readers;
  const only = (name: string | undefined): NodeMsg | null => {
    if (!name || graph.graphOutputs.has(name)) return null;
    const r = readers.get(name);
    return r && r.length === 1 && !(r[0].domain ?? '') && (r[0].output ?? []).length === 1 ? r[0] : null;
  };
  const scalar = (name: string | undefined): number | null => {
    const c = name ? graph.host.get(name) : undefined;
    return c && c.float && c.float.length === 1 ? c.float[0] : null;
  };
  const near = (v: number | null, want: number) => v !== null && Math.abs(v - want) < 1e-5;
  const byOutput = new Map<string, NodeMsg>();
  for (const n of graph.nodes) for (const o of n.output ?? []) if (o) byOutput.set(o, n);
  for (const erf of graph.nodes) {
    if (erf.opType !== 'Erf' || (erf.domain ?? '') || (erf.attribute ?? []).length) continue;
    const div = byOutput.get(erf.input?.[0] ?? '');
    if (!div || (div.input ?? []).length !== 2 || only(div.output?.[0]) !== erf) continue;
    const [x, c] = div.input!;
    if (!(div.opType === 'Div' && near(scalar(c), Math.SQRT2)) && !(div.opType === 'Mul' && near(scalar(c), Math.SQRT1_2))) continue;
    const add = only(erf.output?.[0]);
    if (!add || add.opType !== 'Add' || !near(scalar(add.input!.find((i) => i !== erf.output![0])), 1)) continue;
    const mul1 = only(add.output?.[0]);
    if (!mul1 || mul1.opType !== 'Mul' || !(mul1.input ?? []).includes(x)) continue;
    const mul2 = only(mul1.output?.[0]);
    if (!mul2 || mul2.opType !== 'Mul' || !near(scalar(mul2.input!.find((i) => i !== mul1.output![0])), 0.5)) continue;
    for (const n of [div, erf, add, mul1]) graph.fused.add(n);
    graph.gelu.set(mul2, x);
  }
}
