// Inverted dropout's mask, from uniform draws the host fills in (src/random.ts).
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
