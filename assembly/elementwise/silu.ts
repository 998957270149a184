// The one-pass silu kernel of a fused conv's 'silu' epilogue (src/ops/conv/fused.ts): the bits of
// unary Sigmoid into scratch followed by binary Mul, in one pass over the output (silu-lanes.ts).
import { siluRun } from './silu-lanes';

/** y[i] = x[i] * sigmoid(x[i]) for i < n (x == y allowed), sigmoid as unary.ts computes it. */
export function siluSigmoidMul(x: usize, y: usize, n: i32): void {
  siluRun(x, y, n);
}
