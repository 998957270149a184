// Binary elementwise kernels with NumPy broadcasting: fast paths for equal shapes, a scalar
// operand and a trailing-axis vector such as a bias, plus a general strided kernel.
// Each kernel switches on the op code once, outside its loops: the loop helpers are inlined
// with a constant op, so every (op, loop) pair compiles to its own branch-free loop.

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
