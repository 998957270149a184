// Reductions over the middle axis of an [outer, n, inner] view (the host maps any contiguous
// run of reduced axes to that view, transposing first when the axes are not adjacent):
// sum / mean, max with its argmax, softmax and log-softmax (stable: shifted by the max),
// and sumToShape, which reduces a broadcast gradient back to an input's shape.
// Sums accumulate in f64; their order is fixed by the shape alone, so results never depend on
// threads or engine.
import { expV, expRangeV, expAnyS } from './vmath';

/**
 * out[o, i] = (sum_k x[o, k, i]) / divisor. divisor = 1 for sum, n for mean.
 * Accumulates in f64 (on f64x2 lanes), so long reductions such
 * as a loss mean or batch-norm statistics over N*H*W rows stay accurate.
 * scratch: inner f64 (8 * inner bytes), used when inner > 1.
 */
export function reduceSum(x: usize, out: usize, outer: i32, n: i32, inner: i32, divisor: f32, scratch: usize): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) {
      const row = x + (<usize>o * <usize>n << 2);
      store<f32>(out + (<usize>o << 2), <f32>(sumContiguous64(row, n) / <f64>divisor));
    }
    return;
  }
  const innerBytes = <usize>inner << 2;
  for (let o = 0; o < outer; o++) {
    const src = x + <usize>o * <usize>n * innerBytes;
    memory.fill(scratch, 0, <usize>inner << 3);
    for (let k = 0; k < n; k++) addRow64(scratch, src + <usize>k * innerBytes, inner);
    const dst = out + <usize>o * innerBytes;
    for (let i = 0; i < inner; i++) {
      store<f32>(dst + (<usize>i << 2), <f32>(load<f64>(scratch + (<usize>i << 3)) / <f64>divisor));
    }
  }
}

/** acc64[i] += src32[i] for i < n, on f64x2 lanes. */
// @ts-ignore: decorator
@inline function addRow64(acc: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(src + (<usize>i << 2));
    const a = acc + (<usize>i << 3);
    v128.store(a, f64x2.add(v128.load(a), f64x2.promote_low_f32x4(v)));
    v128.store(a, f64x2.add(v128.load(a, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
  }
  for (; i < n; i++) {
    const a = acc + (<usize>i << 3);
    store<f64>(a, load<f64>(a) + <f64>load<f32>(src + (<usize>i << 2)));
  }
}

/** Sum of n contiguous floats in f64: four f64x2 accumulators (8 interleaved partial sums). */
function sumContiguous64(p: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let acc2 = f64x2.splat(0);
  let acc3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const v0 = v128.load(p + o);
    const v1 = v128.load(p + o, 16);
    acc0 = f64x2.add(acc0, f64x2.promote_low_f32x4(v0));
    acc1 = f64x2.add(acc1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v0, v0, 2, 3, 0, 1)));
    acc2 = f64x2.add(acc2, f64x2.promote_low_f32x4(v1));
    acc3 = f64x2.add(acc3, f64x2.promote_low_f32x4(v128.shuffle<f32>(v1, v1, 2, 3, 0, 1)));
  }
  const s = f64x2.add(f64x2.add(acc0, acc1), f64x2.add(acc2, acc3));
  let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) total += <f64>load<f32>(p + (<usize>i << 2));
  return total;
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
 * out (outSize floats) = src summed over its broadcast dims: src is contiguous with `shape`
 * (rank dims) and out is addressed with outStrides (0 on the dims being summed away). Source
 * rows are visited in order and accumulated in f64 (scratch: outSize f64), so the result is
 * accurate and its summation order fixed.
 */
export function sumToShape(src: usize, out: usize, outSize: i32, rank: i32, shape: usize, outStrides: usize, scratch: usize): void {
  if (rank == 0) { store<f32>(out, load<f32>(src)); return; }
  memory.fill(scratch, 0, <usize>outSize << 3);
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
    const o = scratch + (<usize>off << 3);
    if (so == 1) {
      addRow64(o, s, n);
    } else if (so == 0) {
      store<f64>(o, load<f64>(o) + sumContiguous64(s, n));
    } else {
      for (let i = 0; i < n; i++) {
        const p = o + (<usize>(i * so) << 3);
        store<f64>(p, load<f64>(p) + <f64>load<f32>(s + (<usize>i << 2)));
      }
    }
  }
  for (let i = 0; i < outSize; i++) store<f32>(out + (<usize>i << 2), <f32>load<f64>(scratch + (<usize>i << 3)));
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
