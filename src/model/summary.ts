// Keras' summary tables: for a stack of layers, name (type), output shape and parameter count per
// layer; for a graph, also the tensors each layer reads; then the total, trainable and
// non-trainable parameter counts.
import type { Tensor } from '../tensor.js';
import { fmtBatchShape, type Layer } from '../nn/layer.js';
import type { Topology } from './graph.js';
import type { GraphNode } from '../nn/symbolic.js';

/** The table `summary()` returns for a model named `name` made of `layers` (every layer built). */
export function layerTable(name: string, layers: readonly Layer[]): string {
  const rows = layers.map((l) => [`${l.name} (${l.className})`, fmtBatchShape(l.outputShape!), String(l.countParams())]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const w0 = columnWidth(rows, 0, 29);
  const w1 = columnWidth(rows, 1, 26);
  const w2 = columnWidth(rows, 2, 10);
  const width = w0 + w1 + w2;
  const line = (r: string[]) => (r[0].padEnd(w0) + r[1].padEnd(w1) + r[2].padEnd(w2)).trimEnd();
  const out = [`Model: "${name}"`, '_'.repeat(width), line(header), '='.repeat(width)];
  rows.forEach((r, i) => {
    out.push(line(r));
    out.push(i === rows.length - 1 ? '='.repeat(width) : '_'.repeat(width));
  });
  if (rows.length === 0) out.push('='.repeat(width));
  out.push(...counts(layers, width));
  return out.join('\n');
}

/** The width of column `c`: its longest cell plus one, at least `min` (a loop: a spread of 100k rows overflows the stack). */
function columnWidth(rows: readonly string[][], c: number, min: number): number {
  let w = min;
  for (const r of rows) w = Math.max(w, r[c].length + 1);
  return w;
}

/** The Total / Trainable / Non-trainable lines (a weight shared by two layers counted once). */
function counts(layers: readonly Layer[], width: number): string[] {
  const size = (ts: Tensor[]) => [...new Set(ts)].reduce((n, t) => n + t.size, 0);
  const total = size(layers.flatMap((l) => l.weights()));
  const trainable = size(layers.flatMap((l) => l.parameters()));
  const fmt = (n: number) => n.toLocaleString('en-US');
  return [`Total params: ${fmt(total)}`, `Trainable params: ${fmt(trainable)}`, `Non-trainable params: ${fmt(total - trainable)}`, '_'.repeat(width)];
}

/**
 * Keras' functional table: one row per layer with its output shape, parameter count and the
 * tensors it reads ("Connected to", as `layer[node][output]`, one per line), then the counts.
 */
export function graphTable(name: string, graph: Topology): string {
  const rows: string[][] = [];
  const nodesOf = new Map<Layer, GraphNode[]>();
  for (const n of graph.nodes) {
    const list = nodesOf.get(n.layer);
    if (list) list.push(n); else nodesOf.set(n.layer, [n]);
  }
  for (const l of graph.layers) {
    const nodes = nodesOf.get(l)!;
    const shapes = nodes[0].outputs.map((t) => fmtBatchShape(t.sampleShape));
    const links = nodes.flatMap((n) => n.inputs.map((t) => `${t.layer.name}[${t.layer.inboundNodes.indexOf(t.node)}][${t.outputIndex}]`));
    rows.push([`${l.name} (${l.className})`, shapes.join(', '), String(l.countParams()), links[0] ?? '-']);
    for (const link of links.slice(1)) rows.push(['', '', '', link]);
  }
  const widths = [29, 26, 10, 20].map((min, c) => columnWidth(rows, c, min));
  const width = widths.reduce((a, b) => a + b, 0);
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c])).join('').trimEnd();
  const out = [`Model: "${name}"`, '_'.repeat(width), line(['Layer (type)', 'Output Shape', 'Param #', 'Connected to']), '='.repeat(width)];
  rows.forEach((r, i) => {
    out.push(line(r));
    const last = i === rows.length - 1;
    if (last || rows[i + 1][0] !== '') out.push(last ? '='.repeat(width) : '_'.repeat(width));
  });
  out.push(...counts(graph.layers, width));
  return out.join('\n');
}
