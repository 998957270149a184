// Naive float64 references for the merge layers: a left fold of the elementwise reference (with
// NumPy broadcasting, which multiply's [B,1,1,C] gate needs) and the mean; concatenate is
// shape.ts's concatRef.
import { binaryRef, binaryFns, type Arr } from './elementwise.js';

export type MergeKind = 'add' | 'subtract' | 'multiply' | 'average' | 'maximum';

export function mergeRef(kind: MergeKind, xs: Arr[]): Arr {
  const fn = { add: binaryFns.add, subtract: binaryFns.sub, multiply: binaryFns.mul, average: binaryFns.add, maximum: binaryFns.maximum }[kind];
  let acc = xs[0];
  for (const x of xs.slice(1)) acc = binaryRef(acc, x, fn);
  if (kind === 'average') acc = { shape: acc.shape, values: acc.values.map((v) => v / xs.length) };
  return acc;
}
