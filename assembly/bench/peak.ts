// The bench-only peak loops. peakMadd: a register-only multiply-add loop that measures this
// engine's practical f32x4 peak, the yardstick bench/gemm.mjs divides GEMM GFLOP/s by. No memory
// traffic, no allocation.
//
// Twelve independent chains acc = acc * vm + va (mul + add, or one fused relaxed_madd in the
// relaxed build) plus the two constants make 14 live v128: as many as V8's 15 wasm vector
// registers hold without spilling, and enough chains to cover the mul+add (or FMA) latency at
// full throughput. With |vm| < 1 each chain converges to va / (1 - vm) = 2: no overflow, no
// subnormals to slow the loop down. FLOPs = iters * 12 chains * 4 lanes * 2 = iters * 12 * 8.
import { madd } from '../simd';


/** Number of independent accumulator chains in peakMadd (FLOPs per iteration = chains * 8). */
export function peakMaddChains(): i32 {
  return 12;
}

export function peakMadd(iters: i32): f32 {
  return peakLoop(iters, false);
}

/**
 * peakMadd's twelve chains plus twelve independent integer operations per iteration: a probe of
 * whether this core's front end (instruction decode/dispatch) is shared right now. On a core of
 * its own the FP ports bound both loops and this one takes the same time as peakMadd (ratio
 * ~1.0); when the core's SMT sibling is busy (a cloud vCPU whose twin runs another tenant) the
 * front end is split and the extra instructions cost time (ratio 1.2-1.5), and so
 * does every instruction of a GEMM that is not a multiply or an add. bench/gemm.mjs times it next
 * to each GEMM sample to tell quiet-core samples from shared-core ones.
 */
export function peakMaddIntHeavy(iters: i32): f32 {
  return peakLoop(iters, true);
}

/** The two loops above: `withInts` is a constant at each (inlined) call, so each gets its own loop. */
// @ts-ignore: decorator
@inline
function peakLoop(iters: i32, withInts: bool): f32 {
  // Derived from the argument so no optimiser can fold the loop away.
  const seed = <f32>(iters & 1) * <f32>0.0;
  const vm = f32x4.splat(<f32>0.5 + seed);
  const va = f32x4.splat(<f32>1.0 + seed);
  let acc0 = f32x4.splat(<f32>0.10 + seed);
  let acc1 = f32x4.splat(<f32>0.20 + seed);
  let acc2 = f32x4.splat(<f32>0.30 + seed);
  let acc3 = f32x4.splat(<f32>0.40 + seed);
  let acc4 = f32x4.splat(<f32>0.50 + seed);
  let acc5 = f32x4.splat(<f32>0.60 + seed);
  let acc6 = f32x4.splat(<f32>0.70 + seed);
  let acc7 = f32x4.splat(<f32>0.80 + seed);
  let acc8 = f32x4.splat(<f32>0.90 + seed);
  let acc9 = f32x4.splat(<f32>1.00 + seed);
  let acc10 = f32x4.splat(<f32>1.10 + seed);
  let acc11 = f32x4.splat(<f32>1.20 + seed);
  let i0 = iters, i1 = iters + 1, i2 = iters + 2, i3 = iters + 3, i4 = iters + 4, i5 = iters + 5;
  for (let i = 0; i < iters; i++) {
    acc0 = madd(acc0, vm, va);
    acc1 = madd(acc1, vm, va);
    acc2 = madd(acc2, vm, va);
    acc3 = madd(acc3, vm, va);
    acc4 = madd(acc4, vm, va);
    acc5 = madd(acc5, vm, va);
    acc6 = madd(acc6, vm, va);
    acc7 = madd(acc7, vm, va);
    acc8 = madd(acc8, vm, va);
    acc9 = madd(acc9, vm, va);
    acc10 = madd(acc10, vm, va);
    acc11 = madd(acc11, vm, va);
    if (withInts) {
      i0 += 3; i1 ^= i; i2 += 5; i3 ^= i; i4 += 7; i5 ^= i;
      i0 ^= i; i1 += 11; i2 ^= i; i3 += 13; i4 ^= i; i5 += 17;
    }
  }
  let s = f32x4.add(f32x4.add(f32x4.add(acc0, acc1), f32x4.add(acc2, acc3)),
                    f32x4.add(f32x4.add(acc4, acc5), f32x4.add(acc6, acc7)));
  s = f32x4.add(s, f32x4.add(f32x4.add(acc8, acc9), f32x4.add(acc10, acc11)));
  let r = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) +
          f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  // The integer chains feed the result so no optimiser drops them.
  if (withInts) r += <f32>((i0 ^ i1 ^ i2 ^ i3 ^ i4 ^ i5) & 1);
  return r;
}
