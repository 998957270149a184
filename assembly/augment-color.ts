// Brightness and contrast of NHWC float images, per sample: out = (x - m) f + m + delta, m the
// image's mean of each channel (Keras' RandomContrast), optionally clipped to [lo, hi]. The host
// draws f and delta (src/data/augment.ts); the means are sums in f64 in a fixed order.

/**
 * `params` holds 2 f64 per sample: the contrast factor f and the brightness delta. With
 * `clip` != 0 results are clipped to [lo, hi]. x and out may alias.
 */
export function augmentColor(x: usize, out: usize, params: usize, n: i32, hw: i32, c: i32, clip: i32, lo: f64, hi: f64): void {
  const imgFloats = <usize>hw * <usize>c;
  for (let s = 0; s < n; s++) {
    const p = params + (<usize>s << 4);
    const f = load<f64>(p);
    const delta = load<f64>(p, 8);
    const src = x + (<usize>s * imgFloats << 2);
    const dst = out + (<usize>s * imgFloats << 2);
    for (let k = 0; k < c; k++) {
      let m = 0.0;
      if (f != 1) {
        for (let q = 0; q < hw; q++) m += <f64>load<f32>(src + ((<usize>q * <usize>c + <usize>k) << 2));
        m /= <f64>hw;
      }
      for (let q = 0; q < hw; q++) {
        const at = (<usize>q * <usize>c + <usize>k) << 2;
        let v = (<f64>load<f32>(src + at) - m) * f + m + delta;
        if (clip != 0) v = v < lo ? lo : v > hi ? hi : v;
        store<f32>(dst + at, <f32>v);
      }
    }
  }
}
