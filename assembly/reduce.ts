// Reductions over the middle axis of an [outer, n, inner] view (the host maps any contiguous
// run of reduced axes to that view, transposing first when the axes are not adjacent):
// sum / mean, max with its argmax, softmax and log-softmax (stable: shifted by the max),
// and sumToShape, which reduces a broadcast gradient back to an input's shape.
// Summation order is fixed by the shape alone, so results never depend on threads or engine.
import { expV, expRangeV, expAnyS } from './vmath';

/** out[o, i] = (sum_k x[o, k, i]) / divisor. divisor = 1 for sum, n for mean. */
export function reduceSum(x: usize, out: usize, outer: i32, n: i32, inner: i32, divisor: f32): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const row = x + (<usize>o * <usize>n << 2);
      store<f32>(out + (<usize>o << 2), sumContiguous(row, n) / divisor);
    }
    return;
  }
  const innerBytes = <usize>inner << 2;
  const vd = f32x4.splat(divisor);
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>o * <usize>n * innerBytes;
    const dst = out + <usize>o * innerBytes;
    // Accumulate whole rows into dst, vectorised over the inner axis.
    if (n == 0) {
      memory.fill(dst, 0, innerBytes);
    } else {
      memory.copy(dst, src, innerBytes);
    }
    for (let k = 1; k < n; k++) {
      const s = src + <usize>k * innerBytes;
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const p = <usize>i << 2;
        v128.store(dst + p, f32x4.add(v128.load(dst + p), v128.load(s + p)));
      }
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        store<f32>(dst + p, load<f32>(dst + p) + load<f32>(s + p));
      }
    }
    if (divisor != 1) {
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const p = <usize>i << 2;
        v128.store(dst + p, f32x4.div(v128.load(dst + p), vd));
      }
      for (; i < inner; i++) {
        const p = <usize>i << 2;
        store<f32>(dst + p, load<f32>(dst + p) / divisor);
      }
    }
  }
}

/** Sum of n contiguous floats: 8 interleaved partial sums (SIMD), then a fixed combine order. */
// @ts-ignore: decorator
@inline function sumContiguous(p: usize, n: i32): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, v128.load(p + o));
    acc1 = f32x4.add(acc1, v128.load(p + o, 16));
  }
  if (i + 4 <= n) {
    acc0 = f32x4.add(acc0, v128.load(p + (<usize>i << 2)));
    i += 4;
  }
  const acc = f32x4.add(acc0, acc1);
  let s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) +
          (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}

/**
 * out[o, i] = max_k x[o, k, i] and arg[o, i] = the first k reaching it (int32). Either pointer
 * may be 0 to skip that output. NaN wins (as in NumPy): the first NaN is the max. Needs n >= 1.
 */
export function reduceMax(x: usize, out: usize, arg: usize, outer: i32, n: i32, inner: i32): void {
  for (let o = 0; o < outer; o++) {
    const base = <usize>o * <usize>n * <usize>inner;
    for (let i = 0; i < inner; i++) {
      let p = x + ((base + <usize>i) << 2);
      const step = <usize>inner << 2;
      let m = load<f32>(p);
      let mk = 0;
      if (m == m) {
        for (let k = 1; k < n; k++) {
          p += step;
          const v = load<f32>(p);
          if (v > m) { m = v; mk = k; }
          else if (v != v) { m = v; mk = k; break; }
        }
      }
      const oi = (<usize>o * <usize>inner + <usize>i) << 2;
      if (out) store<f32>(out + oi, m);
      if (arg) store<i32>(arg + oi, mk);
    }
  }
}

/** gx[o, k, i] = k == arg[o, i] ? g[o, i] : 0 (gradient of max to its argmax). */
export function reduceMaxBackward(g: usize, arg: usize, gx: usize, outer: i32, n: i32, inner: i32): void {
  memory.fill(gx, 0, (<usize>outer * <usize>n * <usize>inner) << 2);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const oi = (<usize>o * <usize>inner + <usize>i) << 2;
      const k = load<i32>(arg + oi);
      store<f32>(gx + ((<usize>o * <usize>n * <usize>inner + <usize>k * <usize>inner + <usize>i) << 2), load<f32>(g + oi));
    }
  }
}

/**
 * out (zeroed first, outSize floats) += src, where src is contiguous with `shape` (rank dims)
 * and out is addressed with outStrides (0 on the dims being summed away). Source rows are
 * visited in order, so the summation order is fixed.
 */
export function sumToShape(src: usize, out: usize, outSize: i32, rank: i32, shape: usize, outStrides: usize): void {
  memory.fill(out, 0, <usize>outSize << 2);
  if (rank == 0) { store<f32>(out, load<f32>(src)); return; }
  const last = <usize>(rank - 1) << 2;
  const n = load<i32>(shape + last);
  const so = load<i32>(outStrides + last);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= load<i32>(shape + (<usize>d << 2));
  for (let r = 0; r < rows; r++) {
    let rem = r;
    let off = 0;
    for (let d = rank - 2; d >= 0; d--) {
      const dOff = <usize>d << 2;
      const size = load<i32>(shape + dOff);
      off += (rem % size) * load<i32>(outStrides + dOff);
      rem /= size;
    }
    const s = src + (<usize>r * <usize>n << 2);
    const o = out + (<usize>off << 2);
    if (so == 1) {
      let i = 0;
      for (; i + 4 <= n; i += 4) {
        const p = <usize>i << 2;
        v128.store(o + p, f32x4.add(v128.load(o + p), v128.load(s + p)));
      }
      for (; i < n; i++) {
        const p = <usize>i << 2;
        store<f32>(o + p, load<f32>(o + p) + load<f32>(s + p));
      }
    } else if (so == 0) {
      store<f32>(o, load<f32>(o) + sumContiguous(s, n));
    } else {
      for (let i = 0; i < n; i++) {
        const p = o + (<usize>(i * so) << 2);
        store<f32>(p, load<f32>(p) + load<f32>(s + (<usize>i << 2)));
      }
    }
  }
}

/**
 * Softmax (log = 0) or log-softmax (log = 1) over the middle axis of [outer, n, inner].
 * Shifted by the max, so large inputs never overflow; the denominator is summed in f64.
 */
export function softmax(x: usize, out: usize, outer: i32, n: i32, inner: i32, log: i32): void {
  const step = <usize>inner << 2;
  if (inner == 1) {
    for (let o = 0; o < outer; o++) softmaxRow(x + (<usize>o * <usize>n << 2), out + (<usize>o * <usize>n << 2), n, log);
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const xs = x + ((<usize>o * <usize>n * <usize>inner + <usize>i) << 2);
      const os = out + ((<usize>o * <usize>n * <usize>inner + <usize>i) << 2);
      let m = load<f32>(xs);
      for (let k = 1; k < n; k++) m = max<f32>(m, load<f32>(xs + <usize>k * step));
      // An all -inf row has no finite shift; softmax is then undefined (NaN), as in PyTorch.
      let sum: f64 = 0;
      if (log) {
        for (let k = 0; k < n; k++) sum += <f64>expAnyS(load<f32>(xs + <usize>k * step) - m);
        const lse = <f32>Math.log(sum);
        for (let k = 0; k < n; k++) {
          const kk = <usize>k * step;
          store<f32>(os + kk, (load<f32>(xs + kk) - m) - lse);
        }
      } else {
        for (let k = 0; k < n; k++) {
          const kk = <usize>k * step;
          const e = expAnyS(load<f32>(xs + kk) - m);
          store<f32>(os + kk, e);
          sum += <f64>e;
        }
        const s = <f32>sum;
        for (let k = 0; k < n; k++) {
          const kk = <usize>k * step;
          store<f32>(os + kk, load<f32>(os + kk) / s);
        }
      }
    }
  }
}

/** Softmax / log-softmax of one contiguous row, vectorised (exp by the SIMD polynomial). */
function softmaxRow(xs: usize, os: usize, n: i32, log: i32): void {
  // max: four lanes, then combined
  let k = 0;
  let m = load<f32>(xs);
  if (n >= 4) {
    let vm = v128.load(xs);
    for (k = 4; k + 4 <= n; k += 4) vm = f32x4.max(vm, v128.load(xs + (<usize>k << 2)));
    m = max<f32>(max<f32>(f32x4.extract_lane(vm, 0), f32x4.extract_lane(vm, 1)),
                 max<f32>(f32x4.extract_lane(vm, 2), f32x4.extract_lane(vm, 3)));
  }
  for (; k < n; k++) m = max<f32>(m, load<f32>(xs + (<usize>k << 2)));
  // exp(x - m) into out, summed in f64 (two f64x2 accumulators, then the tail)
  const vmax = f32x4.splat(m);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    const d = f32x4.sub(v128.load(xs + o), vmax);
    let e: v128;
    if (expRangeV(d)) {
      e = expV(d);
    } else {
      e = f32x4.splat(0);
      e = f32x4.replace_lane(e, 0, expAnyS(f32x4.extract_lane(d, 0)));
      e = f32x4.replace_lane(e, 1, expAnyS(f32x4.extract_lane(d, 1)));
      e = f32x4.replace_lane(e, 2, expAnyS(f32x4.extract_lane(d, 2)));
      e = f32x4.replace_lane(e, 3, expAnyS(f32x4.extract_lane(d, 3)));
    }
    if (!log) v128.store(os + o, e);
    acc0 = f64x2.add(acc0, f64x2.promote_low_f32x4(e));
    acc1 = f64x2.add(acc1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
  }
  const acc = f64x2.add(acc0, acc1);
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; k < n; k++) {
    const o = <usize>k << 2;
    const e = expAnyS(load<f32>(xs + o) - m);
    if (!log) store<f32>(os + o, e);
    sum += <f64>e;
  }
  k = 0;
  if (log) {
    const lse = <f32>Math.log(sum);
    const vl = f32x4.splat(lse);
    for (; k + 4 <= n; k += 4) {
      const o = <usize>k << 2;
      v128.store(os + o, f32x4.sub(f32x4.sub(v128.load(xs + o), vmax), vl));
    }
    for (; k < n; k++) {
      const o = <usize>k << 2;
      store<f32>(os + o, (load<f32>(xs + o) - m) - lse);
    }
  } else {
    const s = <f32>sum;
    const vs = f32x4.splat(s);
    for (; k + 4 <= n; k += 4) {
      const o = <usize>k << 2;
      v128.store(os + o, f32x4.div(v128.load(os + o), vs));
    }
    for (; k < n; k++) {
      const o = <usize>k << 2;
      store<f32>(os + o, load<f32>(os + o) / s);
    }
  }
}

/**
 * Gradient of softmax / log-softmax from the forward output y:
 *   softmax:     gx = y * (g - sum_k g*y)
 *   logSoftmax:  gx = g - exp(y) * sum_k g
 */
export function softmaxBackward(y: usize, g: usize, gx: usize, outer: i32, n: i32, inner: i32, log: i32): void {
  const step = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const off = (<usize>o * <usize>n * <usize>inner + <usize>i) << 2;
      const ys = y + off;
      const gs = g + off;
      const xs = gx + off;
      let dot: f64 = 0;
      if (log) {
        for (let k = 0; k < n; k++) dot += <f64>load<f32>(gs + <usize>k * step);
        const d = <f32>dot;
        for (let k = 0; k < n; k++) {
          const kk = <usize>k * step;
          store<f32>(xs + kk, load<f32>(gs + kk) - expAnyS(load<f32>(ys + kk)) * d);
        }
      } else {
        for (let k = 0; k < n; k++) {
          const kk = <usize>k * step;
          dot += <f64>load<f32>(gs + kk) * <f64>load<f32>(ys + kk);
        }
        const d = <f32>dot;
        for (let k = 0; k < n; k++) {
          const kk = <usize>k * step;
          const yk = load<f32>(ys + kk);
          store<f32>(xs + kk, yk * (load<f32>(gs + kk) - d));
        }
      }
    }
  }
}
