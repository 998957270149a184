// The end of a register tile of the direct conv kernels (depthwise, grouped): the fused relu and
// the stores of four output pixels' accumulators.
import { Activation } from '../activation';

/** Stores a0..a3 (after relu when act == Activation.Relu) at yp, yp + yStep, yp + 2 yStep, yp + 3 yStep. */
@inline export function storeQuad(yp: usize, yStep: usize, a0: v128, a1: v128, a2: v128, a3: v128, act: i32): void {
  if (act == Activation.Relu) {
    const zero = f32x4.splat(0);
    a0 = f32x4.max(a0, zero); a1 = f32x4.max(a1, zero);
    a2 = f32x4.max(a2, zero); a3 = f32x4.max(a3, zero);
  }
  v128.store(yp, a0);
  v128.store(yp + yStep, a1);
  v128.store(yp + (yStep << 1), a2);
  v128.store(yp + (yStep << 1) + yStep, a3);
}
