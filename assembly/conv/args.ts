// The geometry block every convolution kernel reads, and the index arithmetic on it.

/**
 * Geometry of one convolution, 16 i32 written by the host (src/ops/conv/parts.ts `convArgs`).
 * Only top/left padding is needed: bottom/right padding is implied by outH/outW, and taps that
 * fall outside [0, inH) x [0, inW) read zeros (forward) or are dropped (gradients).
 */
@unmanaged export class ConvArgs {
  batch: i32; inH: i32; inW: i32; inC: i32;
  outH: i32; outW: i32; outC: i32;
  kH: i32; kW: i32; strideH: i32; strideW: i32; dilH: i32; dilW: i32;
  padTop: i32; padLeft: i32; groups: i32;
}

/** ceil(a / b) for b > 0 and any sign of a. */
@inline export function ceilDiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}
