// Elementwise kernels: binary arithmetic with NumPy broadcasting (fast paths for equal shapes,
// a scalar operand, a trailing-axis vector such as a bias, plus a general strided kernel),
// unary ops and activations with their gradients, and the dropout mask.
// Each kernel switches on the op code once, outside its loops: the loop helpers are inlined
// with a constant op, so every (op, loop) pair compiles to its own branch-free loop.
import { erfOverZ, erfcScaled } from './mathfit';
import { expV, expm1V, expm1S, expRangeV, expAnyS, expNeg64V, tanhV, tanhS } from './vmath';

// Binary op codes (mirrored in src/ops/elementwise.ts).
const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MAX = 4;
const MIN = 5;
const POW = 6;
const GE = 7;      // a >= b ? 1 : 0   (gradient masks of maximum / minimum)
const GT = 8;
const LE = 9;
const LT = 10;
const POW_DA = 11; // b * a^(b-1)                 d pow / d a
const POW_DB = 12; // a > 0 ? a^b * ln(a) : 0     d pow / d b

// @ts-ignore: decorator
@inline function bop(op: i32, x: f32, y: f32): f32 {
  if (op == ADD) return x + y;
  if (op == SUB) return x - y;
  if (op == MUL) return x * y;
  if (op == DIV) return x / y;
  if (op == MAX) return max<f32>(x, y);
  if (op == MIN) return min<f32>(x, y);
  if (op == POW) return Mathf.pow(x, y);
  if (op == GE) return x >= y ? 1 : 0;
  if (op == GT) return x > y ? 1 : 0;
  if (op == LE) return x <= y ? 1 : 0;
  if (op == LT) return x < y ? 1 : 0;
  if (op == POW_DA) return y * Mathf.pow(x, y - 1);
  return x > 0 ? Mathf.pow(x, y) * Mathf.log(x) : 0; // POW_DB
}

// @ts-ignore: decorator
@inline function hasSimd(op: i32): bool {
  return op <= MIN || (op >= GE && op <= LT);
}

// @ts-ignore: decorator
@inline function vop(op: i32, x: v128, y: v128): v128 {
  if (op == ADD) return f32x4.add(x, y);
  if (op == SUB) return f32x4.sub(x, y);
  if (op == MUL) return f32x4.mul(x, y);
  if (op == DIV) return f32x4.div(x, y);
  if (op == MAX) return f32x4.max(x, y);
  if (op == MIN) return f32x4.min(x, y);
  const one = f32x4.splat(1.0);
  if (op == GE) return v128.and(f32x4.ge(x, y), one);
  if (op == GT) return v128.and(f32x4.gt(x, y), one);
  if (op == LE) return v128.and(f32x4.le(x, y), one);
  return v128.and(f32x4.lt(x, y), one); // LT
}

/** out[i] = a[i] op b[i], both contiguous. */
// @ts-ignore: decorator
@inline function rowVV(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (hasSimd(op)) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const v0 = vop(op, v128.load(a + o), v128.load(b + o));
      const v1 = vop(op, v128.load(a + o, 16), v128.load(b + o, 16));
      v128.store(out + o, v0);
      v128.store(out + o, v1, 16);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, vop(op, v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, bop(op, load<f32>(a + o), load<f32>(b + o)));
  }
}

/** out[i] = a[i] op s. */
// @ts-ignore: decorator
@inline function rowVS(op: i32, a: usize, s: f32, out: usize, n: i32): void {
  let i = 0;
  if (hasSimd(op)) {
    const vs = f32x4.splat(s);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, vop(op, v128.load(a + o), vs));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, bop(op, load<f32>(a + o), s));
  }
}

/** out[i] = s op b[i]. */
// @ts-ignore: decorator
@inline function rowSV(op: i32, s: f32, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (hasSimd(op)) {
    const vs = f32x4.splat(s);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, vop(op, vs, v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, bop(op, s, load<f32>(b + o)));
  }
}

/** One output row of n values; a and b advance by sa / sb elements (0 = broadcast). */
// @ts-ignore: decorator
@inline function rowStrided(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, n: i32): void {
  if (sa == 1 && sb == 1) rowVV(op, a, b, out, n);
  else if (sa == 1 && sb == 0) rowVS(op, a, load<f32>(b), out, n);
  else if (sa == 0 && sb == 1) rowSV(op, load<f32>(a), b, out, n);
  else {
    for (let i = 0; i < n; i++) {
      store<f32>(out + (<usize>i << 2), bop(op, load<f32>(a + (<usize>(i * sa) << 2)), load<f32>(b + (<usize>(i * sb) << 2))));
    }
  }
}

/** out = a op b, all three of n contiguous values (out may alias a or b). */
export function binarySame(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  switch (op) {
    case ADD: rowVV(ADD, a, b, out, n); break;
    case SUB: rowVV(SUB, a, b, out, n); break;
    case MUL: rowVV(MUL, a, b, out, n); break;
    case DIV: rowVV(DIV, a, b, out, n); break;
    case MAX: rowVV(MAX, a, b, out, n); break;
    case MIN: rowVV(MIN, a, b, out, n); break;
    case POW: rowVV(POW, a, b, out, n); break;
    case GE: rowVV(GE, a, b, out, n); break;
    case GT: rowVV(GT, a, b, out, n); break;
    case LE: rowVV(LE, a, b, out, n); break;
    case LT: rowVV(LT, a, b, out, n); break;
    case POW_DA: rowVV(POW_DA, a, b, out, n); break;
    case POW_DB: rowVV(POW_DB, a, b, out, n); break;
    default: unreachable();
  }
}

/** out = a op s (scalarFirst = 0) or s op a (scalarFirst = 1), a of n contiguous values. */
export function binaryScalar(op: i32, a: usize, s: f32, out: usize, n: i32, scalarFirst: i32): void {
  // x ** 2 (squares in losses and statistics): the correctly rounded x * x, vectorised, instead
  // of pow's within-1-ulp; same special values (NaN, inf, -0). Its gradient 2 * x^1 likewise.
  if (!scalarFirst && s == 2 && op == POW) { rowVV(MUL, a, a, out, n); return; }
  if (!scalarFirst && s == 2 && op == POW_DA) { rowVS(MUL, a, 2, out, n); return; }
  if (scalarFirst) {
    switch (op) {
      case ADD: rowSV(ADD, s, a, out, n); break;
      case SUB: rowSV(SUB, s, a, out, n); break;
      case MUL: rowSV(MUL, s, a, out, n); break;
      case DIV: rowSV(DIV, s, a, out, n); break;
      case MAX: rowSV(MAX, s, a, out, n); break;
      case MIN: rowSV(MIN, s, a, out, n); break;
      case POW: rowSV(POW, s, a, out, n); break;
      case GE: rowSV(GE, s, a, out, n); break;
      case GT: rowSV(GT, s, a, out, n); break;
      case LE: rowSV(LE, s, a, out, n); break;
      case LT: rowSV(LT, s, a, out, n); break;
      case POW_DA: rowSV(POW_DA, s, a, out, n); break;
      case POW_DB: rowSV(POW_DB, s, a, out, n); break;
      default: unreachable();
    }
  } else {
    switch (op) {
      case ADD: rowVS(ADD, a, s, out, n); break;
      case SUB: rowVS(SUB, a, s, out, n); break;
      case MUL: rowVS(MUL, a, s, out, n); break;
      case DIV: rowVS(DIV, a, s, out, n); break;
      case MAX: rowVS(MAX, a, s, out, n); break;
      case MIN: rowVS(MIN, a, s, out, n); break;
      case POW: rowVS(POW, a, s, out, n); break;
      case GE: rowVS(GE, a, s, out, n); break;
      case GT: rowVS(GT, a, s, out, n); break;
      case LE: rowVS(LE, a, s, out, n); break;
      case LT: rowVS(LT, a, s, out, n); break;
      case POW_DA: rowVS(POW_DA, a, s, out, n); break;
      case POW_DB: rowVS(POW_DB, a, s, out, n); break;
      default: unreachable();
    }
  }
}

/**
 * Trailing-axis broadcast: `full` is [rows, cols], `vec` is [cols] (a bias over [..., C]).
 * out[r, c] = full[r, c] op vec[c]   (vecFirst = 0)   or   vec[c] op full[r, c]   (vecFirst = 1).
 */
export function binaryRows(op: i32, full: usize, vec: usize, out: usize, rows: i32, cols: i32, vecFirst: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const f = full + <usize>r * rowBytes;
    const o = out + <usize>r * rowBytes;
    const a = vecFirst ? vec : f;
    const b = vecFirst ? f : vec;
    switch (op) {
      case ADD: rowVV(ADD, a, b, o, cols); break;
      case SUB: rowVV(SUB, a, b, o, cols); break;
      case MUL: rowVV(MUL, a, b, o, cols); break;
      case DIV: rowVV(DIV, a, b, o, cols); break;
      case MAX: rowVV(MAX, a, b, o, cols); break;
      case MIN: rowVV(MIN, a, b, o, cols); break;
      case POW: rowVV(POW, a, b, o, cols); break;
      case GE: rowVV(GE, a, b, o, cols); break;
      case GT: rowVV(GT, a, b, o, cols); break;
      case LE: rowVV(LE, a, b, o, cols); break;
      case LT: rowVV(LT, a, b, o, cols); break;
      case POW_DA: rowVV(POW_DA, a, b, o, cols); break;
      case POW_DB: rowVV(POW_DB, a, b, o, cols); break;
      default: unreachable();
    }
  }
}

/**
 * General broadcast: out (contiguous, `shape` of `rank` dims) = a op b where a and b are read
 * with element strides aStrides / bStrides (0 on broadcast dims). shape, aStrides, bStrides are
 * pointers to `rank` int32 each. The host coalesces dims first, so rank is small and rows long.
 */
export function binaryStrided(op: i32, a: usize, b: usize, out: usize, rank: i32,
                              shape: usize, aStrides: usize, bStrides: usize): void {
  if (rank == 0) { store<f32>(out, bop_dyn(op, load<f32>(a), load<f32>(b))); return; }
  const last = <usize>(rank - 1) << 2;
  const n = load<i32>(shape + last);
  const sa = load<i32>(aStrides + last);
  const sb = load<i32>(bStrides + last);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= load<i32>(shape + (<usize>d << 2));
  for (let r = 0; r < rows; r++) {
    let rem = r;
    let ao = 0;
    let bo = 0;
    for (let d = rank - 2; d >= 0; d--) {
      const dOff = <usize>d << 2;
      const size = load<i32>(shape + dOff);
      const i = rem % size;
      rem /= size;
      ao += i * load<i32>(aStrides + dOff);
      bo += i * load<i32>(bStrides + dOff);
    }
    const pa = a + (<usize>ao << 2);
    const pb = b + (<usize>bo << 2);
    const po = out + (<usize>r * <usize>n << 2);
    switch (op) {
      case ADD: rowStrided(ADD, pa, sa, pb, sb, po, n); break;
      case SUB: rowStrided(SUB, pa, sa, pb, sb, po, n); break;
      case MUL: rowStrided(MUL, pa, sa, pb, sb, po, n); break;
      case DIV: rowStrided(DIV, pa, sa, pb, sb, po, n); break;
      case MAX: rowStrided(MAX, pa, sa, pb, sb, po, n); break;
      case MIN: rowStrided(MIN, pa, sa, pb, sb, po, n); break;
      case POW: rowStrided(POW, pa, sa, pb, sb, po, n); break;
      case GE: rowStrided(GE, pa, sa, pb, sb, po, n); break;
      case GT: rowStrided(GT, pa, sa, pb, sb, po, n); break;
      case LE: rowStrided(LE, pa, sa, pb, sb, po, n); break;
      case LT: rowStrided(LT, pa, sa, pb, sb, po, n); break;
      case POW_DA: rowStrided(POW_DA, pa, sa, pb, sb, po, n); break;
      case POW_DB: rowStrided(POW_DB, pa, sa, pb, sb, po, n); break;
      default: unreachable();
    }
  }
}

/** The scalar op with a run-time op code (for single values only). */
function bop_dyn(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case ADD: return bop(ADD, x, y);
    case SUB: return bop(SUB, x, y);
    case MUL: return bop(MUL, x, y);
    case DIV: return bop(DIV, x, y);
    case MAX: return bop(MAX, x, y);
    case MIN: return bop(MIN, x, y);
    case POW: return bop(POW, x, y);
    case GE: return bop(GE, x, y);
    case GT: return bop(GT, x, y);
    case LE: return bop(LE, x, y);
    case LT: return bop(LT, x, y);
    case POW_DA: return bop(POW_DA, x, y);
    default: return bop(POW_DB, x, y);
  }
}

// ---- unary ops and activations --------------------------------------------------------------

// Unary op codes (mirrored in src/ops/elementwise.ts and activations.ts).
const NEG = 0;
const EXP = 1;
const LOG = 2;
const SQRT = 3;
const ABS = 4;
const RELU = 5;
const LEAKY_RELU = 6; // p1 = alpha
const ELU = 7;        // p1 = alpha
const GELU = 8;
const SIGMOID = 9;
const TANH = 10;
const CLIP = 11;      // p1 = min, p2 = max

const SQRT1_2: f64 = 0.70710678118654752440;
const INV_SQRT_2PI: f64 = 0.39894228040143267794;

// ---- exact GELU: x * Phi(x), Phi from erf / erfc in f64 (two lanes at a time) ----------------

/** Phi(x) on f64x2 lanes given e = exp(-x^2 / 2); accurate in both tails (erfc for x < 0). */
// @ts-ignore: decorator
@inline function normalCdf64V(x: v128, e: v128): v128 {
  const one = f64x2.splat(1);
  const half = f64x2.splat(0.5);
  const z = f64x2.mul(f64x2.abs(x), f64x2.splat(SQRT1_2));
  // erf(z) for z < 1; clamping keeps the branch not taken finite
  // (clamps by compare + select: cheaper than f64x2.min/max, whose NaN rules cost extra instructions)
  const small = f64x2.lt(z, one);
  const zs = v128.bitselect(z, one, small);
  const erfSmall = f64x2.mul(zs, erfOverZ(f64x2.sub(f64x2.mul(f64x2.add(zs, zs), zs), one)));
  // erfc(z) = exp(-z^2) / z * h(1/z) for 1 <= z < 10, and 0 beyond (below 2e-45)
  const zt = v128.bitselect(z, f64x2.splat(10), f64x2.lt(z, f64x2.splat(10)));
  const t = f64x2.div(one, v128.bitselect(one, zt, small));
  const tail = f64x2.mul(f64x2.mul(e, t), erfcScaled(f64x2.mul(f64x2.sub(f64x2.add(t, t), f64x2.splat(1.1)), f64x2.splat(1.0 / 0.9))));
  const erfcTail = v128.andnot(tail, f64x2.ge(z, f64x2.splat(10)));
  const erfc = v128.bitselect(f64x2.sub(one, erfSmall), erfcTail, small);
  const erf = v128.bitselect(erfSmall, f64x2.sub(one, erfcTail), small);
  return v128.bitselect(f64x2.mul(half, erfc), f64x2.add(half, f64x2.mul(half, erf)), f64x2.lt(x, f64x2.splat(0)));
}

/** normalCdf64V for lanes all with z = |x|/sqrt2 < 1: the same operations without the tail. */
// @ts-ignore: decorator
@inline function normalCdfSmall64V(x: v128): v128 {
  const one = f64x2.splat(1);
  const half = f64x2.splat(0.5);
  const z = f64x2.mul(f64x2.abs(x), f64x2.splat(SQRT1_2));
  const erfSmall = f64x2.mul(z, erfOverZ(f64x2.sub(f64x2.mul(f64x2.add(z, z), z), one)));
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
  const u = f64x2.mul(f64x2.mul(x, x), f64x2.splat(-0.5));
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

// @ts-ignore: decorator
@inline function uop(op: i32, x: f32, p1: f32, p2: f32): f32 {
  if (op == NEG) return -x;
  if (op == EXP) return expAnyS(x);
  if (op == LOG) return Mathf.log(x);
  if (op == SQRT) return Mathf.sqrt(x);
  if (op == ABS) return Mathf.abs(x);
  if (op == RELU) return max<f32>(x, 0);
  if (op == LEAKY_RELU) return x > 0 ? x : p1 * x;
  if (op == ELU) return x > 0 ? x : p1 * expm1S(max<f32>(x, -87)); // expm1(-87) is -1 in float32
  if (op == GELU) return f32x4.extract_lane(geluV(f32x4.splat(x)), 0); // the SIMD code on one lane: same bits
  if (op == SIGMOID) {
    // exp of a non-positive argument only: no overflow, full relative accuracy for x << 0.
    const e = expAnyS(-Mathf.abs(x));
    return (x >= 0 ? <f32>1 : e) / (1 + e);
  }
  if (op == TANH) return tanhS(x);
  return min<f32>(max<f32>(x, p1), p2); // CLIP
}

// @ts-ignore: decorator
@inline function uopSimd(op: i32): bool {
  return op != LOG;
}

// @ts-ignore: decorator
@inline function uvop(op: i32, x: v128, p1: f32, p2: f32): v128 {
  if (op == NEG) return f32x4.neg(x);
  if (op == SQRT) return f32x4.sqrt(x);
  if (op == ABS) return f32x4.abs(x);
  if (op == RELU) return f32x4.max(x, f32x4.splat(0));
  if (op == LEAKY_RELU) return v128.bitselect(x, f32x4.mul(x, f32x4.splat(p1)), f32x4.gt(x, f32x4.splat(0)));
  if (op == ELU) {
    const em = expm1V(f32x4.max(x, f32x4.splat(-87)));
    return v128.bitselect(x, f32x4.mul(em, f32x4.splat(p1)), f32x4.gt(x, f32x4.splat(0)));
  }
  if (op == TANH) return tanhV(x);
  // EXP and SIGMOID reach here only with every lane in the polynomial's range (see unaryLoop).
  if (op == EXP) return expV(x);
  if (op == GELU) return geluV(x);
  if (op == SIGMOID) {
    const e = expV(f32x4.neg(f32x4.abs(x)));
    const num = v128.bitselect(f32x4.splat(1), e, f32x4.ge(x, f32x4.splat(0)));
    return f32x4.div(num, f32x4.add(f32x4.splat(1), e));
  }
  return f32x4.min(f32x4.max(x, f32x4.splat(p1)), f32x4.splat(p2)); // CLIP
}

/** Whether a vector can take the SIMD path (exp and sigmoid fall back to scalar outside the polynomial's range). */
// @ts-ignore: decorator
@inline function uvopOk(op: i32, x: v128): bool {
  if (op == EXP) return expRangeV(x);
  if (op == SIGMOID) return expRangeV(f32x4.neg(f32x4.abs(x)));
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
// so a model's first relu compiles one loop (~1 KB) instead of all twelve (13 KB, ~0.4 ms of a
// cold start). Same code per op as when they were inlined, so the same results.
export function unaryNeg(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(NEG, x, out, n, p1, p2); }
export function unaryExp(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(EXP, x, out, n, p1, p2); }
export function unaryLog(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(LOG, x, out, n, p1, p2); }
export function unarySqrt(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(SQRT, x, out, n, p1, p2); }
export function unaryAbs(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(ABS, x, out, n, p1, p2); }
export function unaryRelu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(RELU, x, out, n, p1, p2); }
export function unaryLeakyRelu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(LEAKY_RELU, x, out, n, p1, p2); }
export function unaryElu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(ELU, x, out, n, p1, p2); }
export function unaryGelu(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(GELU, x, out, n, p1, p2); }
export function unarySigmoid(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(SIGMOID, x, out, n, p1, p2); }
export function unaryTanh(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(TANH, x, out, n, p1, p2); }
export function unaryClip(x: usize, out: usize, n: i32, p1: f32, p2: f32): void { unaryLoop(CLIP, x, out, n, p1, p2); }

/** out = f(x) elementwise (out may alias x). p1, p2: alpha or clip bounds. */
export function unary(op: i32, x: usize, out: usize, n: i32, p1: f32, p2: f32): void {
  switch (op) {
    case NEG: unaryNeg(x, out, n, p1, p2); break;
    case EXP: unaryExp(x, out, n, p1, p2); break;
    case LOG: unaryLog(x, out, n, p1, p2); break;
    case SQRT: unarySqrt(x, out, n, p1, p2); break;
    case ABS: unaryAbs(x, out, n, p1, p2); break;
    case RELU: unaryRelu(x, out, n, p1, p2); break;
    case LEAKY_RELU: unaryLeakyRelu(x, out, n, p1, p2); break;
    case ELU: unaryElu(x, out, n, p1, p2); break;
    case GELU: unaryGelu(x, out, n, p1, p2); break;
    case SIGMOID: unarySigmoid(x, out, n, p1, p2); break;
    case TANH: unaryTanh(x, out, n, p1, p2); break;
    case CLIP: unaryClip(x, out, n, p1, p2); break;
    default: unreachable();
  }
}

/** d f / d x times g, from the input x and/or the forward output y. */
// @ts-ignore: decorator
@inline function ugrad(op: i32, x: f32, y: f32, g: f32, p1: f32, p2: f32): f32 {
  if (op == NEG) return -g;
  if (op == EXP) return g * y;
  if (op == LOG) return g / x;
  if (op == SQRT) return g * 0.5 / y;
  if (op == ABS) return x > 0 ? g : x < 0 ? -g : 0;
  if (op == RELU) return x > 0 ? g : 0;
  if (op == LEAKY_RELU) return x > 0 ? g : p1 * g;
  if (op == ELU) return x > 0 ? g : g * (y + p1);
  if (op == GELU) return f32x4.extract_lane(geluGradV(f32x4.splat(x), f32x4.splat(g)), 0);
  if (op == SIGMOID) return g * y * (1 - y);
  if (op == TANH) return g * (1 - y * y);
  return x >= p1 && x <= p2 ? g : 0; // CLIP: the gradient passes on the closed interval
}

// @ts-ignore: decorator
@inline function ugradSimd(op: i32): bool {
  return true;
}

// @ts-ignore: decorator
@inline function ugradV(op: i32, x: v128, y: v128, g: v128, p1: f32, p2: f32): v128 {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  if (op == NEG) return f32x4.neg(g);
  if (op == EXP) return f32x4.mul(g, y);
  if (op == LOG) return f32x4.div(g, x);
  if (op == SQRT) return f32x4.div(f32x4.mul(g, f32x4.splat(0.5)), y);
  if (op == ABS) {
    return v128.or(v128.and(g, f32x4.gt(x, zero)), v128.and(f32x4.neg(g), f32x4.lt(x, zero)));
  }
  if (op == RELU) return v128.and(g, f32x4.gt(x, zero));
  if (op == LEAKY_RELU) return v128.bitselect(g, f32x4.mul(g, f32x4.splat(p1)), f32x4.gt(x, zero));
  if (op == ELU) return v128.bitselect(g, f32x4.mul(g, f32x4.add(y, f32x4.splat(p1))), f32x4.gt(x, zero));
  if (op == SIGMOID) return f32x4.mul(f32x4.mul(g, y), f32x4.sub(one, y));
  if (op == TANH) return f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y)));
  if (op == GELU) return geluGradV(x, g);
  // CLIP
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
    case NEG: unaryBackwardLoop(NEG, x, y, g, gx, n, p1, p2); break;
    case EXP: unaryBackwardLoop(EXP, x, y, g, gx, n, p1, p2); break;
    case LOG: unaryBackwardLoop(LOG, x, y, g, gx, n, p1, p2); break;
    case SQRT: unaryBackwardLoop(SQRT, x, y, g, gx, n, p1, p2); break;
    case ABS: unaryBackwardLoop(ABS, x, y, g, gx, n, p1, p2); break;
    case RELU: unaryBackwardLoop(RELU, x, y, g, gx, n, p1, p2); break;
    case LEAKY_RELU: unaryBackwardLoop(LEAKY_RELU, x, y, g, gx, n, p1, p2); break;
    case ELU: unaryBackwardLoop(ELU, x, y, g, gx, n, p1, p2); break;
    case GELU: unaryBackwardLoop(GELU, x, y, g, gx, n, p1, p2); break;
    case SIGMOID: unaryBackwardLoop(SIGMOID, x, y, g, gx, n, p1, p2); break;
    case TANH: unaryBackwardLoop(TANH, x, y, g, gx, n, p1, p2); break;
    case CLIP: unaryBackwardLoop(CLIP, x, y, g, gx, n, p1, p2); break;
    default: unreachable();
  }
}

/**
 * Inverted dropout: turns uniform draws u in [0, 1) (in place) into the mask
 * u >= rate ? scale : 0, with scale = 1 / (1 - rate).
 */
export function dropoutMask(mask: usize, n: i32, rate: f32, scale: f32): void {
  const vr = f32x4.splat(rate);
  const vs = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(mask + o, v128.and(vs, f32x4.ge(v128.load(mask + o), vr)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(mask + o, load<f32>(mask + o) >= rate ? scale : 0);
  }
}
