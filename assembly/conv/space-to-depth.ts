// Space-to-depth for strided convolutions: a conv of stride s with a kernel of 2s < k <= 3s taps
// equals a stride-1 3x3 conv over xs, where each s x s block of pixels becomes one pixel of s*s*C
// channels, with the kernel zero-padded to 3s x 3s and regrouped the same way. That 3x3 conv can
// take Winograd (src/ops/conv/algorithm.ts useSpaceToDepth), which im2col of the strided one cannot.
import { off, copyFloats, zeroFloats } from '../simd';

/**
 * xs[n][a][b][(dy*s + dx)*C + c] = x[n][a*s + dy - padTop][b*s + dx - padLeft][c] for a < Hs,
 * b < Ws: zero outside x. x is NHWC [N, H, W, C], xs [N, Hs, Ws, s*s*C].
 */
export function spaceToDepthInput(x: usize, xs: usize, N: i32, H: i32, W: i32, C: i32, s: i32,
                                  padTop: i32, padLeft: i32, Hs: i32, Ws: i32): void {
  const run = s * C; // one row dy of a block: s pixels, contiguous in x
  let p = xs;
  for (let n = 0; n < N; n++) {
    for (let a = 0; a < Hs; a++) {
      for (let b = 0; b < Ws; b++) {
        const iw0 = b * s - padLeft;
        const inside = iw0 >= 0 && iw0 + s <= W;
        for (let dy = 0; dy < s; dy++) {
          const ih = a * s + dy - padTop;
          if (<u32>ih >= <u32>H) {
            zeroFloats(p, run);
          } else if (inside) {
            copyFloats(p, x + off(((n * H + ih) * W + iw0) * C), run);
          } else {
            for (let dx = 0; dx < s; dx++) {
              const iw = iw0 + dx;
              if (<u32>iw < <u32>W) copyFloats(p + off(dx * C), x + off(((n * H + ih) * W + iw) * C), C);
              else zeroFloats(p + off(dx * C), C);
            }
          }
          p += off(run);
        }
      }
    }
  }
}

/** ws[a][b][(dy*s + dx)*C + c][o] = w[a*s + dy][b*s + dx][c][o] for a, b < 3: zero past the kH x kW HWIO kernel. */
export function spaceToDepthWeights(w: usize, ws: usize, kH: i32, kW: i32, C: i32, CO: i32, s: i32): void {
  const tap = C * CO;
  let p = ws;
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      for (let dy = 0; dy < s; dy++) {
        for (let dx = 0; dx < s; dx++) {
          const kh = a * s + dy, kw = b * s + dx;
          if (kh < kH && kw < kW) copyFloats(p, w + off((kh * kW + kw) * tap), tap);
          else zeroFloats(p, tap);
          p += off(tap);
        }
      }
    }
  }
}
