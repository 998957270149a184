// Layer normalization over the last axis written out as PyTorch exports it before opset 17:
// ReduceMean(x) -> Sub(x, mean) -> Pow(d, 2) -> ReduceMean -> Add(eps) -> Sqrt -> Div(d, _),
// then optionally Mul(gamma) and Add(beta) with constant vectors. Found before compiling and run
// as one ops.layerNorm step (one pass for the statistics, one for the output) instead of nine ops
// and seven intermediate tensors: ConvNeXt has 23 of them. Its statistics are kept in float64,
// so the values are at least as accurate as the nodes' own (not bit-identical to them).
//
// When a run's values do not fit (gamma or beta not the width of x's last axis) the step runs
// the nodes one by one.
import { ops, _profileStepKind as profileStepKind, type Tensor } from '../../index.js';
import type { NodeMsg } from './proto.js';
import { NodeContext, type GraphState, type Step } from './graph-context.js';
import { opHandler } from './ops/index.js';
import { onlyReader, plainNode, producerOf } from './fusion.js';
import { floatValue, logical, type Env } from './values.js';

/** Switch for benchmarks and tests: off, the nodes run one by one. */
export const layerNormFusionTuning = { fuse: true };

interface LayerNormPattern {
  /** Every node of the pattern in graph order; the last one's step runs it. */
  nodes: NodeMsg[];
  x: string;
  epsilon: number;
  gamma: string | null;
  beta: string | null;
}

const found = new WeakMap<GraphState, Map<NodeMsg, LayerNormPattern>>();

const plainOp = (n: NodeMsg | undefined, op: string, inputs: number): n is NodeMsg => !!n && n.opType === op && plainNode(n, inputs);

/** A ReduceMean over the last axis only, dims kept: axes [-1] as an attribute (before opset 18) or a constant input. */
function meanOverLastAxis(graph: GraphState, n: NodeMsg | undefined): n is NodeMsg {
  const axesAttribute = graph.opset < 18;
  if (!plainOp(n, 'ReduceMean', axesAttribute ? 1 : 2)) return false;
  let axes: number[] | null = null;
  for (const a of n.attribute ?? []) {
    if (a.name === 'keepdims') { if (Number(a.i ?? 1) !== 1) return false; }
    else if (a.name === 'axes' && axesAttribute) axes = (a.ints ?? []).map(Number);
    else if (!(a.name === 'noop_with_empty_axes' && !axesAttribute && !Number(a.i ?? 0))) return false;
  }
  if (!axesAttribute) axes = graph.host.get(n.input![1])?.ints ?? null;
  return !!axes && axes.length === 1 && axes[0] === -1;
}

/** The value of a constant float or integer scalar (any rank of size 1), else null. */
function scalarConst(graph: GraphState, name: string): number | null {
  const c = graph.host.get(name);
  if (!c) return null;
  const values = c.ints ?? c.float;
  return values && values.length === 1 ? Number(values[0]) : null;
}

/**
 * The name of a float constant of dims [..1, C] (a vector over the last axis) that `name` is, or
 * is an Identity of (PyTorch's exports share equal weights through Identity nodes); else null.
 */
function vectorConst(graph: GraphState, name: string): string | null {
  for (let hops = 0; hops < 8 && !graph.host.has(name); hops++) {
    const n = producerOf(graph, name);
    if (!plainOp(n, 'Identity', 1)) return null;
    name = n.input![0];
  }
  const c = graph.host.get(name);
  return c && c.ints === undefined && c.dims.length >= 1 && c.dims.slice(0, -1).every((d) => d === 1) ? name : null;
}

/**
 * Marks every layer normalization pattern's nodes fused but its last, whose step then runs it.
 * Each intermediate value must be read only inside the pattern and be no graph output.
 */
export function fuseLayerNorm(graph: GraphState): void {
  if (!layerNormFusionTuning.fuse) return;
  const only = (name: string) => onlyReader(graph, name);
  const patterns = new Map<NodeMsg, LayerNormPattern>();
  for (const mean of graph.nodes) {
    if (graph.fused.has(mean) || !meanOverLastAxis(graph, mean)) continue;
    const x = mean.input![0];
    const sub = only(mean.output![0]);
    if (!plainOp(sub, 'Sub', 2) || sub.input![0] !== x || sub.input![1] !== mean.output![0]) continue;
    const d = sub.output![0];
    const dReaders = graph.readers.get(d) ?? [];
    if (graph.graphOutputs.has(d) || dReaders.length !== 2) continue;
    const pow = dReaders.find((n) => n.opType === 'Pow');
    const div = dReaders.find((n) => n.opType === 'Div');
    if (!plainOp(pow, 'Pow', 2) || pow.input![0] !== d || scalarConst(graph, pow.input![1]) !== 2) continue;
    const variance = only(pow.output![0]);
    if (!meanOverLastAxis(graph, variance) || variance.input![0] !== pow.output![0]) continue;
    const addEps = only(variance.output![0]);
    if (!plainOp(addEps, 'Add', 2)) continue;
    const epsName = addEps.input!.find((i) => i !== variance.output![0]);
    const epsilon = epsName === undefined ? null : scalarConst(graph, epsName);
    if (epsilon === null || !(epsilon >= 0) || !Number.isFinite(epsilon)) continue;
    const sqrt = only(addEps.output![0]);
    if (!plainOp(sqrt, 'Sqrt', 1) || (sqrt.attribute ?? []).length) continue;
    if (!plainOp(div, 'Div', 2) || div.input![0] !== d || div.input![1] !== sqrt.output![0] || only(sqrt.output![0]) !== div) continue;
    const nodes = [mean, sub, pow, variance, addEps, sqrt, div];
    if (nodes.some((n) => graph.fused.has(n) || (n !== mean && n !== variance && (n.attribute ?? []).length))) continue;
    // The affine: Mul by a constant vector, then Add of one (each optional).
    let gamma: string | null = null, beta: string | null = null;
    let last = div;
    const affine = (op: string): string | null => {
      const n = only(last.output![0]);
      if (!plainOp(n, op, 2) || (n.attribute ?? []).length || graph.fused.has(n)) return null;
      const other = n.input![0] === last.output![0] ? n.input![1] : n.input![0];
      const vector = other === last.output![0] ? null : vectorConst(graph, other);
      if (!vector) return null;
      nodes.push(n);
      last = n;
      return vector;
    };
    gamma = affine('Mul');
    beta = affine('Add');
    for (const n of nodes.slice(0, -1)) graph.fused.add(n);
    patterns.set(last, { nodes, x, epsilon, gamma, beta });
  }
  found.set(graph, patterns);
}

/** The step of a layer normalization pattern's last node (null for any other node). */
export function layerNormStep(graph: GraphState, node: NodeContext): Step | null {
  const p = found.get(graph)?.get(node.node);
  if (!p) return null;
  const nodeSteps = p.nodes.map((n) => opHandler(n.opType!)!(new NodeContext(graph, n, graph.nodes.indexOf(n)))!);
  const gamma = p.gamma ? node.sharedConst(p.gamma) : null;
  const beta = p.beta ? node.sharedConst(p.beta) : null;
  const out = node.output;
  const width = (t: Tensor | null) => (t ? t.shape[t.rank - 1] : -1);
  return (env: Env) => {
    const x = logical(node.readFloat(env, p.x));
    const C = x.rank > 0 ? x.shape[x.rank - 1] : 0;
    if (C > 0 && (!gamma || width(gamma) === C) && (!beta || width(beta) === C) &&
        Math.max(gamma?.rank ?? 0, beta?.rank ?? 0) <= x.rank) {
      profileStepKind('normalization (LayerNorm)');
      env.set(out, floatValue(ops.layerNorm(x, gamma, beta, { axis: -1, epsilon: p.epsilon })));
      return;
    }
    for (const step of nodeSteps) step(env);
  };
}
