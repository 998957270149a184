// Random numbers and the host's deterministic math: xoshiroFill draws raw 32-bit values (the
// host's seeded generator, without a JS loop per value), bitsToUniform / bitsToNormal turn draws
// into floats in place, and mathPow / mathCos serve the host's schedules. Done here rather than
// in JS because log/cos/pow must give the same bits in every engine.

/** u32 bits -> uniform in [low, high): 24-bit mantissa draw. */
export function bitsToUniform(ptr: usize, n: i32, low: f32, high: f32): void {
  const scale: f32 = (high - low) / 16777216.0;
  for (let i = 0; i < n; i++) {
    const p = ptr + (<usize>i << 2);
    const u = <f32>(load<u32>(p) >>> 8);
    store<f32>(p, low + u * scale);
  }
}

/** u32 bits -> normal(mean, std) by Box-Muller on consecutive pairs (f64 internally). */
export function bitsToNormal(ptr: usize, n: i32, mean: f32, std: f32): void {
  let i = 0;
  for (; i < n; i += 2) {
    const p0 = ptr + (<usize>i << 2);
    const u1 = (<f64>(load<u32>(p0) >>> 8) + 0.5) / 16777216.0; // (0, 1): log is finite
    const hasPair = i + 1 < n;
    const u2 = hasPair ? <f64>(load<u32>(p0 + 4) >>> 8) / 16777216.0 : 0.25;
    const r = Math.sqrt(-2.0 * Math.log(u1));
    const theta = 2.0 * Math.PI * u2;
    store<f32>(p0, <f32>(<f64>mean + <f64>std * r * Math.cos(theta)));
    if (hasPair) store<f32>(p0 + 4, <f32>(<f64>mean + <f64>std * r * Math.sin(theta)));
  }
}

/** Deterministic math for the host (schedules, bias corrections): same bits in every engine. */
export function mathPow(x: f64, y: f64): f64 { return Math.pow(x, y); }
export function mathCos(x: f64): f64 { return Math.cos(x); }

/**
 * Writes n raw draws of xoshiro128** to out, advancing the generator state (4 u32 at `state`).
 * The same stream as the host's nextU32 (src/random.ts), just without a JS loop per value.
 */
export function xoshiroFill(state: usize, out: usize, n: i32): void {
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  for (let i = 0; i < n; i++) {
    store<u32>(out + (<usize>i << 2), rotl<u32>(s1 * 5, 7) * 9);
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u32>(s3, 11);
  }
  store<u32>(state, s0); store<u32>(state, s1, 4); store<u32>(state, s2, 8); store<u32>(state, s3, 12);
}
