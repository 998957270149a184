// The resize tables the host writes (src/ops/resize/geometry.ts computes them, once per op): one
// 16-byte entry per output row or column, { i0: i32, i1: i32, w0: f32, w1: f32 }, the source
// indices and weights of its taps. Nearest uses one tap (i0, weight 1); linear two.
import { off } from '../simd';

export const ENTRY_BYTES: usize = 16;

@inline export function tapIndex0(table: usize, k: i32): i32 { return load<i32>(table + <usize>k * ENTRY_BYTES); }
@inline export function tapIndex1(table: usize, k: i32): i32 { return load<i32>(table + <usize>k * ENTRY_BYTES, 4); }
@inline export function tapWeight0(table: usize, k: i32): f32 { return load<f32>(table + <usize>k * ENTRY_BYTES, 8); }
@inline export function tapWeight1(table: usize, k: i32): f32 { return load<f32>(table + <usize>k * ENTRY_BYTES, 12); }

/** dst[i] = a * p[i] + b * q[i] for i < n (the SIMD body and the scalar tail round alike). */
@inline export function blendFloats(dst: usize, p: usize, q: usize, a: f32, b: f32, n: i32): void {
  const va = f32x4.splat(a), vb = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst + off(i), f32x4.add(f32x4.mul(va, v128.load(p + off(i))), f32x4.mul(vb, v128.load(q + off(i)))));
  }
  for (; i < n; i++) store<f32>(dst + off(i), a * load<f32>(p + off(i)) + b * load<f32>(q + off(i)));
}

/** dst[i] += w * src[i] for i < n. */
@inline export function addScaledFloats(dst: usize, src: usize, w: f32, n: i32): void {
  const vw = f32x4.splat(w);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(dst + off(i), f32x4.add(v128.load(dst + off(i)), f32x4.mul(vw, v128.load(src + off(i)))));
  }
  for (; i < n; i++) store<f32>(dst + off(i), load<f32>(dst + off(i)) + w * load<f32>(src + off(i)));
}
