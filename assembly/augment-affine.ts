// Rotation and zoom of NHWC float images about their centre, bilinear, with zeros outside the
// image. The host draws each sample's angle and zoom (src/data/augment.ts); the sine and cosine
// are computed here, where AssemblyScript's Math is compiled in, so every runtime gets the same bits.

/**
 * For output pixel (i, j), with (dy, dx) = (i - cy, j - cx) from the centre (cy, cx) = ((h-1)/2, (w-1)/2):
 *   sy = cy + z (sin t dx + cos t dy),  sx = cx + z (cos t dx - sin t dy)
 * and out = bilinear interpolation of x at (sy, sx), each of the four taps 0 when outside the image.
 * A positive angle t turns the content counter-clockwise on screen; z > 1 shows more of the
 * image (zooms out, as Keras' RandomZoom with a positive factor). `params` holds 2 f64 per
 * sample: t (radians) and z. All arithmetic in f64, rounded to f32 once. x and out must not overlap.
 */
export function augmentAffine(x: usize, out: usize, params: usize, n: i32, h: i32, w: i32, c: i32): void {
  const cy = <f64>(h - 1) * 0.5;
  const cx = <f64>(w - 1) * 0.5;
  const rowFloats = <usize>w * <usize>c;
  for (let s = 0; s < n; s++) {
    const p = params + (<usize>s << 4);
    const t = load<f64>(p);
    const z = load<f64>(p, 8);
    const cosT = t == 0 ? 1.0 : Math.cos(t);
    const sinT = t == 0 ? 0.0 : Math.sin(t);
    const a = z * cosT, b = z * sinT;
    const img = x + (<usize>s * <usize>h * rowFloats << 2);
    const dstImg = out + (<usize>s * <usize>h * rowFloats << 2);
    for (let i = 0; i < h; i++) {
      const dy = <f64>i - cy;
      for (let j = 0; j < w; j++) {
        const dx = <f64>j - cx;
        const sy = cy + (b * dx + a * dy);
        const sx = cx + (a * dx - b * dy);
        const y0f = Math.floor(sy), x0f = Math.floor(sx);
        const fy = sy - y0f, fx = sx - x0f;
        const dst = dstImg + ((<usize>i * rowFloats + <usize>j * <usize>c) << 2);
        // Entirely outside (every tap out of range): the fill value, without reading.
        if (y0f < -1 || y0f >= <f64>h || x0f < -1 || x0f >= <f64>w) {
          memory.fill(dst, 0, <usize>c << 2);
          continue;
        }
        const y0 = <i32>y0f, x0 = <i32>x0f;
        const in00 = y0 >= 0 && x0 >= 0, in01 = y0 >= 0 && x0 + 1 < w;
        const in10 = y0 + 1 < h && x0 >= 0, in11 = y0 + 1 < h && x0 + 1 < w;
        const base = img + ((<isize>y0 * <isize>rowFloats + <isize>x0 * <isize>c) << 2);
        const down = <usize>rowFloats << 2, right = <usize>c << 2;
        for (let k = 0; k < c; k++) {
          const q = base + (<usize>k << 2);
          const v00 = in00 ? <f64>load<f32>(q) : 0.0;
          const v01 = in01 ? <f64>load<f32>(q + right) : 0.0;
          const v10 = in10 ? <f64>load<f32>(q + down) : 0.0;
          const v11 = in11 ? <f64>load<f32>(q + down + right) : 0.0;
          const top = v00 + fx * (v01 - v00);
          const bottom = v10 + fx * (v11 - v10);
          store<f32>(dst + (<usize>k << 2), <f32>(top + fy * (bottom - top)));
        }
      }
    }
  }
}
