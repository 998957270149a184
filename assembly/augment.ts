// Data augmentation: per-sample horizontal/vertical flip plus crop with zero padding, in one pass
// over NHWC float images. The host draws the per-sample parameters (src/data/augment.ts) so every
// random number comes from the one seeded generator; this kernel only moves pixels.

/**
 * out[s, i, j, :] = x[s, si, sj, :] where si = (flipV ? h-1-i : i) + dy, sj = (flipH ? w-1-j : j) + dx,
 * and 0 where (si, sj) falls outside the image (the zero padding of a crop).
 * `params` holds 4 int32 per sample: flipH (0/1), flipV (0/1), dy, dx. x and out must not overlap.
 */
export function augmentFlipCrop(x: usize, out: usize, params: usize, n: i32, h: i32, w: i32, c: i32): void {
  const rowBytes = <usize>(w * c) << 2;
  const pixBytes = <usize>c << 2;
  for (let s = 0; s < n; s++) {
    const p = params + (<usize>s << 4);
    const flipH = load<i32>(p) != 0;
    const flipV = load<i32>(p, 4) != 0;
    const dy = load<i32>(p, 8);
    const dx = load<i32>(p, 12);
    const img = x + <usize>s * <usize>h * rowBytes;
    const dstImg = out + <usize>s * <usize>h * rowBytes;
    // Output columns whose source column lies inside the image: [j0, j1).
    let j0: i32, j1: i32;
    if (flipH) { j0 = max(0, dx); j1 = min(w, w + dx); }
    else { j0 = max(0, -dx); j1 = min(w, w - dx); }
    if (j1 < j0) j1 = j0;
    for (let i = 0; i < h; i++) {
      const dst = dstImg + <usize>i * rowBytes;
      const si = (flipV ? h - 1 - i : i) + dy;
      if (si < 0 || si >= h || j0 == j1) {
        memory.fill(dst, 0, rowBytes);
        continue;
      }
      const src = img + <usize>si * rowBytes;
      if (j0 > 0) memory.fill(dst, 0, <usize>j0 * pixBytes);
      if (j1 < w) memory.fill(dst + <usize>j1 * pixBytes, 0, <usize>(w - j1) * pixBytes);
      if (!flipH) {
        memory.copy(dst + <usize>j0 * pixBytes, src + <usize>(j0 + dx) * pixBytes, <usize>(j1 - j0) * pixBytes);
      } else if (c == 1) {
        for (let j = j0; j < j1; j++) {
          store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>(w - 1 - j + dx) << 2)));
        }
      } else {
        for (let j = j0; j < j1; j++) {
          memory.copy(dst + <usize>j * pixBytes, src + <usize>(w - 1 - j + dx) * pixBytes, pixBytes);
        }
      }
    }
  }
}
