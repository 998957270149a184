// The bias and relu parts of a convolution outside its main loop: the bias gradient, the gradient of
// a relu fused into the forward, and a separate bias add (conv2dTranspose).
import { off } from '../simd';

/** db[c] = sum over rows of dy[r, c] (bias gradient; rows = batch*outH*outW). */
export function conv2dBiasGrad(dy: usize, rows: i32, C: i32, db: usize): void {
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let p = dy + off(c);
    const stride = off(C);
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += stride;
    }
    v128.store(db + off(c), s0);
    v128.store(db + off(c), s1, 16);
    v128.store(db + off(c), s2, 32);
    v128.store(db + off(c), s3, 48);
  }
  for (; c + 4 <= C; c += 4) {
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(dy + off(r * C + c)));
    v128.store(db + off(c), s);
  }
  for (; c < C; c++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(dy + off(r * C + c));
    store<f32>(db + off(c), s);
  }
}

/** out[i] = y[i] > 0 ? g[i] : 0 — the relu fused into a conv epilogue, differentiated from its output. */
export function reluGradFromOutput(y: usize, g: usize, out: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(out + off(i), v128.and(v128.load(g + off(i)), f32x4.gt(v128.load(y + off(i)), z)));
  }
  for (; i < n; i++) store<f32>(out + off(i), load<f32>(y + off(i)) > 0 ? load<f32>(g + off(i)) : 0);
}

/** y[r, c] += bias[c] for rows x C (conv2dTranspose's bias). */
export function addChannelBias(y: usize, rows: i32, C: i32, bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = y + off(r * C);
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(p + off(c), f32x4.add(v128.load(p + off(c)), v128.load(bias + off(c))));
    for (; c < C; c++) store<f32>(p + off(c), load<f32>(p + off(c)) + load<f32>(bias + off(c)));
  }
}
