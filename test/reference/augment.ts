// Naive augmentation reference: literally zero-pad, cut the window, then mirror, one pixel at a
// time in plain arrays. Parameters as drawAugmentParams: [flipH, flipV, dy, dx] per sample, where
// the window's top-left corner sits at (dy, dx) in the original image's coordinates.

export function augmentReference(x: ArrayLike<number>, shape: readonly number[], params: ArrayLike<number>): Float32Array {
  const [n, h, w, c] = shape;
  const out = new Float32Array(n * h * w * c);
  for (let s = 0; s < n; s++) {
    const [flipH, flipV, dy, dx] = [params[4 * s], params[4 * s + 1], params[4 * s + 2], params[4 * s + 3]];
    // 1. pad by P zeros on every side, P large enough for the offset.
    const P = Math.max(Math.abs(dy), Math.abs(dx));
    const ph = h + 2 * P, pw = w + 2 * P;
    const padded: number[][][] = [];
    for (let i = 0; i < ph; i++) {
      padded.push([]);
      for (let j = 0; j < pw; j++) {
        const si = i - P, sj = j - P;
        const px: number[] = [];
        for (let k = 0; k < c; k++) {
          px.push(si >= 0 && si < h && sj >= 0 && sj < w ? x[((s * h + si) * w + sj) * c + k] : 0);
        }
        padded[i].push(px);
      }
    }
    // 2. cut the h x w window at (dy + P, dx + P).
    const crop = [];
    for (let i = 0; i < h; i++) crop.push(padded[i + dy + P].slice(dx + P, dx + P + w));
    // 3. mirror.
    if (flipV) crop.reverse();
    if (flipH) for (const row of crop) row.reverse();
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let k = 0; k < c; k++) {
      out[((s * h + i) * w + j) * c + k] = crop[i][j][k];
    }
  }
  return out;
}
