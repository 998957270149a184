// Global average and max pooling over NHWC images: [N, HW, C] -> [N, C], and their gradients.
import { off } from '../simd';
import { fillOut } from './window';
import { maxOf } from './exact-max';

export function globalAvgPoolForward(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), yn = y + off(n * C);
    memory.fill(yn, 0, off(C));
    // Sum image rows into y in place: streams x once, y (one row of C) stays in L1.
    for (let i = 0; i < HW; i++) {
      const p = xn + off(i * C);
      let c = 0;
      for (; c + 4 <= C; c += 4) v128.store(yn + off(c), f32x4.add(v128.load(yn + off(c)), v128.load(p + off(c))));
      for (; c < C; c++) store<f32>(yn + off(c), load<f32>(yn + off(c)) + load<f32>(p + off(c)));
    }
    let c = 0;
    const vcount = f32x4.splat(<f32>HW);
    for (; c + 4 <= C; c += 4) v128.store(yn + off(c), f32x4.div(v128.load(yn + off(c)), vcount));
    for (; c < C; c++) store<f32>(yn + off(c), load<f32>(yn + off(c)) / <f32>HW);
  }
}

export function globalAvgPoolBackward(dy: usize, dx: usize, N: i32, HW: i32, C: i32): void {
  const vcount = f32x4.splat(<f32>HW);
  const row = off(C);
  for (let n = 0; n < N; n++) {
    const gn = dy + off(n * C), dxn = dx + off(n * HW * C);
    if (HW <= 0) continue;
    // The first pixel's row, then copies of it (doubling: log2(HW) copies).
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(dxn + off(c), f32x4.div(v128.load(gn + off(c)), vcount));
    for (; c < C; c++) store<f32>(dxn + off(c), load<f32>(gn + off(c)) / <f32>HW);
    for (let k = 1; k < HW; k <<= 1) memory.copy(dxn + <usize>k * row, dxn, <usize>min(k, HW - k) * row);
  }
}

// Global max pooling walks the image in chunks of about 16 KB (all channels of a chunk stay in
// L1; a whole image column of one channel block would hit the same few cache sets when C * 4 is
// a large power of two), keeping each channel's running max in y.
@inline function chunkOf(C: i32): i32 { return max(8, min(64, 4096 / max(C, 1))); }

export function globalMaxPoolForward(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  const C4 = C & ~3, rowBytes = off(C), chunk = chunkOf(C);
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), yn = y + off(n * C);
    if (HW <= 0) { fillOut(yn, C, -Infinity); continue; }
    for (let i0 = 0; i0 < HW; i0 += chunk) {
      const i1 = min(HW, i0 + chunk);
      for (let c = 0; c < C4; c += 4) {
        let p = xn + <usize>i0 * rowBytes + off(c);
        // The chunk's pixels and the max so far (exact: see maxOf), in any order.
        const v0 = i0 == 0 ? v128.load(p) : v128.load(yn + off(c));
        let top = v0, bot = v0, un = v0;
        for (let i = i0; i < i1; i++) {
          const v = v128.load(p);
          top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v);
          p += rowBytes;
        }
        v128.store(yn + off(c), maxOf(top, bot, un));
      }
    }
    for (let c = C4; c < C; c++) {
      let m: f32 = -Infinity;
      for (let i = 0; i < HW; i++) {
        const v = load<f32>(xn + off(i * C + c));
        if (v > m || v != v) m = v;
        if (m != m) break;
      }
      store<f32>(yn + off(c), m);
    }
  }
}

/**
 * Each channel's gradient goes to its first (row-major) position equal to the max (the first NaN
 * when the max is NaN), as g; 0 elsewhere. The gradient not yet placed waits in dx at the last
 * pixel, which keeps it: no earlier pixel matching means the last one holds the max.
 */
export function globalMaxPoolBackward(x: usize, y: usize, dy: usize, dx: usize, N: i32, HW: i32, C: i32): void {
  const C4 = C & ~3, rowBytes = off(C), chunk = chunkOf(C);
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), dxn = dx + off(n * HW * C);
    if (HW <= 0) continue;
    const lastRow = dxn + <usize>(HW - 1) * rowBytes;
    memory.copy(lastRow, dy + off(n * C), off(C4));
    for (let i0 = 0; i0 < HW - 1; i0 += chunk) {
      const i1 = min(HW - 1, i0 + chunk);
      for (let c = 0; c < C4; c += 4) {
        const m = v128.load(y + off(n * C + c)), mNaN = f32x4.ne(m, m);
        let rest = v128.load(lastRow + off(c));
        let p = <usize>i0 * rowBytes + off(c);
        if (v128.any_true(mNaN)) {
          for (let i = i0; i < i1; i++) {
            const v = v128.load(xn + p);
            const hit = v128.or(f32x4.eq(v, m), v128.and(mNaN, f32x4.ne(v, v)));
            v128.store(dxn + p, v128.and(rest, hit));
            rest = v128.andnot(rest, hit);
            p += rowBytes;
          }
        } else {
          for (let i = i0; i < i1; i++) {
            const hit = f32x4.eq(v128.load(xn + p), m);
            v128.store(dxn + p, v128.and(rest, hit));
            rest = v128.andnot(rest, hit);
            p += rowBytes;
          }
        }
        v128.store(lastRow + off(c), rest);
      }
    }
    for (let c = C4; c < C; c++) {
      const m = load<f32>(y + off(n * C + c));
      const isNaN = m != m;
      let found = false;
      for (let i = 0; i < HW; i++) {
        const p = off(i * C + c);
        const v = load<f32>(xn + p);
        if (!found && (v == m || (isNaN && v != v))) {
          store<f32>(dxn + p, load<f32>(dy + off(n * C + c)));
          found = true;
        } else {
          store<f32>(dxn + p, 0);
        }
      }
    }
  }
}
