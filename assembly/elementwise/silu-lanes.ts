// x * sigmoid(x) in one pass, with the bits of the two passes a fused conv's 'silu' epilogue would
// otherwise run (unary Sigmoid into scratch, then binary Mul): the vector lanes run vmath's expV
// and unary.ts's sigmoid operation for operation, and a vector with a lane outside expV's range
// takes the scalar sigmoid per lane, as unaryLoop does. The constants are loaded from memory once
// per call, outside the loop: V8 rebuilds a v128.const at every use inside a loop, and the ~14 of
// an exp then cost more than its arithmetic.
import { EXP_Q0, EXP_Q1, EXP_Q2, EXP_Q3, EXP_Q4, EXP_Q5 } from '../mathfit';
import { EXP_LO, LOG2E, LN2_HI, LN2_LO, expAnyS } from '../vmath';
import { off } from '../simd';

/** The constants of siluLanes, one lane each, loaded with load32_splat. */
const K = memory.data<f32>([EXP_LO, 12582912.0, LOG2E, LN2_HI, LN2_LO, EXP_Q0, EXP_Q1, EXP_Q2, EXP_Q3, EXP_Q4, EXP_Q5, 1]);
/** The exponent bias of expV's 2^n, and the f32 sign bit, as i32 lanes. */
const BIAS127 = memory.data<i32>([127, 0x80000000]);
/** Floats per block of siluRun: one range check, then the lanes unchecked. */
const BLOCK = 32;

/** Each lane's x * sigmoid(x) (see the file's comment), given the constants splatted. */
// @ts-ignore: decorator
@inline export function siluLanes(x: v128, lo: v128, round: v128, log2e: v128, ln2hi: v128, ln2lo: v128,
                                  q0: v128, q1: v128, q2: v128, q3: v128, q4: v128, q5: v128, one: v128, bias127: v128): v128 {
  const a = f32x4.neg(f32x4.abs(x));
  // a <= 0 < EXP_HI always; NaN fails the comparison with EXP_LO.
  if (!i32x4.all_true(f32x4.ge(a, lo))) return siluScalarLanes(x);
  return siluInRange(x, a, round, log2e, ln2hi, ln2lo, q0, q1, q2, q3, q4, q5, one, bias127);
}

/** Per lane, all ones when -|x| is in expV's range (sign: the sign bit in each lane; NaN fails). */
// @ts-ignore: decorator
@inline function inRange(x: v128, sign: v128, lo: v128): v128 {
  return f32x4.ge(v128.or(x, sign), lo);
}

/** siluLanes for lanes known in range; a = -|x|. */
// @ts-ignore: decorator
@inline function siluInRange(x: v128, a: v128, round: v128, log2e: v128, ln2hi: v128, ln2lo: v128,
                             q0: v128, q1: v128, q2: v128, q3: v128, q4: v128, q5: v128, one: v128, bias127: v128): v128 {
  // expV(a). n = nearest(a * log2e) as t - ROUND with t = a * log2e + ROUND (ROUND = 1.5 * 2^23:
  // the sum's unit is 1, so it rounds half to even, as nearest does, for |a * log2e| < 2^22), and
  // t's low mantissa bits are then n itself: 2^n's exponent field is (t's bits + 127) << 23 (the
  // bits of ROUND above them shift out). The same values as nearest and trunc_sat, two
  // instructions where V8 emits about eight for trunc_sat. n = -0 becomes +0, which changes
  // neither r (a - 0 * c == a) nor the scale.
  const t = f32x4.add(f32x4.mul(a, log2e), round);
  const n = f32x4.sub(t, round);
  const r = f32x4.sub(f32x4.sub(a, f32x4.mul(n, ln2hi)), f32x4.mul(n, ln2lo));
  const scale = i32x4.shl(i32x4.add(t, bias127), 23);
  let q = q5;
  q = f32x4.add(f32x4.mul(q, r), q4);
  q = f32x4.add(f32x4.mul(q, r), q3);
  q = f32x4.add(f32x4.mul(q, r), q2);
  q = f32x4.add(f32x4.mul(q, r), q1);
  q = f32x4.add(f32x4.mul(q, r), q0);
  const e = f32x4.mul(f32x4.add(f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q)), one), scale);
  // sigmoid, then the product
  const num = v128.bitselect(one, e, f32x4.ge(x, f32x4.splat(0)));
  return f32x4.mul(x, f32x4.div(num, f32x4.add(one, e)));
}

/**
 * siluLanes for a vector with a lane outside expV's range (rare: not inlined): unary.ts's scalar
 * sigmoid per lane, then the vector product, as the two passes compute them (NaN payloads included).
 */
function siluScalarLanes(x: v128): v128 {
  const s = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(sigmoidS(f32x4.extract_lane(x, 0))),
    1, sigmoidS(f32x4.extract_lane(x, 1))), 2, sigmoidS(f32x4.extract_lane(x, 2))), 3, sigmoidS(f32x4.extract_lane(x, 3)));
  return f32x4.mul(x, s);
}

/** unary.ts's scalar sigmoid. */
function sigmoidS(x: f32): f32 {
  const e = expAnyS(-Mathf.abs(x));
  return (x >= 0 ? <f32>1 : e) / (1 + e);
}

/**
 * y[i] = x[i] * sigmoid(x[i]) for i < n (x == y allowed). Blocks of BLOCK floats whose lanes are
 * all in range run four vectors at a time without the per-vector check and branch (-|x| as x with
 * its sign bit set: the same bits as neg(abs(x))), which lets the engine overlap the four exps.
 */
// @ts-ignore: decorator
@inline export function siluRun(x: usize, y: usize, n: i32): void {
  const lo = v128.load32_splat(K), round = v128.load32_splat(K + 4), log2e = v128.load32_splat(K + 8);
  const ln2hi = v128.load32_splat(K + 12), ln2lo = v128.load32_splat(K + 16);
  const q0 = v128.load32_splat(K + 20), q1 = v128.load32_splat(K + 24), q2 = v128.load32_splat(K + 28);
  const q3 = v128.load32_splat(K + 32), q4 = v128.load32_splat(K + 36), q5 = v128.load32_splat(K + 40);
  const one = v128.load32_splat(K + 44), bias127 = v128.load32_splat(BIAS127), sign = v128.load32_splat(BIAS127 + 4);
  let i = 0;
  for (; i + BLOCK <= n; i += BLOCK) {
    const xb = x + off(i), yb = y + off(i);
    let ok = inRange(v128.load(xb), sign, lo);
    for (let j = 1; j < BLOCK / 4; j++) ok = v128.and(ok, inRange(v128.load(xb + off(4 * j)), sign, lo));
    if (i32x4.all_true(ok)) {
      for (let j = 0; j < BLOCK; j += 16) {
        const p = xb + off(j), q = yb + off(j);
        const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
        const s0 = siluInRange(v0, v128.or(v0, sign), round, log2e, ln2hi, ln2lo, q0, q1, q2, q3, q4, q5, one, bias127);
        const s1 = siluInRange(v1, v128.or(v1, sign), round, log2e, ln2hi, ln2lo, q0, q1, q2, q3, q4, q5, one, bias127);
        const s2 = siluInRange(v2, v128.or(v2, sign), round, log2e, ln2hi, ln2lo, q0, q1, q2, q3, q4, q5, one, bias127);
        const s3 = siluInRange(v3, v128.or(v3, sign), round, log2e, ln2hi, ln2lo, q0, q1, q2, q3, q4, q5, one, bias127);
        v128.store(q, s0); v128.store(q, s1, 16); v128.store(q, s2, 32); v128.store(q, s3, 48);
      }
    } else {
      for (let j = 0; j < BLOCK; j += 4) {
        v128.store(yb + off(j), siluLanes(v128.load(xb + off(j)), lo, round, log2e, ln2hi, ln2lo, q0, q1, q2, q3, q4, q5, one, bias127));
      }
    }
  }
  for (; i + 4 <= n; i += 4) {
    v128.store(y + off(i), siluLanes(v128.load(x + off(i)), lo, round, log2e, ln2hi, ln2lo, q0, q1, q2, q3, q4, q5, one, bias127));
  }
  for (; i < n; i++) {
    const v = load<f32>(x + off(i));
    const sv = sigmoidS(v);
    store<f32>(y + off(i), v * sv);
  }
}
