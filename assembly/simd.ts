// Small helpers the kernels share: byte offsets of f32 elements, the f32x4 multiply-add of this
// build, and vector copy / zero / accumulate loops over f32 runs.

/** Byte offset of f32 element i. */
@inline export function off(i: i32): usize { return <usize>i << 2; }

/**
 * acc + a * b per lane: one fused relaxed_madd in the relaxed-SIMD build (rounds once), f32x4.mul
 * then f32x4.add in the baseline build (rounds twice). The accumulator is the add's first operand,
 * so engines without three-operand vector instructions add into its register in place.
 */
@inline export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** dst[i] = src[i] for i < n. */
@inline export function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    v128.store(dst + off(i), v128.load(src + off(i)));
    v128.store(dst + off(i), v128.load(src + off(i), 16), 16);
  }
  for (; i + 4 <= n; i += 4) v128.store(dst + off(i), v128.load(src + off(i)));
  for (; i < n; i++) store<f32>(dst + off(i), load<f32>(src + off(i)));
}

/** dst[i] = 0 for i < n. */
@inline export function zeroFloats(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + off(i), z);
  for (; i < n; i++) store<f32>(dst + off(i), 0);
}

/** dst[i] += src[i] */
@inline export function addFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + off(i), f32x4.add(v128.load(dst + off(i)), v128.load(src + off(i))));
  for (; i < n; i++) store<f32>(dst + off(i), load<f32>(dst + off(i)) + load<f32>(src + off(i)));
}
