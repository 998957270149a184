// One picture (a drawing, an upload, a webcam frame) to the backbone's input, the way MNIST digits
// look: grey in [0, 1], light strokes on black (inverted when the picture's border is light, as a
// dark drawing on paper), the strokes' bounding square scaled to 20x20 and centred in 28x28.
// Only wasm-cnn ops: the same in every runtime. Call inside tidy().

const INK = 0.25;

/** int32 [H, W, 1] of 0..255 -> Float32Array(784), or null when the picture has no strokes. */
export function prepareExample(W, img) {
  const { ops, data } = W;
  const [h, w] = img.shape;
  let x = data.toFloat(img).reshape([1, h, w, 1]);
  // Big pictures: 2x2 means first, so the final resize does not skip most pixels.
  while (x.shape[1] >= 112 && x.shape[2] >= 112) x = ops.avgPool2d(x, { poolSize: 2 });
  const [, H, Wd] = x.shape;
  let v = x.dataSync();
  let border = 0;
  for (let i = 0; i < Wd; i++) border += v[i] + v[(H - 1) * Wd + i];
  for (let i = 0; i < H; i++) border += v[i * Wd] + v[i * Wd + Wd - 1];
  if (border / (2 * (H + Wd)) > 0.5) { x = ops.sub(1, x); v = x.dataSync(); }
  let y0 = H, y1 = -1, x0 = Wd, x1 = -1;
  for (let i = 0; i < H; i++) for (let j = 0; j < Wd; j++) {
    if (v[i * Wd + j] > INK) { y0 = Math.min(y0, i); y1 = Math.max(y1, i); x0 = Math.min(x0, j); x1 = Math.max(x1, j); }
  }
  if (y1 < 0) return null;
  // The bounding square, centred on the strokes, padded with black where it leaves the picture.
  const side = Math.max(y1 - y0, x1 - x0) + 1;
  const top = Math.floor((y0 + y1 + 1 - side) / 2), left = Math.floor((x0 + x1 + 1 - side) / 2);
  const m = side;
  const square = ops.slice(ops.pad(x, [[0, 0], [m, m], [m, m], [0, 0]]), [0, top + m, left + m, 0], [1, side, side, 1]);
  const digit = ops.resize(square, [20, 20], { method: 'bilinear' });
  return Float32Array.from(ops.pad(digit, [[0, 0], [4, 4], [4, 4], [0, 0]]).dataSync());
}
