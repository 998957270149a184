// The few memory kernels the tensor core itself needs: copy, fill and same-shape add.

export function copy(src: usize, dst: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

export function fill(ptr: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(ptr + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(ptr + (<usize>i << 2), value);
}

/** acc[i] += g[i] */
export function addInPlace(acc: usize, g: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(acc + o, f32x4.add(v128.load(acc + o), v128.load(g + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(acc + o, load<f32>(acc + o) + load<f32>(g + o));
  }
}

/** out[i] = a[i] + b[i] */
export function addSame(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** 1 when the n bytes at a and b are identical (bit patterns: -0 differs from 0, NaNs by payload), else 0. */
export function sameBytes(a: usize, b: usize, n: i32): i32 {
  let i = 0;
  for (; i + 64 <= n; i += 64) {
    const o = <usize>i;
    const d = v128.or(v128.or(v128.xor(v128.load(a + o), v128.load(b + o)), v128.xor(v128.load(a + o, 16), v128.load(b + o, 16))),
                      v128.or(v128.xor(v128.load(a + o, 32), v128.load(b + o, 32)), v128.xor(v128.load(a + o, 48), v128.load(b + o, 48))));
    if (v128.any_true(d)) return 0;
  }
  for (; i < n; i++) if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return 0;
  return 1;
}

/** Marker export present only in the relaxed-SIMD build, so a caller-given module can be identified. */
export function buildVariant(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
