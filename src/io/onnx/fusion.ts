// Patterns found before compiling, whose nodes then run as one step: a Relu reading only a Conv
// (a fused activation), and exact gelu written out with Erf.
import type { NodeMsg } from './proto.js';
import type { GraphState } from './graph-context.js';

/** When a Conv's only reader is a Relu (and its output is not a graph output), the Relu's output name. */
export function fusableRelu(graph: GraphState, conv: NodeMsg): string | null {
  const out = conv.output?.[0];
  if (!out || graph.graphOutputs.has(out) || graph.uses.get(out) !== 1) return null;
  const next = graph.readers.get(out)?.[0];
  if (!next || next.opType !== 'Relu' || (next.domain ?? '') !== '' || (next.attribute ?? []).length || (next.output ?? []).length !== 1 || !next.output![0]) return null;
  graph.fused.add(next);
  return next.output![0];
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
