// Batch normalisation with given statistics over the last (channel) axis of a [rows, C] view:
//   y = (x - mean) * gamma / sqrt(var + eps) + beta
// and its gradient with respect to x, mean, var, gamma and beta. Per-channel values are
// vectorised over C; per-channel sums run over rows in order (fixed summation order).

/**
 * gamma / beta may be 0 (1 and 0). scratch: C floats (the per-channel scale).
 */
export function batchNormForward(x: usize, mean: usize, variance: usize, gamma: usize, beta: usize,
                                 out: usize, rows: i32, C: i32, eps: f32, scratch: usize): void {
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const s = <f32>1 / Mathf.sqrt(load<f32>(variance + o) + eps);
    store<f32>(scratch + o, gamma ? load<f32>(gamma + o) * s : s);
  }
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      let v = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), v128.load(scratch + o));
      if (beta) v = f32x4.add(v, v128.load(beta + o));
      v128.store(yr + o, v);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      let v = (load<f32>(xr + o) - load<f32>(mean + o)) * load<f32>(scratch + o);
      if (beta) v += load<f32>(beta + o);
      store<f32>(yr + o, v);
    }
  }
}

/**
 * From the output gradient g, writes any of (pointer 0 = skip):
 *   gx     = g * gamma * invstd                                   [rows, C]
 *   gMean  = -sum_r(g) * gamma * invstd                           [C]
 *   gVar   = -0.5 * sum_r(g * (x - mean)) * gamma * invstd^3      [C]
 *   gGamma = sum_r(g * (x - mean)) * invstd                       [C]
 *   gBeta  = sum_r(g)                                             [C]
 * with invstd = 1 / sqrt(var + eps); gamma may be 0 (1). scratch: 3*C floats.
 */
export function batchNormBackward(x: usize, mean: usize, variance: usize, gamma: usize, g: usize,
                                  rows: i32, C: i32, eps: f32,
                                  gx: usize, gMean: usize, gVar: usize, gGamma: usize, gBeta: usize,
                                  scratch: usize): void {
  const cBytes = <usize>C << 2;
  const invstd = scratch;           // gamma * invstd when used for gx
  const sumG = scratch + cBytes;
  const sumGXc = scratch + 2 * cBytes;
  memory.fill(sumG, 0, 2 * cBytes);
  const rowBytes = cBytes;
  const needSums = gMean | gVar | gGamma | gBeta;
  if (needSums) {
    for (let r = 0; r < rows; r++) {
      const xr = x + <usize>r * rowBytes;
      const gr = g + <usize>r * rowBytes;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const vg = v128.load(gr + o);
        v128.store(sumG + o, f32x4.add(v128.load(sumG + o), vg));
        const xc = f32x4.sub(v128.load(xr + o), v128.load(mean + o));
        v128.store(sumGXc + o, f32x4.add(v128.load(sumGXc + o), f32x4.mul(vg, xc)));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        const vg = load<f32>(gr + o);
        store<f32>(sumG + o, load<f32>(sumG + o) + vg);
        store<f32>(sumGXc + o, load<f32>(sumGXc + o) + vg * (load<f32>(xr + o) - load<f32>(mean + o)));
      }
    }
  }
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const is = <f32>1 / Mathf.sqrt(load<f32>(variance + o) + eps);
    const gm: f32 = gamma ? load<f32>(gamma + o) : 1;
    if (gMean) store<f32>(gMean + o, -load<f32>(sumG + o) * gm * is);
    if (gVar) store<f32>(gVar + o, <f32>-0.5 * load<f32>(sumGXc + o) * gm * is * is * is);
    if (gGamma) store<f32>(gGamma + o, load<f32>(sumGXc + o) * is);
    if (gBeta) store<f32>(gBeta + o, load<f32>(sumG + o));
    store<f32>(invstd + o, gm * is);
  }
  if (gx) {
    for (let r = 0; r < rows; r++) {
      const gr = g + <usize>r * rowBytes;
      const xr = gx + <usize>r * rowBytes;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        v128.store(xr + o, f32x4.mul(v128.load(gr + o), v128.load(invstd + o)));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(xr + o, load<f32>(gr + o) * load<f32>(invstd + o));
      }
    }
  }
}
