// Unary elementwise kernels: math ops and activations with their gradients. As for the binary
// kernels, the op code is switched on once, outside the inlined loops.
import { erfOverZ, erfcScaled } from '../mathfit';
import { expV, expm1V, expm1S, expRangeV, expAnyS, expNeg64V, tanhV, tanhS } from '../vmath';

/** Unary op codes: the `op` argument of unary / unaryBackward (the host's copy is generated from this). */
enum UnaryOp {
  Neg = 0,
  Exp = 1,
  Log = 2,
  Sqrt = 3,
  Abs = 4,
  Relu = 5,
  /** p1 = alpha */
  LeakyRelu = 6,
  /** p1 = alpha */
  Elu = 7,
  Gelu = 8,
  Sigmoid = 9,
  Tanh = 10,
  /** p1 = min, p2 = max */
  Clip = 11,
  Relu6 = 12,
  HardSigmoid = 13,
  HardSwish = 14,
  Silu = 15,
  Softplus = 16,
  Erf = 17,
}

const SQRT1_2: f64 = 0.70710678118654752440;
const INV_SQRT_2PI: f64 = 0.39894228040143267794;

// ---- exact GELU: x * Phi(x), Phi from erf / erfc in f64 (two lanes at a time) ----------------

/** erf(z) for lanes with 0 <= z <= 1: z times the fit of erf(z) / z. */
// @ts-ignore: decorator
@inline function erfSmall64V(z: v128): v128 {
  return f64x2.mul(z, erfOverZ(f64x2.sub(f64x2.mul(f64x2.add(z, z), z), f64x2.splat(1))));
}

/**
 * erfc(z) for lanes with z >= 1, given e = exp(-z^2): exp(-z^2) / z * h(1/z) below 10 and 0
 * beyond (below 2e-45). Lanes flagged `small` (z < 1) read as z = 1, which keeps them finite.
 */
// @ts-ignore: decorator
@inline function erfcTail64V(z: v128, e: v128, small: v128): v128 {
  const one = f64x2.splat(1);
  const zt = v128.bitselect(z, f64x2.splat(10), f64x2.lt(z, f64x2.splat(10)));
  const t = f64x2.div(one, v128.bitselect(one, zt, small));
  const tail = f64x2.mul(f64x2.mul(e, t), erfcScaled(f64x2.mul(f64x2.sub(f64x2.add(t, t), f64x2.splat(1.1)), f64x2.splat(1.0 / 0.9))));
  return v128.andnot(tail, f64x2.ge(z, f64x2.splat(10)));
}

/** Phi(x) on f64x2 lanes given e = exp(-x^2 / 2); accurate in both tails (erfc for x < 0). */
// @ts-ignore: decorator
@inline function normalCdf64V(x: v128, e: v128): v128 {
  const one = f64x2.splat(1);
  const half = f64x2.splat(0.5);
  const z = f64x2.mul(f64x2.abs(x), f64x2.splat(SQRT1_2));
  // erf(z) for z < 1; clamping keeps the branch not taken finite
  // (clamps by compare + select: cheaper than f64x2.min/max, whose NaN rules cost extra instructions)
  const small = f64x2.lt(z, one);
  const erfSmall = erfSmall64V(v128.bitselect(z, one, small));
  const erfcTail = erfcTail64V(z, e, small);
  const erfc = v128.bitselect(f64x2.sub(one, erfSmall), erfcTail, small);
  const erf = v128.bitselect(erfSmall, f64x2.sub(one, erfcTail), small);
  return v128.bitselect(f64x2.mul(half, erfc), f64x2.add(half, f64x2.mul(half, erf)), f64x2.lt(x, f64x2.splat(0)));
}

/** normalCdf64V for lanes all with z = |x|/sqrt2 < 1: the same operations without the tail. */
// @ts-ignore: decorator
@inline function normalCdfSmall64V(x: v128): v128 {
  const one = f64x2.splat(1);
  const half = f64x2.splat(0.5);
  const erfSmall = erfSmall64V(f64x2.mul(f64x2.abs(x), f64x2.splat(SQRT1_2)));
  return v128.bitselect(f64x2.mul(half, f64x2.sub(one, erfSmall)), f64x2.add(half, f64x2.mul(half, erfSmall)), f64x2.lt(x, f64x2.splat(0)));
}

/** True when every lane of the f32x4 x is safely inside |x| < sqrt2 (z < 1 also in f64). */
// @ts-ignore: decorator
@inline function allSmall(x: v128): bool {
  return i32x4.all_true(f32x4.lt(f32x4.abs(x), f32x4.splat(1.414)));
}

/** exp(-x^2 / 2) on f64x2 lanes (x^2 / 2 is exact for float32 x). */
// @ts-ignore: decorator
@inline function gaussV(x: v128): v128 {
  return expNegClamped64V(f64x2.mul(f64x2.mul(x, x), f64x2.splat(-0.5)));
}

/** exp(u) on f64x2 lanes for u <= 0, with u below -700 (and NaN) read as -700. */
// @ts-ignore: decorator
@inline function expNegClamped64V(u: v128): v128 {
  return expNeg64V(v128.bitselect(u, f64x2.splat(-700), f64x2.gt(u, f64x2.splat(-700))));
}

// @ts-ignore: decorator
@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)); }
// @ts-ignore: decorator
@inline function join32(lo: v128, hi: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** gelu on f32x4. Beyond |x| = 20 it is -0 or x in float32 (this also gives gelu(-inf) = -0). */
// @ts-ignore: decorator
@inline function geluV(x: v128): v128 {
  const xl = lo64(x);
  const xh = hi64(x);
  let y: v128;
  if (allSmall(x)) { // most activations: no exp, no tail (bit-identical to the general path)
    y = join32(f64x2.mul(xl, normalCdfSmall64V(xl)), f64x2.mul(xh, normalCdfSmall64V(xh)));
  } else {
    y = join32(f64x2.mul(xl, normalCdf64V(xl, gaussV(xl))), f64x2.mul(xh, normalCdf64V(xh, gaussV(xh))));
  }
  const z = v128.bitselect(f32x4.splat(-0.0), y, f32x4.lt(x, f32x4.splat(-20)));
  return v128.bitselect(x, z, f32x4.gt(x, f32x4.splat(20)));
}

/** g * gelu'(x) = g * (Phi(x) + x * phi(x)) on f32x4. */
// @ts-ignore: decorator
@inline function geluGradV(x: v128, g: v128): v128 {
  const xl = lo64(x);
  const xh = hi64(x);
  const el = gaussV(xl);
  const eh = gaussV(xh);
  const small = allSmall(x);
  const cl = small ? normalCdfSmall64V(xl) : normalCdf64V(xl, el);
  const ch = small ? normalCdfSmall64V(xh) : normalCdf64V(xh, eh);
  const dl = f64x2.add(cl, f64x2.mul(xl, f64x2.mul(el, f64x2.splat(INV_SQRT_2PI))));
  const dh = f64x2.add(ch, f64x2.mul(xh, f64x2.mul(eh, f64x2.splat(INV_SQRT_2PI))));
  const gx = join32(f64x2.mul(lo64(g), dl), f64x2.mul(hi64(g), dh));
  const z = v128.bitselect(f32x4.mul(g, f32x4.splat(0)), gx, f32x4.lt(x, f32x4.splat(-20)));
  return v128.bitselect(g, z, f32x4.gt(x, f32x4.splat(20)));
}


// ---- erf, silu and softplus: f64 lanes from an f32x4, one exp(-x^2) or exp(-|x|) each -------

const TWO_OVER_SQRT_PI: f64 = 1.12837916709551257390;

/** erf on f64 lanes holding float32 values (x^2 is exact); `allSmall`: every |x| < 1, no tail. */
// @ts-ignore: decorator
@inline function erf64V(x: v128, allSmall: bool): v128 {
  const one = f64x2.splat(1);
  const z = f64x2.abs(x);
  let r: v128;
  if (allSmall) {
    r = erfSmall64V(z); // the same operations as the general path's small lanes
  } else {
    const small = f64x2.lt(z, one);
    const e = expNegClamped64V(f64x2.neg(f64x2.mul(x, x)));
    r = v128.bitselect(erfSmall64V(v128.bitselect(z, one, small)), f64x2.sub(one, erfcTail64V(z, e, small)), small);
  }
  return v128.or(r, v128.and(x, f64x2.splat(-0.0))); // r >= 0 takes the sign of x
}

/** erf on f32x4; NaN stays NaN (the f64 path clamps it away). */
// @ts-ignore: decorator
@inline function erfV(x: v128): v128 {
  const allSmall = i32x4.all_true(f32x4.lt(f32x4.abs(x), f32x4.splat(1)));
  const y = join32(erf64V(lo64(x), allSmall), erf64V(hi64(x), allSmall));
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

/** g * erf'(x) = g * 2/sqrt(pi) * exp(-x^2) on f32x4. */
// @ts-ignore: decorator
@inline function erfGradV(x: v128, g: v128): v128 {
  const xl = lo64(x);
  const xh = hi64(x);
  const dl = f64x2.mul(expNegClamped64V(f64x2.neg(f64x2.mul(xl, xl))), f64x2.splat(TWO_OVER_SQRT_PI));
  const dh = f64x2.mul(expNegClamped64V(f64x2.neg(f64x2.mul(xh, xh))), f64x2.splat(TWO_OVER_SQRT_PI));
  return join32(f64x2.mul(lo64(g), dl), f64x2.mul(hi64(g), dh));
}

/** exp(-|x|) on f64 lanes; exactly 0 beyond |x| = 700 and for NaN (so x * sigmoid(x) is NaN at -inf, as IEEE says). */
// @ts-ignore: decorator
@inline function expNegAbs64V(x: v128): v128 {
  const u = f64x2.neg(f64x2.abs(x));
  const inRange = f64x2.ge(u, f64x2.splat(-700));
  return v128.and(expNeg64V(v128.bitselect(u, f64x2.splat(-700), inRange)), inRange);
}

/** sigmoid(x) on f64 lanes given t = exp(-|x|): no overflow, full relative accuracy for x << 0. */
// @ts-ignore: decorator
@inline function sigmoid64V(x: v128, t: v128): v128 {
  return f64x2.div(v128.bitselect(f64x2.splat(1), t, f64x2.ge(x, f64x2.splat(0))), f64x2.add(f64x2.splat(1), t));
}

// @ts-ignore: decorator
@inline function silu64V(x: v128): v128 { return f64x2.mul(x, sigmoid64V(x, expNegAbs64V(x))); }

/** g * silu'(x) = g * s * (1 + x * (1 - s)), s = sigmoid(x), 1 - s = sigmoid(-x) (no cancellation). */
// @ts-ignore: decorator
@inline function siluGrad64V(x: v128, g: v128): v128 {
  const t = expNegAbs64V(x);
  const s = sigmoid64V(x, t);
  return f64x2.mul(g, f64x2.add(s, f64x2.mul(f64x2.mul(x, s), sigmoid64V(f64x2.neg(x), t))));
}

/** log1p(t) for t in [0, 1] on f64 lanes: 2 atanh(s), s = t / (2 + t) <= 1/3, by its series to s^21 (relative error < 2e-12). */
// @ts-ignore: decorator
@inline function log1pUnit64V(t: v128): v128 {
  const s = f64x2.div(t, f64x2.add(f64x2.splat(2), t));
  const w = f64x2.mul(s, s);
  let p = f64x2.splat(1.0 / 21);
  p = f64x2.add(f64x2.splat(1.0 / 19), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 17), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 15), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 13), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 11), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 9), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 7), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 5), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1.0 / 3), f64x2.mul(w, p));
  p = f64x2.add(f64x2.splat(1), f64x2.mul(w, p));
  return f64x2.mul(f64x2.add(s, s), p);
}

/** softplus(x) = max(x, 0) + log1p(exp(-|x|)): never overflows; equals x in float32 from x = 17 on (PyTorch's threshold 20 included). */
// @ts-ignore: decorator
@inline function softplus64V(x: v128): v128 {
  return f64x2.add(f64x2.max(x, f64x2.splat(0)), log1pUnit64V(expNegAbs64V(x)));
}

/** g * softplus'(x) = g * sigmoid(x). */
// @ts-ignore: decorator
@inline function softplusGrad64V(x: v128, g: v128): v128 { return f64x2.mul(g, sigmoid64V(x, expNegAbs64V(x))); }

// @ts-ignore: decorator
@inline function uop(op: i32, x: f32, p1: f32, p2: f32): f32 {
  if (op == UnaryOp.Neg) return -x;
  if (op == UnaryOp.Exp) return expAnyS(x);
  if (op == UnaryOp.Log) return Mathf.log(x);
  if (op == UnaryOp.Sqrt) return Mathf.sqrt(x);
  if (op == UnaryOp.Abs) return Mathf.abs(x);
  if (op == UnaryOp.Relu) return max<f32>(x, 0);
  if (op == UnaryOp.LeakyRelu) return x > 0 ? x : p1 * x;
  if (op == UnaryOp.Elu) return x > 0 ? x : p1 * expm1S(max<f32>(x, -87)); // expm1(-87) is -1 in float32
  if (op == UnaryOp.Gelu) return f32x4.extract_lane(geluV(f32x4.splat(x)), 0); // the SIMD code on one lane: same bits
  if (op == UnaryOp.Sigmoid) {
    // exp of a non-positive argument only: no overflow, full relative accuracy for x << 0.
    const e = expAnyS(-Mathf.abs(x));
    return (x >= 0 ? <f32>1 : e) / (1 + e);
  }
  if (op == UnaryOp.Tanh) return tanhS(x);
  if (op == UnaryOp.Relu6) return min<f32>(max<f32>(x, 0), 6);
  if (op == UnaryOp.HardSigmoid) return min<f32>(max<f32>(x + 3, 0), 6) / 6;
  if (op == UnaryOp.HardSwish) return x < -3 ? <f32>-0.0 : x * (min<f32>(max<f32>(x + 3, 0), 6) / 6); // -0, not NaN, at -inf
  // the SIMD code on one lane: same bits
  if (op == UnaryOp.Silu || op == UnaryOp.Softplus || op == UnaryOp.Erf) return f32x4.extract_lane(uvop(op, f32x4.splat(x), p1, p2), 0);
  return min<f32>(max<f32>(x, p1), p2); // Clip
}

// @ts-ignore: decorator
@inline function uopSimd(op: i32): bool {
  return op != UnaryOp.Log;
}

// @ts-ignore: decorator
@inline function uvop(op: i32, x: v128, p1: f32, p2: f32): v128 {
  if (op == UnaryOp.Neg) return f32x4.neg(x);
  if (op == UnaryOp.Sqrt) return f32x4.sqrt(x);
  if (op == UnaryOp.Abs) return f32x4.abs(x);
  if (op == UnaryOp.Relu) return f32x4.max(x, f32x4.splat(0));
  if (op == UnaryOp.LeakyRelu) return v128.bitselect(x, f32x4.mul(x, f32x4.splat(p1)), f32x4.gt(x, f32x4.splat(0)));
  if (op == UnaryOp.Elu) {
    const em = expm1V(f32x4.max(x, f32x4.splat(-87)));
    return v128.bitselect(x, f32x4.mul(em, f32x4.splat(p1)), f32x4.gt(x, f32x4.splat(0)));
  }
  if (op == UnaryOp.Tanh) return tanhV(x);
  // Exp and Sigmoid reach here only with every lane in the polynomial's range (see unaryLoop).
  if (op == UnaryOp.Exp) return expV(x);
  if (op == UnaryOp.Gelu) return geluV(x);
  if (op == UnaryOp.Sigmoid) {
    const e = expV(f32x4.neg(f32x4.abs(x)));
    const num = v128.bitselect(f32x4.splat(1), e, f32x4.ge(x, f32x4.splat(0)));
    return f32x4.div(num, f32x4.add(f32x4.splat(1), e));
  }
  if (op == UnaryOp.Relu6) return f32x4.min(f32x4.max(x, f32x4.splat(0)), f32x4.splat(6));
  if (op == UnaryOp.HardSigmoid) return f32x4.div(f32x4.min(f32x4.max(f32x4.add(x, f32x4.splat(3)), f32x4.splat(0)), f32x4.splat(6)), f32x4.splat(6));
  if (op == UnaryOp.HardSwish) {
    // x * hardSigmoid(x): no overflow for huge x (x * relu6(x + 3) first would)
    const y = f32x4.mul(x, f32x4.div(f32x4.min(f32x4.max(f32x4.add(x, f32x4.splat(3)), f32x4.splat(0)), f32x4.splat(6)), f32x4.splat(6)));
    return v128.bitselect(f32x4.splat(-0.0), y, f32x4.lt(x, f32x4.splat(-3)));
  }
  if (op == UnaryOp.Silu) return join32(silu64V(lo64(x)), silu64V(hi64(x)));
  if (op == UnaryOp.Softplus) return join32(softplus64V(lo64(x)), softplus64V(hi64(x)));
  if (op == UnaryOp.Erf) return erfV(x);
  return f32x4.min(f32x4.max(x, f32x4.splat(p1)), f32x4.splat(p2)); // Clip
}

/** Whether a vector can take the SIMD path (exp and sigmoid fall back to scalar outside the polynomial's range). */
// @ts-ignore: decorator
@inline function uvopOk(op: i32, x: v128): bool {
  if (op == UnaryOp.Exp) return expRangeV(x);
  if (op == UnaryOp.Sigmoid) return expRangeV(f32x4.neg(f32x4.abs(x)));
  return true;
}

// @ts-ignore: decorator
@inline function unaryLoop(op: i32, x: usize, out: usize, n: i32, p1: f32, p2: f32): void {
  let i = 0;
  if (uopSimd(op)) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      if (uvopOk(op, v)) {
        v128.store(out + o, uvop(op, v, p1, p2));
      } else {
        for (let j: usize = 0; j < 16; j += 4) store<f32>(out + o + j, uop(op, load<f32>(x + o + j), p1, p2));
      }
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, uop(op, load<f32>(x + o), p1, p2));
  }
}

// One function per op, exported so that the optimizer does not inline them back into `unary` (a
// function with a single caller would be): V8 compiles wasm functions lazily, on their first call,
// so a model's first relu compiles one loop (~1 KB) instead of every op's loop (GELU's alone are
// 9 KB). Same code per op as when they were inlined, so the same results.
export function unaryNeg(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Neg, x, out, n, p1, p2); }
export function unaryExp(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Exp, x, out, n, p1, p2); }
export function unaryLog(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Log, x, out, n, p1, p2); }
export function unarySqrt(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Sqrt, x, out, n, p1, p2); }
export function unaryAbs(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Abs, x, out, n, p1, p2); }
export function unaryRelu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Relu, x, out, n, p1, p2); }
export function unaryLeakyRelu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.LeakyRelu, x, out, n, p1, p2); }
export function unaryElu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Elu, x, out, n, p1, p2); }
export function unaryGelu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Gelu, x, out, n, p1, p2); }
export function unarySigmoid(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Sigmoid, x, out, n, p1, p2); }
export function unaryTanh(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Tanh, x, out, n, p1, p2); }
export function unaryClip(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Clip, x, out, n, p1, p2); }
export function unaryRelu6(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Relu6, x, out, n, p1, p2); }
export function unaryHardSigmoid(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.HardSigmoid, x, out, n, p1, p2); }
export function unaryHardSwish(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.HardSwish, x, out, n, p1, p2); }
export function unarySilu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Silu, x, out, n, p1, p2); }
export function unarySoftplus(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Softplus, x, out, n, p1, p2); }
export function unaryErf(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(UnaryOp.Erf, x, out, n, p1, p2); }

/** out = f(x) elementwise (out may alias x). p1, p2: alpha or clip bounds. */
export function unary(op: i32, x: usize, out: usize, n: i32, p1: f32, p2: f32): void {
  switch (op) {
    case UnaryOp.Neg: unaryNeg(x, out, n, p1, p2); break;
    case UnaryOp.Exp: unaryExp(x, out, n, p1, p2); break;
    case UnaryOp.Log: unaryLog(x, out, n, p1, p2); break;
    case UnaryOp.Sqrt: unarySqrt(x, out, n, p1, p2); break;
    case UnaryOp.Abs: unaryAbs(x, out, n, p1, p2); break;
    case UnaryOp.Relu: unaryRelu(x, out, n, p1, p2); break;
    case UnaryOp.LeakyRelu: unaryLeakyRelu(x, out, n, p1, p2); break;
    case UnaryOp.Elu: unaryElu(x, out, n, p1, p2); break;
    case UnaryOp.Gelu: unaryGelu(x, out, n, p1, p2); break;
    case UnaryOp.Sigmoid: unarySigmoid(x, out, n, p1, p2); break;
    case UnaryOp.Tanh: unaryTanh(x, out, n, p1, p2); break;
    case UnaryOp.Clip: unaryClip(x, out, n, p1, p2); break;
    case UnaryOp.Relu6: unaryRelu6(x, out, n, p1, p2); break;
    case UnaryOp.HardSigmoid: unaryHardSigmoid(x, out, n, p1, p2); break;
    case UnaryOp.HardSwish: unaryHardSwish(x, out, n, p1, p2); break;
    case UnaryOp.Silu: unarySilu(x, out, n, p1, p2); break;
    case UnaryOp.Softplus: unarySoftplus(x, out, n, p1, p2); break;
    case UnaryOp.Erf: unaryErf(x, out, n, p1, p2); break;
    default: unreachable();
  }
}

/** d f / d x times g, from the input x and/or the forward output y. */
// @ts-ignore: decorator
@inline function ugrad(op: i32, x: f32, y: f32, g: f32, p1: f32, p2: f32): f32 {
  if (op == UnaryOp.Neg) return -g;
  if (op == UnaryOp.Exp) return g * y;
  if (op == UnaryOp.Log) return g / x;
  if (op == UnaryOp.Sqrt) return g * 0.5 / y;
  if (op == UnaryOp.Abs) return x > 0 ? g : x < 0 ? -g : 0;
  if (op == UnaryOp.Relu) return x > 0 ? g : 0;
  if (op == UnaryOp.LeakyRelu) return x > 0 ? g : p1 * g;
  if (op == UnaryOp.Elu) return x > 0 ? g : g * (y + p1);
  if (op == UnaryOp.Gelu) return f32x4.extract_lane(geluGradV(f32x4.splat(x), f32x4.splat(g)), 0);
  if (op == UnaryOp.Sigmoid) return g * y * (1 - y);
  if (op == UnaryOp.Tanh) return g * (1 - y * y);
  if (op == UnaryOp.Relu6) return x > 0 && x < 6 ? g : 0; // 0 at both kinks, as PyTorch
  if (op == UnaryOp.HardSigmoid) return x > -3 && x < 3 ? g / 6 : 0;
  if (op == UnaryOp.HardSwish) return x < -3 ? 0 : x >= 3 ? g : g * (x / 3 + 0.5); // the kinks as PyTorch's vectorised loop
  if (op == UnaryOp.Silu || op == UnaryOp.Softplus || op == UnaryOp.Erf) return f32x4.extract_lane(ugradV(op, f32x4.splat(x), f32x4.splat(y), f32x4.splat(g), p1, p2), 0);
  return x >= p1 && x <= p2 ? g : 0; // Clip: the gradient passes on the closed interval
}

// @ts-ignore: decorator
@inline function ugradSimd(op: i32): bool {
  return true;
}

// @ts-ignore: decorator
@inline function ugradV(op: i32, x: v128, y: v128, g: v128, p1: f32, p2: f32): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  if (op == UnaryOp.Neg) return f32x4.neg(g);
  if (op == UnaryOp.Exp) return f32x4.mul(g, y);
  if (op == UnaryOp.Log) return f32x4.div(g, x);
  if (op == UnaryOp.Sqrt) return f32x4.div(f32x4.mul(g, f32x4.splat(0.5)), y);
  if (op == UnaryOp.Abs) {
    return v128.or(v128.and(g, f32x4.gt(x, zero)), v128.and(f32x4.neg(g), f32x4.lt(x, zero)));
  }
  if (op == UnaryOp.Relu) return v128.and(g, f32x4.gt(x, zero));
  if (op == UnaryOp.LeakyRelu) return v128.bitselect(g, f32x4.mul(g, f32x4.splat(p1)), f32x4.gt(x, zero));
  if (op == UnaryOp.Elu) return v128.bitselect(g, f32x4.mul(g, f32x4.add(y, f32x4.splat(p1))), f32x4.gt(x, zero));
  if (op == UnaryOp.Sigmoid) return f32x4.mul(f32x4.mul(g, y), f32x4.sub(one, y));
  if (op == UnaryOp.Tanh) return f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y)));
  if (op == UnaryOp.Gelu) return geluGradV(x, g);
  if (op == UnaryOp.Relu6) return v128.and(g, v128.and(f32x4.gt(x, zero), f32x4.lt(x, f32x4.splat(6))));
  if (op == UnaryOp.HardSigmoid) {
    return v128.and(f32x4.div(g, f32x4.splat(6)), v128.and(f32x4.gt(x, f32x4.splat(-3)), f32x4.lt(x, f32x4.splat(3))));
  }
  if (op == UnaryOp.HardSwish) {
    const mid = f32x4.mul(g, f32x4.add(f32x4.div(x, f32x4.splat(3)), f32x4.splat(0.5)));
    return v128.andnot(v128.bitselect(g, mid, f32x4.ge(x, f32x4.splat(3))), f32x4.lt(x, f32x4.splat(-3)));
  }
  if (op == UnaryOp.Silu) return join32(siluGrad64V(lo64(x), lo64(g)), siluGrad64V(hi64(x), hi64(g)));
  if (op == UnaryOp.Softplus) return join32(softplusGrad64V(lo64(x), lo64(g)), softplusGrad64V(hi64(x), hi64(g)));
  if (op == UnaryOp.Erf) return erfGradV(x, g);
  // Clip
  return v128.and(g, v128.and(f32x4.ge(x, f32x4.splat(p1)), f32x4.le(x, f32x4.splat(p2))));
}

// @ts-ignore: decorator
@inline function unaryBackwardLoop(op: i32, x: usize, y: usize, g: usize, gx: usize, n: i32, p1: f32, p2: f32): void {
  let i = 0;
  if (ugradSimd(op)) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(gx + o, ugradV(op, v128.load(x + o), v128.load(y + o), v128.load(g + o), p1, p2));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(gx + o, ugrad(op, load<f32>(x + o), load<f32>(y + o), load<f32>(g + o), p1, p2));
  }
}

/** gx = g * f'(x), with y = f(x) the forward output (gx may alias g). */
export function unaryBackward(op: i32, x: usize, y: usize, g: usize, gx: usize, n: i32, p1: f32, p2: f32): void {
  switch (op) {
    case UnaryOp.Neg: unaryBackwardLoop(UnaryOp.Neg, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Exp: unaryBackwardLoop(UnaryOp.Exp, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Log: unaryBackwardLoop(UnaryOp.Log, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Sqrt: unaryBackwardLoop(UnaryOp.Sqrt, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Abs: unaryBackwardLoop(UnaryOp.Abs, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Relu: unaryBackwardLoop(UnaryOp.Relu, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.LeakyRelu: unaryBackwardLoop(UnaryOp.LeakyRelu, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Elu: unaryBackwardLoop(UnaryOp.Elu, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Gelu: unaryBackwardLoop(UnaryOp.Gelu, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Sigmoid: unaryBackwardLoop(UnaryOp.Sigmoid, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Tanh: unaryBackwardLoop(UnaryOp.Tanh, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Clip: unaryBackwardLoop(UnaryOp.Clip, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Relu6: unaryBackwardLoop(UnaryOp.Relu6, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.HardSigmoid: unaryBackwardLoop(UnaryOp.HardSigmoid, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.HardSwish: unaryBackwardLoop(UnaryOp.HardSwish, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Silu: unaryBackwardLoop(UnaryOp.Silu, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Softplus: unaryBackwardLoop(UnaryOp.Softplus, x, y, g, gx, n, p1, p2); break;
    case UnaryOp.Erf: unaryBackwardLoop(UnaryOp.Erf, x, y, g, gx, n, p1, p2); break;
    default: unreachable();
  }
}
