// float32 exp and expm1 for the elementwise kernels, in f32x4 and as scalar twins that perform
// the very same operations (so a value gives the same bits whichever loop it falls in).
// exp(x) = 2^n * exp(r), n = round(x / ln2), r = x - n*ln2 (Cody-Waite: ln2 split in a 9-bit
// head, exact in n*LN2_HI, and a tail), exp(r) from the fitted polynomial in mathfit.ts.
// About 1 ulp; no FMA (plain mul + add), so baseline and relaxed builds agree.
// Valid for x in [EXP_LO, EXP_HI] (2^n stays a normal float); callers handle the rest.
import { EXP_Q0, EXP_Q1, EXP_Q2, EXP_Q3, EXP_Q4, EXP_Q5, expTaylor64, TANH_S, TANH_P0, TANH_P1, TANH_P2, TANH_P3, TANH_P4 } from './mathfit';

export const EXP_LO: f32 = -87.0;
export const EXP_HI: f32 = 88.0;
export const LOG2E: f32 = 1.44269504;
export const LN2_HI: f32 = 0.693359375;
export const LN2_LO: f32 = -2.12194440e-4;

/** expm1(r) for |r| <= ln2/2: r + r^2 * Q(r). */
// @ts-ignore: decorator
@inline function polyV(r: v128): v128 {
  let q = f32x4.splat(EXP_Q5);
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(EXP_Q4));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(EXP_Q3));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(EXP_Q2));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(EXP_Q1));
  q = f32x4.add(f32x4.mul(q, r), f32x4.splat(EXP_Q0));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q));
}

// @ts-ignore: decorator
@inline function polyS(r: f32): f32 {
  let q = EXP_Q5;
  q = q * r + EXP_Q4;
  q = q * r + EXP_Q3;
  q = q * r + EXP_Q2;
  q = q * r + EXP_Q1;
  q = q * r + EXP_Q0;
  return r + (r * r) * q;
}

/** True when every lane is in [EXP_LO, EXP_HI] (false for NaN). */
// @ts-ignore: decorator
@inline export function expRangeV(x: v128): bool {
  return i32x4.all_true(v128.and(f32x4.ge(x, f32x4.splat(EXP_LO)), f32x4.le(x, f32x4.splat(EXP_HI))));
}

// @ts-ignore: decorator
@inline export function expRangeS(x: f32): bool {
  return x >= EXP_LO && x <= EXP_HI;
}

/** exp(x), lanes in [EXP_LO, EXP_HI]. */
// @ts-ignore: decorator
@inline export function expV(x: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.add(polyV(r), f32x4.splat(1)), scale);
}

// @ts-ignore: decorator
@inline export function expS(x: f32): f32 {
  const n = nearest<f32>(x * LOG2E);
  const r = (x - n * LN2_HI) - n * LN2_LO;
  const scale = reinterpret<f32>((<i32>n + 127) << 23);
  return (polyS(r) + 1) * scale;
}

/** expm1(x) = 2^n * expm1(r) + (2^n - 1): full relative accuracy near 0. Lanes in [EXP_LO, EXP_HI] or NaN (gives NaN). */
// @ts-ignore: decorator
@inline export function expm1V(x: v128): v128 {
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.add(f32x4.mul(polyV(r), scale), f32x4.sub(scale, f32x4.splat(1)));
}

// @ts-ignore: decorator
@inline export function expm1S(x: f32): f32 {
  if (x != x) return x;
  const n = nearest<f32>(x * LOG2E);
  const r = (x - n * LN2_HI) - n * LN2_LO;
  const scale = reinterpret<f32>((<i32>n + 127) << 23);
  return polyS(r) * scale + (scale - 1);
}

/**
 * tanh(x): the fitted odd polynomial for |x| < 0.55, else expm1(2|x|) / (expm1(2|x|) + 2) with the
 * sign of x (|x| clamped at 9, where tanh is 1 in float32). About 1.5 ulp; NaN gives NaN.
 */
// @ts-ignore: decorator
@inline export function tanhV(x: v128): v128 {
  const a = f32x4.abs(x);
  const e = expm1V(f32x4.mul(f32x4.splat(2), f32x4.min(a, f32x4.splat(9))));
  const big = v128.or(v128.and(f32x4.div(e, f32x4.add(e, f32x4.splat(2))), i32x4.splat(0x7fffffff)), v128.and(x, i32x4.splat(0x80000000)));
  const u = f32x4.mul(x, x);
  const s = f32x4.sub(f32x4.mul(u, f32x4.splat(TANH_S)), f32x4.splat(1));
  let p = f32x4.splat(TANH_P4);
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TANH_P3));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TANH_P2));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TANH_P1));
  p = f32x4.add(f32x4.mul(p, s), f32x4.splat(TANH_P0));
  const small = f32x4.add(x, f32x4.mul(x, f32x4.mul(u, p)));
  return v128.bitselect(small, big, f32x4.lt(a, f32x4.splat(0.55)));
}

// @ts-ignore: decorator
@inline export function tanhS(x: f32): f32 {
  const a = Mathf.abs(x);
  if (a < 0.55) {
    const u = x * x;
    const s = u * TANH_S - 1;
    let p = TANH_P4;
    p = p * s + TANH_P3;
    p = p * s + TANH_P2;
    p = p * s + TANH_P1;
    p = p * s + TANH_P0;
    return x + x * (u * p);
  }
  const e = expm1S(2 * min<f32>(a, 9));
  return copysign<f32>(e / (e + 2), x);
}

/** exp(x) for any x: the polynomial in range, AssemblyScript's Mathf.exp outside (overflow, denormals, NaN). */
// @ts-ignore: decorator
@inline export function expAnyS(x: f32): f32 {
  return expRangeS(x) ? expS(x) : Mathf.exp(x);
}

// ---- f64x2 ---------------------------------------------------------------------------------

const LOG2E64: f64 = 1.4426950408889634;
const LN2_HI64: f64 = 6.93147180369123816490e-01; // 32 significant bits: n * LN2_HI64 is exact
const LN2_LO64: f64 = 1.90821492927058770002e-10;

/** exp(u) on two f64 lanes for u in [-700, 0] (relative error ~1e-14): Taylor degree 11 (Estrin) after reduction. */
// @ts-ignore: decorator
@inline export function expNeg64V(u: v128): v128 {
  const n = f64x2.nearest(f64x2.mul(u, f64x2.splat(LOG2E64)));
  const r = f64x2.sub(f64x2.sub(u, f64x2.mul(n, f64x2.splat(LN2_HI64))), f64x2.mul(n, f64x2.splat(LN2_LO64)));
  const p = expTaylor64(r);
  const scale = i64x2.shl(i64x2.add(i64x2.extend_low_i32x4_s(i32x4.trunc_sat_f64x2_s_zero(n)), i64x2.splat(1023)), 52);
  return f64x2.mul(p, scale);
}
