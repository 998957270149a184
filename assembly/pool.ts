// Pooling kernels over NHWC images, vectorised over channels (contiguous in NHWC): max and
// average pooling forward/backward with padding, global average / max pooling forward/backward.

/** Geometry of one pooling, 12 i32 written by the host (src/ops/pool.ts). */
@unmanaged class PoolArgs {
  batch: i32; inH: i32; inW: i32; C: i32;
  outH: i32; outW: i32; kH: i32; kW: i32;
  strideH: i32; strideW: i32; padTop: i32; padLeft: i32;
}

@inline function off(i: i32): usize { return <usize>i << 2; }

/** The rows/columns of the window that fall inside the image: [lo, hi). */
@inline function lo(o: i32, s: i32, pad: i32): i32 { return max(0, o * s - pad); }
@inline function hi(o: i32, s: i32, pad: i32, k: i32, size: i32): i32 { return min(size, o * s - pad + k); }

export function maxPoolForward(args: usize, x: usize, y: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const ninf = f32x4.splat(-Infinity);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H);
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W);
        const yp = y + off(((n * Ho + oh) * Wo + ow) * C);
        let c = 0;
        for (; c + 16 <= C; c += 16) {
          let m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
          for (let h = h0; h < h1; h++) {
            let p = x + off(((n * H + h) * W + w0) * C + c);
            for (let w = w0; w < w1; w++) {
              m0 = f32x4.max(m0, v128.load(p));
              m1 = f32x4.max(m1, v128.load(p, 16));
              m2 = f32x4.max(m2, v128.load(p, 32));
              m3 = f32x4.max(m3, v128.load(p, 48));
              p += off(C);
            }
          }
          v128.store(yp + off(c), m0);
          v128.store(yp + off(c), m1, 16);
          v128.store(yp + off(c), m2, 32);
          v128.store(yp + off(c), m3, 48);
        }
        for (; c + 4 <= C; c += 4) {
          let m0 = ninf;
          for (let h = h0; h < h1; h++) {
            let p = x + off(((n * H + h) * W + w0) * C + c);
            for (let w = w0; w < w1; w++) { m0 = f32x4.max(m0, v128.load(p)); p += off(C); }
          }
          v128.store(yp + off(c), m0);
        }
        for (; c < C; c++) {
          let m: f32 = -Infinity;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const v = load<f32>(x + off(((n * H + h) * W + w) * C + c));
              // NaN propagates, as f32x4.max does in the vector lanes.
              if (v > m || v != v) m = v;
              if (m != m) break;
            }
          }
          store<f32>(yp + off(c), m);
        }
      }
    }
  }
}

/**
 * dx = gradient of maxPool: each output's gradient goes to the FIRST position of its window, in
 * row-major (h, then w) order, whose value equals the output (the first max on ties; the first
 * NaN when the window holds one). Overlapping windows add up.
 */
export function maxPoolBackward(args: usize, x: usize, y: usize, dy: usize, dx: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  memory.fill(dx, 0, <usize>N * H * W * C << 2);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H);
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W);
        const o = ((n * Ho + oh) * Wo + ow) * C;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const yv = v128.load(y + off(o + c));
          const gv = v128.load(dy + off(o + c));
          const yNaN = f32x4.ne(yv, yv);
          let done = i32x4.splat(0);
          for (let h = h0; h < h1; h++) {
            let p = off(((n * H + h) * W + w0) * C + c);
            for (let w = w0; w < w1; w++) {
              const xv = v128.load(x + p);
              const hit = v128.andnot(v128.or(f32x4.eq(xv, yv), v128.and(yNaN, f32x4.ne(xv, xv))), done);
              v128.store(dx + p, f32x4.add(v128.load(dx + p), v128.and(gv, hit)));
              done = v128.or(done, hit);
              p += off(C);
            }
          }
        }
        for (; c < C; c++) {
          const yv = load<f32>(y + off(o + c));
          const g = load<f32>(dy + off(o + c));
          let found = false;
          for (let h = h0; h < h1 && !found; h++) {
            for (let w = w0; w < w1; w++) {
              const p = off(((n * H + h) * W + w) * C + c);
              const xv = load<f32>(x + p);
              if (xv == yv || (yv != yv && xv != xv)) {
                store<f32>(dx + p, load<f32>(dx + p) + g);
                found = true;
                break;
              }
            }
          }
        }
      }
    }
  }
}

/** Average over the window's positions inside the image (padding excluded from the count). */
export function avgPoolForward(args: usize, x: usize, y: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const zero = f32x4.splat(0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H);
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W);
        const count = <f32>((h1 - h0) * (w1 - w0));
        const vcount = f32x4.splat(count);
        const yp = y + off(((n * Ho + oh) * Wo + ow) * C);
        let c = 0;
        for (; c + 16 <= C; c += 16) {
          let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
          for (let h = h0; h < h1; h++) {
            let p = x + off(((n * H + h) * W + w0) * C + c);
            for (let w = w0; w < w1; w++) {
              s0 = f32x4.add(s0, v128.load(p));
              s1 = f32x4.add(s1, v128.load(p, 16));
              s2 = f32x4.add(s2, v128.load(p, 32));
              s3 = f32x4.add(s3, v128.load(p, 48));
              p += off(C);
            }
          }
          v128.store(yp + off(c), f32x4.div(s0, vcount));
          v128.store(yp + off(c), f32x4.div(s1, vcount), 16);
          v128.store(yp + off(c), f32x4.div(s2, vcount), 32);
          v128.store(yp + off(c), f32x4.div(s3, vcount), 48);
        }
        for (; c + 4 <= C; c += 4) {
          let s0 = zero;
          for (let h = h0; h < h1; h++) {
            let p = x + off(((n * H + h) * W + w0) * C + c);
            for (let w = w0; w < w1; w++) { s0 = f32x4.add(s0, v128.load(p)); p += off(C); }
          }
          v128.store(yp + off(c), f32x4.div(s0, vcount));
        }
        for (; c < C; c++) {
          let s: f32 = 0;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) s += load<f32>(x + off(((n * H + h) * W + w) * C + c));
          }
          store<f32>(yp + off(c), s / count);
        }
      }
    }
  }
}

export function avgPoolBackward(args: usize, dy: usize, dx: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  memory.fill(dx, 0, <usize>N * H * W * C << 2);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H);
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W);
        const count = <f32>((h1 - h0) * (w1 - w0));
        const vcount = f32x4.splat(count);
        const gp = dy + off(((n * Ho + oh) * Wo + ow) * C);
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const g = f32x4.div(v128.load(gp + off(c)), vcount);
          for (let h = h0; h < h1; h++) {
            let p = dx + off(((n * H + h) * W + w0) * C + c);
            for (let w = w0; w < w1; w++) { v128.store(p, f32x4.add(v128.load(p), g)); p += off(C); }
          }
        }
        for (; c < C; c++) {
          const g = load<f32>(gp + off(c)) / count;
          for (let h = h0; h < h1; h++) {
            for (let w = w0; w < w1; w++) {
              const p = dx + off(((n * H + h) * W + w) * C + c);
              store<f32>(p, load<f32>(p) + g);
            }
          }
        }
      }
    }
  }
}

// ---- global pooling: [N, HW, C] -> [N, C] ----------------------------------------------------

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
  for (let n = 0; n < N; n++) {
    const gn = dy + off(n * C), dxn = dx + off(n * HW * C);
    for (let i = 0; i < HW; i++) {
      const p = dxn + off(i * C);
      let c = 0;
      for (; c + 4 <= C; c += 4) v128.store(p + off(c), f32x4.div(v128.load(gn + off(c)), vcount));
      for (; c < C; c++) store<f32>(p + off(c), load<f32>(gn + off(c)) / <f32>HW);
    }
  }
}

export function globalMaxPoolForward(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), yn = y + off(n * C);
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(yn + off(c), f32x4.splat(-Infinity));
    for (; c < C; c++) store<f32>(yn + off(c), -Infinity);
    for (let i = 0; i < HW; i++) {
      const p = xn + off(i * C);
      c = 0;
      for (; c + 4 <= C; c += 4) v128.store(yn + off(c), f32x4.max(v128.load(yn + off(c)), v128.load(p + off(c))));
      for (; c < C; c++) {
        const v = load<f32>(p + off(c)), m = load<f32>(yn + off(c));
        if (v > m || v != v) { if (m == m) store<f32>(yn + off(c), v); }
      }
    }
  }
}

/** Each channel's gradient goes to its first (row-major) position equal to the max. */
export function globalMaxPoolBackward(x: usize, y: usize, dy: usize, dx: usize, N: i32, HW: i32, C: i32): void {
  memory.fill(dx, 0, <usize>N * HW * C << 2);
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), dxn = dx + off(n * HW * C);
    for (let c = 0; c < C; c++) {
      const m = load<f32>(y + off(n * C + c));
      const isNaN = m != m;
      for (let i = 0; i < HW; i++) {
        const v = load<f32>(xn + off(i * C + c));
        if (v == m || (isNaN && v != v)) {
          store<f32>(dxn + off(i * C + c), load<f32>(dy + off(n * C + c)));
          break;
        }
      }
    }
  }
}
