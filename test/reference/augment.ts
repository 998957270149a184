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

/** Bilinear sample of image s at (y, x) in float64, each of the four neighbours 0 outside the image. */
function bilinearAt(x: ArrayLike<number>, shape: readonly number[], s: number, y: number, xx: number, k: number): number {
  const [, h, w, c] = shape;
  const px = (i: number, j: number) => (i >= 0 && i < h && j >= 0 && j < w ? x[((s * h + i) * w + j) * c + k] : 0);
  const i0 = Math.floor(y), j0 = Math.floor(xx);
  const wy = y - i0, wx = xx - j0;
  return (1 - wy) * (1 - wx) * px(i0, j0) + (1 - wy) * wx * px(i0, j0 + 1) + wy * (1 - wx) * px(i0 + 1, j0) + wy * wx * px(i0 + 1, j0 + 1);
}

/**
 * Rotation by t radians (counter-clockwise on screen) and zoom z about the image centre: each
 * output pixel samples the input at centre + z · M(t) · (pixel - centre), M the inverse rotation
 * written in (x right, y down) coordinates. params: [t, z] per sample.
 */
export function affineReference(x: ArrayLike<number>, shape: readonly number[], params: ArrayLike<number>): Float64Array {
  const [n, h, w, c] = shape;
  const out = new Float64Array(n * h * w * c);
  const centre = [(h - 1) / 2, (w - 1) / 2];
  for (let s = 0; s < n; s++) {
    const t = params[2 * s], z = params[2 * s + 1];
    // Rows: [y, x]. The content turns by +t, so the source point is the output point turned by -t.
    const M = [[Math.cos(t), Math.sin(t)], [-Math.sin(t), Math.cos(t)]];
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const v = [i - centre[0], j - centre[1]];
      const src = [0, 1].map((r) => centre[r] + z * (M[r][0] * v[0] + M[r][1] * v[1]));
      for (let k = 0; k < c; k++) out[((s * h + i) * w + j) * c + k] = bilinearAt(x, shape, s, src[0], src[1], k);
    }
  }
  return out;
}

/** Contrast factor f about each channel's mean, then brightness delta, optionally clipped. params: [f, delta] per sample. */
export function colorReference(x: ArrayLike<number>, shape: readonly number[], params: ArrayLike<number>, range?: [number, number]): Float64Array {
  const [n, h, w, c] = shape;
  const out = new Float64Array(n * h * w * c);
  for (let s = 0; s < n; s++) {
    for (let k = 0; k < c; k++) {
      const idx = Array.from({ length: h * w }, (_, q) => (s * h * w + q) * c + k);
      const mean = idx.reduce((a, i) => a + x[i], 0) / (h * w);
      for (const i of idx) {
        const v = (x[i] - mean) * params[2 * s] + mean + params[2 * s + 1];
        out[i] = range ? Math.min(range[1], Math.max(range[0], v)) : v;
      }
    }
  }
  return out;
}

/** Zeroes, per sample, the size[0] x size[1] window whose centre pixel is centres[s] = [row, col] (the window starts size/2 rounded down before it). */
export function cutoutReference(x: ArrayLike<number>, shape: readonly number[], centres: [number, number][], size: [number, number]): Float64Array {
  const [n, h, w, c] = shape;
  const out = Float64Array.from(x as ArrayLike<number>);
  for (let s = 0; s < n; s++) {
    const [cy, cx] = centres[s];
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const inside = i >= cy - Math.floor(size[0] / 2) && i < cy - Math.floor(size[0] / 2) + size[0] &&
        j >= cx - Math.floor(size[1] / 2) && j < cx - Math.floor(size[1] / 2) + size[1];
      if (inside) for (let k = 0; k < c; k++) out[((s * h + i) * w + j) * c + k] = 0;
    }
  }
  return out;
}
