// ONNX export of the merge layers: Add, Sub, Mul, Max as chains of binary nodes in the order our
// layers fold their inputs (so the sums round alike), Average as that sum times 1/n, Concatenate
// as Concat. ONNX's numpy broadcasting covers multiply's [B,1,1,C] x [B,H,W,C] gate once both
// inputs are in one layout: if any image input is NCHW, every input is brought to NCHW (its
// channel axis is then 1, and concatenate's axis moves with it).
import { ValueError } from '../../errors.js';
import type { Merge, Concatenate } from '../../nn/merge.js';
import { NHWC_TO_NCHW, attrInt, type Flow, type GraphBuilder } from './export-builder.js';

const BINARY: Record<string, string> = { Add: 'Add', Subtract: 'Sub', Multiply: 'Mul', Maximum: 'Max', Average: 'Add' };

/** Emits one application of a merge layer over `inputs`; returns its output value. */
export function exportMerge(g: GraphBuilder, layer: Merge, inputs: readonly Flow[]): Flow {
  const base = layer.name;
  const nchw = inputs.some((x) => x.nchw);
  const xs = inputs.map((x) => (nchw ? g.toNCHW(x, base) : x));
  const rank = xs[0].rank;
  if (layer.className === 'Concatenate') {
    const axis = (layer as Concatenate).axis;
    const full = axis < 0 ? axis + rank : axis;
    return { name: g.node('Concat', xs.map((x) => x.name), base, [attrInt('axis', nchw ? NHWC_TO_NCHW.indexOf(full) : full)]), rank, nchw };
  }
  const op = BINARY[layer.className];
  if (!op) throw new ValueError(`toOnnx: layer '${base}' (${layer.className}) has no ONNX export`);
  const average = layer.className === 'Average';
  let acc = xs[0].name;
  for (let i = 1; i < xs.length; i++) {
    const last = i === xs.length - 1 && !average;
    acc = g.node(op, [acc, xs[i].name], last ? base : `${base}/${op.toLowerCase()}`);
  }
  if (average) acc = g.node('Mul', [acc, g.scalar(`${base}/reciprocal`, 1 / xs.length)], base);
  return { name: acc, rank, nchw };
}
