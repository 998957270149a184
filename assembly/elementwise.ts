// Elementwise kernels: binary arithmetic with NumPy broadcasting (fast paths for equal shapes,
// a scalar operand, a trailing-axis vector such as a bias, plus a general strided kernel),
// unary ops and activations with their gradients, and the dropout mask.
// Each kernel switches on the op code once, outside its loops: the loop helpers are inlined
// with a constant op, so every (op, loop) pair compiles to its own branch-free loop.
import { erfOverZ, erfcScaled } from './mathfit';
import { expV, expm1V, expm1S, expRangeV, expAnyS, expNeg64V, tanhV, tanhS } from './vmath';

/** Binary op codes: the `op` argument of the binary* kernels (the host's copy is generated from this). */
enum BinaryOp {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
  Max = 4,
  Min = 5,
  Pow = 6,
  /** a >= b ? 1 : 0 (the gradient masks of maximum / minimum) */
  Ge = 7,
  Gt = 8,
  Le = 9,
  Lt = 10,
  /** b * a^(b-1): d pow / d a */
  PowDa = 11,
  /** a > 0 ? a^b * ln(a) : 0: d pow / d b */
  PowDb = 12,
}

// @ts-ignore: decorator
@inline function bop(op: i32, x: f32, y: f32): f32 {
  if (op == BinaryOp.Add) return x + y;
  if (op == BinaryOp.Sub) return x - y;
  if (op == BinaryOp.Mul) return x * y;
  if (op == BinaryOp.Div) return x / y;
  if (op == BinaryOp.Max) return max<f32>(x, y);
  if (op == BinaryOp.Min) return min<f32>(x, y);
  if (op == BinaryOp.Pow) return Mathf.pow(x, y);
  if (op == BinaryOp.Ge) return x >= y ? 1 : 0;
  if (op == BinaryOp.Gt) return x > y ? 1 : 0;
  if (op == BinaryOp.Le) return x <= y ? 1 : 0;
  if (op == BinaryOp.Lt) return x < y ? 1 : 0;
  if (op == BinaryOp.PowDa) return y * Mathf.pow(x, y - 1);
  return x > 0 ? Mathf.pow(x, y) * Mathf.log(x) : 0; // PowDb
}

// @ts-ignore: decorator
@inline function hasSimd(op: i32): bool {
  return op <= BinaryOp.Min || (op >= BinaryOp.Ge && op <= BinaryOp.Lt);
}

// @ts-ignore: decorator
@inline function vop(op: i32, x: v128, y: v128): v128 {
  if (op == BinaryOp.Add) return f32x4.add(x, y);
  if (op == BinaryOp.Sub) return f32x4.sub(x, y);
  if (op == BinaryOp.Mul) return f32x4.mul(x, y);
  if (op == BinaryOp.Div) return f32x4.div(x, y);
  if (op == BinaryOp.Max) return f32x4.max(x, y);
  if (op == BinaryOp.Min) return f32x4.min(x, y);
  const one = f32x4.splat(1.0);
  if (op == BinaryOp.Ge) return v128.and(f32x4.ge(x, y), one);
  if (op == BinaryOp.Gt) return v128.and(f32x4.gt(x, y), one);
  if (op == BinaryOp.Le) return v128.and(f32x4.le(x, y), one);
  return v128.and(f32x4.lt(x, y), one); // Lt
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
    case BinaryOp.Add: rowVV(BinaryOp.Add, a, b, out, n); break;
    case BinaryOp.Sub: rowVV(BinaryOp.Sub, a, b, out, n); break;
    case BinaryOp.Mul: rowVV(BinaryOp.Mul, a, b, out, n); break;
    case BinaryOp.Div: rowVV(BinaryOp.Div, a, b, out, n); break;
    case BinaryOp.Max: rowVV(BinaryOp.Max, a, b, out, n); break;
    case BinaryOp.Min: rowVV(BinaryOp.Min, a, b, out, n); break;
    case BinaryOp.Pow: rowVV(BinaryOp.Pow, a, b, out, n); break;
    case BinaryOp.Ge: rowVV(BinaryOp.Ge, a, b, out, n); break;
    case BinaryOp.Gt: rowVV(BinaryOp.Gt, a, b, out, n); break;
    case BinaryOp.Le: rowVV(BinaryOp.Le, a, b, out, n); break;
    case BinaryOp.Lt: rowVV(BinaryOp.Lt, a, b, out, n); break;
    case BinaryOp.PowDa: rowVV(BinaryOp.PowDa, a, b, out, n); break;
    case BinaryOp.PowDb: rowVV(BinaryOp.PowDb, a, b, out, n); break;
    default: unreachable();
  }
}

/** out = a op s (scalarFirst = 0) or s op a (scalarFirst = 1), a of n contiguous values. */
export function binaryScalar(op: i32, a: usize, s: f32, out: usize, n: i32, scalarFirst: i32): void {
  // x ** 2 (squares in losses and statistics): the correctly rounded x * x, vectorised, instead
  // of pow's within-1-ulp; same special values (NaN, inf, -0). Its gradient 2 * x^1 likewise.
  if (!scalarFirst && s == 2 && op == BinaryOp.Pow) { rowVV(BinaryOp.Mul, a, a, out, n); return; }
  if (!scalarFirst && s == 2 && op == BinaryOp.PowDa) { rowVS(BinaryOp.Mul, a, 2, out, n); return; }
  if (scalarFirst) {
    switch (op) {
      case BinaryOp.Add: rowSV(BinaryOp.Add, s, a, out, n); break;
      case BinaryOp.Sub: rowSV(BinaryOp.Sub, s, a, out, n); break;
      case BinaryOp.Mul: rowSV(BinaryOp.Mul, s, a, out, n); break;
      case BinaryOp.Div: rowSV(BinaryOp.Div, s, a, out, n); break;
      case BinaryOp.Max: rowSV(BinaryOp.Max, s, a, out, n); break;
      case BinaryOp.Min: rowSV(BinaryOp.Min, s, a, out, n); break;
      case BinaryOp.Pow: rowSV(BinaryOp.Pow, s, a, out, n); break;
      case BinaryOp.Ge: rowSV(BinaryOp.Ge, s, a, out, n); break;
      case BinaryOp.Gt: rowSV(BinaryOp.Gt, s, a, out, n); break;
      case BinaryOp.Le: rowSV(BinaryOp.Le, s, a, out, n); break;
      case BinaryOp.Lt: rowSV(BinaryOp.Lt, s, a, out, n); break;
      case BinaryOp.PowDa: rowSV(BinaryOp.PowDa, s, a, out, n); break;
      case BinaryOp.PowDb: rowSV(BinaryOp.PowDb, s, a, out, n); break;
      default: unreachable();
    }
  } else {
    switch (op) {
      case BinaryOp.Add: rowVS(BinaryOp.Add, a, s, out, n); break;
      case BinaryOp.Sub: rowVS(BinaryOp.Sub, a, s, out, n); break;
      case BinaryOp.Mul: rowVS(BinaryOp.Mul, a, s, out, n); break;
      case BinaryOp.Div: rowVS(BinaryOp.Div, a, s, out, n); break;
      case BinaryOp.Max: rowVS(BinaryOp.Max, a, s, out, n); break;
      case BinaryOp.Min: rowVS(BinaryOp.Min, a, s, out, n); break;
      case BinaryOp.Pow: rowVS(BinaryOp.Pow, a, s, out, n); break;
      case BinaryOp.Ge: rowVS(BinaryOp.Ge, a, s, out, n); break;
      case BinaryOp.Gt: rowVS(BinaryOp.Gt, a, s, out, n); break;
      case BinaryOp.Le: rowVS(BinaryOp.Le, a, s, out, n); break;
      case BinaryOp.Lt: rowVS(BinaryOp.Lt, a, s, out, n); break;
      case BinaryOp.PowDa: rowVS(BinaryOp.PowDa, a, s, out, n); break;
      case BinaryOp.PowDb: rowVS(BinaryOp.PowDb, a, s, out, n); break;
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
      case BinaryOp.Add: rowVV(BinaryOp.Add, a, b, o, cols); break;
      case BinaryOp.Sub: rowVV(BinaryOp.Sub, a, b, o, cols); break;
      case BinaryOp.Mul: rowVV(BinaryOp.Mul, a, b, o, cols); break;
      case BinaryOp.Div: rowVV(BinaryOp.Div, a, b, o, cols); break;
      case BinaryOp.Max: rowVV(BinaryOp.Max, a, b, o, cols); break;
      case BinaryOp.Min: rowVV(BinaryOp.Min, a, b, o, cols); break;
      case BinaryOp.Pow: rowVV(BinaryOp.Pow, a, b, o, cols); break;
      case BinaryOp.Ge: rowVV(BinaryOp.Ge, a, b, o, cols); break;
      case BinaryOp.Gt: rowVV(BinaryOp.Gt, a, b, o, cols); break;
      case BinaryOp.Le: rowVV(BinaryOp.Le, a, b, o, cols); break;
      case BinaryOp.Lt: rowVV(BinaryOp.Lt, a, b, o, cols); break;
      case BinaryOp.PowDa: rowVV(BinaryOp.PowDa, a, b, o, cols); break;
      case BinaryOp.PowDb: rowVV(BinaryOp.PowDb, a, b, o, cols); break;
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
      case BinaryOp.Add: rowStrided(BinaryOp.Add, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Sub: rowStrided(BinaryOp.Sub, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Mul: rowStrided(BinaryOp.Mul, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Div: rowStrided(BinaryOp.Div, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Max: rowStrided(BinaryOp.Max, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Min: rowStrided(BinaryOp.Min, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Pow: rowStrided(BinaryOp.Pow, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Ge: rowStrided(BinaryOp.Ge, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Gt: rowStrided(BinaryOp.Gt, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Le: rowStrided(BinaryOp.Le, pa, sa, pb, sb, po, n); break;
      case BinaryOp.Lt: rowStrided(BinaryOp.Lt, pa, sa, pb, sb, po, n); break;
      case BinaryOp.PowDa: rowStrided(BinaryOp.PowDa, pa, sa, pb, sb, po, n); break;
      case BinaryOp.PowDb: rowStrided(BinaryOp.PowDb, pa, sa, pb, sb, po, n); break;
      default: unreachable();
    }
  }
}

/** The scalar op with a run-time op code (for single values only). */
function bop_dyn(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case BinaryOp.Add: return bop(BinaryOp.Add, x, y);
    case BinaryOp.Sub: return bop(BinaryOp.Sub, x, y);
    case BinaryOp.Mul: return bop(BinaryOp.Mul, x, y);
    case BinaryOp.Div: return bop(BinaryOp.Div, x, y);
    case BinaryOp.Max: return bop(BinaryOp.Max, x, y);
    case BinaryOp.Min: return bop(BinaryOp.Min, x, y);
    case BinaryOp.Pow: return bop(BinaryOp.Pow, x, y);
    case BinaryOp.Ge: return bop(BinaryOp.Ge, x, y);
    case BinaryOp.Gt: return bop(BinaryOp.Gt, x, y);
    case BinaryOp.Le: return bop(BinaryOp.Le, x, y);
    case BinaryOp.Lt: return bop(BinaryOp.Lt, x, y);
    case BinaryOp.PowDa: return bop(BinaryOp.PowDa, x, y);
    default: return bop(BinaryOp.PowDb, x, y);
  }
}

// ---- unary ops and activations --------------------------------------------------------------

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
}

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
// so a model's first relu compiles one loop (~1 KB) instead of all twelve (13 KB, ~0.4 ms of a
// cold start). Same code per op as when they were inlined, so the same results.
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
