// Conv options -> ConvGeometry: the pure, checked resolution of conv2d's and conv2dTranspose's
// options against the input and weight shapes. The padding and size rules are src/geometry.ts's.
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../errors.js';
import { dilatedExtent, samePadding, transposedOutputSize, transposedWindowSize, windowOutputSize } from '../../geometry.js';
import { pair, describe } from '../util.js';

/** 'valid' | 'same' (TensorFlow) | p | [padH, padW] | [[top, bottom], [left, right]]. */
export type Padding2d =
  | 'valid' | 'same' | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];

export interface Conv2dOptions {
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  dilation?: number | readonly [number, number];
  groups?: number;
  /** Fused into the kernel's epilogue. */
  activation?: 'relu' | 'linear' | null;
}

export interface Conv2dTransposeOptions {
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  /** Extra rows/columns at the bottom/right of the output (each < stride or < dilation). */
  outputPadding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
}

/**
 * Everything a conv2d kernel needs, after resolving the options. For conv2dTranspose this is the
 * geometry of the forward convolution it is the adjoint of (its input is the transpose's output).
 */
export interface ConvGeometry {
  batch: number; inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kH: number; kW: number;
  strideH: number; strideW: number; dilH: number; dilW: number;
  padTop: number; padBottom: number; padLeft: number; padRight: number;
  groups: number;
}

export const shapeIn = (g: ConvGeometry): number[] => [g.batch, g.inH, g.inW, g.inC];
export const shapeOut = (g: ConvGeometry): number[] => [g.batch, g.outH, g.outW, g.outC];
export const shapeW = (g: ConvGeometry): number[] => [g.kH, g.kW, g.inC / g.groups, g.outC];

/**
 * Resolves `padding` for one convolution to [top, bottom, left, right] (pure). `kH`/`kW` are the
 * dilated kernel extents. 'same' follows TensorFlow: out = ceil(in / stride), and the odd pixel
 * of padding goes to the bottom/right.
 */
export function resolvePadding(padding: Padding2d, inH: number, inW: number, kH: number, kW: number,
                               strideH: number, strideW: number, op = 'conv2d'): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (padding === 'same') return [...samePadding(inH, kH, strideH), ...samePadding(inW, kW, strideW)];
  const bad = (): never => {
    throw new ValueError(`${op}: padding must be 'valid', 'same', a non-negative integer, [padH, padW] or [[top, bottom], [left, right]], got ${fmtValue(padding)}`);
  };
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (typeof padding === 'number') return ok(padding) ? [padding, padding, padding, padding] : bad();
  if (!Array.isArray(padding) || padding.length !== 2) return bad();
  const [ph, pw] = padding as readonly unknown[];
  if (Array.isArray(ph) || Array.isArray(pw)) {
    if (!Array.isArray(ph) || !Array.isArray(pw) || ph.length !== 2 || pw.length !== 2 || ![...ph, ...pw].every(ok)) return bad();
    return [ph[0], ph[1], pw[0], pw[1]];
  }
  return ok(ph) && ok(pw) ? [ph, ph, pw, pw] : bad();
}

/** Channels against groups: both channel counts divisible, the weights' inputs times groups = inC. */
export function checkGroupChannels(inC: number, wIn: number, outC: number, groups: number, op: string, shapes: () => string): void {
  if (inC % groups !== 0) throw new ValueError(`${op}: groups ${groups} must divide the input channels ${inC} ${shapes()}`);
  if (outC % groups !== 0) throw new ValueError(`${op}: groups ${groups} must divide the output channels ${outC} ${shapes()}`);
  if (wIn * groups !== inC) {
    throw new ShapeError(groups === 1
      ? `${op}: input has ${inC} channels but weights expect ${wIn} ${shapes()}`
      : `${op}: input has ${inC} channels but weights expect ${wIn} per group x ${groups} groups = ${wIn * groups} ${shapes()}`);
  }
}

export function checkGroups(groups: unknown, op: string): number {
  if (groups === undefined) return 1;
  if (!Number.isInteger(groups) || (groups as number) < 1) {
    throw new ValueError(`${op}: groups must be a positive integer, got ${describe(groups)}`);
  }
  return groups as number;
}

/** Resolves conv2d's options against the input [N,H,W,C] and HWIO weight shapes (pure; throws on misuse). */
export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[],
                               options: Conv2dOptions = {}, op = 'conv2d'): ConvGeometry {
  // Built only for an error message: most calls are valid and run every step.
  const shapes = () => `(input ${fmtShape(xShape)}, weights ${fmtShape(wShape)})`;
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be rank 4 (NHWC), got shape ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weights must be rank 4 (HWIO: [kernelH, kernelW, inChannels/groups, outChannels]), got shape ${fmtShape(wShape)}`);
  const [strideH, strideW] = pair(options.strides, 1, op, 'strides');
  const [dilH, dilW] = pair(options.dilation, 1, op, 'dilation');
  const groups = checkGroups(options.groups, op);
  const [batch, inH, inW, inC] = xShape;
  const [kH, kW, wIn, outC] = wShape;
  if (kH < 1 || kW < 1) throw new ShapeError(`${op}: the kernel must be at least 1x1, got ${kH}x${kW} ${shapes()}`);
  checkGroupChannels(inC, wIn, outC, groups, op, shapes);
  const effKH = dilatedExtent(kH, dilH), effKW = dilatedExtent(kW, dilW);
  const [padTop, padBottom, padLeft, padRight] = resolvePadding(options.padding ?? 'valid', inH, inW, effKH, effKW, strideH, strideW, op);
  const padH = inH + padTop + padBottom, padW = inW + padLeft + padRight;
  if (padH < effKH || padW < effKW) {
    const dil = dilH > 1 || dilW > 1 ? ` (dilated to ${effKH}x${effKW})` : '';
    throw new ShapeError(`${op}: kernel ${kH}x${kW}${dil} is larger than the padded input ${padH}x${padW} ${shapes()}`);
  }
  return {
    batch, inH, inW, inC,
    outH: windowOutputSize(inH, effKH, strideH, padTop, padBottom), outW: windowOutputSize(inW, effKW, strideW, padLeft, padRight), outC,
    kH, kW, strideH, strideW, dilH, dilW, padTop, padBottom, padLeft, padRight, groups,
  };
}

/**
 * Resolves conv2dTranspose's options (pure). Output size as TensorFlow: 'valid' -> in*s +
 * max(k - s, 0), 'same' -> in*s, explicit padding -> (in-1)*s + k - top - bottom (+ outputPadding).
 * Given outputPadding with 'valid'/'same', the size is Keras' (in-1)*s + k - 2*pad + outputPadding
 * with pad 0 / k//2 (k is the dilated kernel extent). Returns the geometry of the forward convolution
 * whose input gradient this is: its input is [N, outH, outW, w[2]] and its output x.
 */
export function conv2dTransposeGeometry(xShape: readonly number[], wShape: readonly number[],
                                        options: Conv2dTransposeOptions = {}, op = 'conv2dTranspose'): ConvGeometry {
  // Built only for an error message: most calls are valid and run every step.
  const shapes = () => `(input ${fmtShape(xShape)}, weights ${fmtShape(wShape)})`;
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be rank 4 (NHWC), got shape ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weights must be rank 4 ([kernelH, kernelW, outChannels, inChannels]), got shape ${fmtShape(wShape)}`);
  const [strideH, strideW] = pair(options.strides, 1, op, 'strides');
  const [dilH, dilW] = pair(options.dilation, 1, op, 'dilation');
  const [opH, opW] = pair(options.outputPadding, 0, op, 'outputPadding', 0);
  if (opH >= Math.max(strideH, dilH) || opW >= Math.max(strideW, dilW)) {
    throw new ValueError(`${op}: outputPadding ${fmtValue(options.outputPadding)} must be smaller than the stride or the dilation (strides [${strideH},${strideW}], dilation [${dilH},${dilW}])`);
  }
  const [batch, inH, inW, inC] = xShape;
  const [kH, kW, outC, wIn] = wShape;
  if (kH < 1 || kW < 1) throw new ShapeError(`${op}: the kernel must be at least 1x1, got ${kH}x${kW} ${shapes()}`);
  if (wIn !== inC) throw new ShapeError(`${op}: input has ${inC} channels but weights expect ${wIn} ${shapes()}`);
  const effKH = dilatedExtent(kH, dilH), effKW = dilatedExtent(kW, dilW);
  // The full extent of the forward convolution whose output is x: (in - 1)*s + k.
  const fullH = transposedOutputSize(inH, effKH, strideH), fullW = transposedOutputSize(inW, effKW, strideW);
  const padding = options.padding ?? 'valid';
  let outH: number, outW: number, padTop: number, padLeft: number;
  // Without outputPadding the sizes are TensorFlow's; with it, Keras' deconv_output_length:
  // (in - 1)*s + k - 2*pad + outputPadding, pad = k//2 for 'same' and 0 for 'valid'.
  const keras = options.outputPadding !== undefined;
  if (padding === 'valid') {
    outH = keras ? transposedOutputSize(inH, effKH, strideH, 0, 0, opH) : transposedWindowSize(inH, effKH, strideH, padding);
    outW = keras ? transposedOutputSize(inW, effKW, strideW, 0, 0, opW) : transposedWindowSize(inW, effKW, strideW, padding);
    padTop = 0; padLeft = 0;
  } else if (padding === 'same') {
    const halfH = Math.floor(effKH / 2), halfW = Math.floor(effKW / 2);
    outH = keras ? transposedOutputSize(inH, effKH, strideH, halfH, halfH, opH) : transposedWindowSize(inH, effKH, strideH, padding);
    outW = keras ? transposedOutputSize(inW, effKW, strideW, halfW, halfW, opW) : transposedWindowSize(inW, effKW, strideW, padding);
    // As TensorFlow: the forward 'same' padding of a convolution from the output size back to x.
    padTop = Math.floor(Math.max(fullH - outH, 0) / 2);
    padLeft = Math.floor(Math.max(fullW - outW, 0) / 2);
  } else {
    const [t, b, l, r] = resolvePadding(padding, 0, 0, effKH, effKW, strideH, strideW, op);
    outH = transposedOutputSize(inH, effKH, strideH, t, b, opH);
    outW = transposedOutputSize(inW, effKW, strideW, l, r, opW);
    padTop = t; padLeft = l;
  }
  if (outH < 1 || outW < 1) throw new ShapeError(`${op}: padding ${fmtValue(padding)} leaves an empty output ${outH}x${outW} ${shapes()}`);
  return {
    batch, inH: outH, inW: outW, inC: outC, outH: inH, outW: inW, outC: inC,
    kH, kW, strideH, strideW, dilH, dilW,
    padTop, padBottom: fullH - padTop - outH,
    padLeft, padRight: fullW - padLeft - outW, groups: 1,
  };
}
