// Keras' summary table for a stack of layers: name (type), output shape and parameter count per
// layer, then the total, trainable and non-trainable parameter counts.
import { fmtBatchShape, type Layer } from '../nn/layer.js';

/** The table `summary()` returns for a model named `name` made of `layers` (every layer built). */
export function layerTable(name: string, layers: readonly Layer[]): string {
  const rows = layers.map((l) => [`${l.name} (${l.className})`, fmtBatchShape(l.outputShape!), String(l.countParams())]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const w0 = Math.max(29, ...rows.map((r) => r[0].length + 1));
  const w1 = Math.max(26, ...rows.map((r) => r[1].length + 1));
  const w2 = Math.max(10, ...rows.map((r) => r[2].length + 1));
  const width = w0 + w1 + w2;
  const line = (r: string[]) => (r[0].padEnd(w0) + r[1].padEnd(w1) + r[2].padEnd(w2)).trimEnd();
  let trainable = 0, total = 0;
  for (const l of layers) {
    total += l.countParams();
    for (const p of l.parameters()) trainable += p.size;
  }
  const fmt = (n: number) => n.toLocaleString('en-US');
  const out = [`Model: "${name}"`, '_'.repeat(width), line(header), '='.repeat(width)];
  rows.forEach((r, i) => {
    out.push(line(r));
    out.push(i === rows.length - 1 ? '='.repeat(width) : '_'.repeat(width));
  });
  if (rows.length === 0) out.push('='.repeat(width));
  out.push(`Total params: ${fmt(total)}`, `Trainable params: ${fmt(trainable)}`, `Non-trainable params: ${fmt(total - trainable)}`, '_'.repeat(width));
  return out.join('\n');
}
