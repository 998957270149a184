// ONNX export of the resampling and reshaping layers: UpSampling2D and Resizing as Resize,
// Cropping2D as Slice, Reshape as Reshape. Coordinate modes name the rules of
// src/ops/resize/geometry.ts: bilinear half-pixel is 'linear' + 'half_pixel'; nearest with an
// integer factor (UpSampling2D) is 'asymmetric' + 'floor' (floor(d / factor)); nearest half-pixel
// (Resizing) is 'half_pixel' + 'round_prefer_ceil', i.e. floor((d + 0.5) * in / out).
import { AT, type AttributeMsg } from './proto.js';
import type { UpSampling2D, Resizing, Cropping2D, Reshape } from '../../nn/index.js';

/** What these exporters need of the exporter's graph builder. */
export interface ExportGraph {
  node(opType: string, inputs: string[], base: string, attribute?: AttributeMsg[]): string;
  int64Init(base: string, values: readonly number[]): string;
  floatInit(base: string, dims: readonly number[], values: Float32Array): string;
}

const attrString = (name: string, s: string): AttributeMsg => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) });

function resizeModes(interpolation: 'nearest' | 'bilinear', nearestByFactor: boolean): AttributeMsg[] {
  if (interpolation === 'bilinear') return [attrString('mode', 'linear'), attrString('coordinate_transformation_mode', 'half_pixel')];
  return nearestByFactor
    ? [attrString('mode', 'nearest'), attrString('coordinate_transformation_mode', 'asymmetric'), attrString('nearest_mode', 'floor')]
    : [attrString('mode', 'nearest'), attrString('coordinate_transformation_mode', 'half_pixel'), attrString('nearest_mode', 'round_prefer_ceil')];
}

/** UpSampling2D on an NCHW value: Resize by the integer scales [1, 1, h, w]. */
export function exportUpSampling(g: ExportGraph, x: string, layer: UpSampling2D, base: string): string {
  const scales = g.floatInit(`${base}/scales`, [4], new Float32Array([1, 1, layer.size[0], layer.size[1]]));
  return g.node('Resize', [x, '', scales], base, resizeModes(layer.interpolation, true));
}

/** Resizing on an NCHW value: Resize to sizes [N, C, height, width], N and C read from x's shape. */
export function exportResizing(g: ExportGraph, x: string, layer: Resizing, base: string): string {
  const shape = g.node('Shape', [x], `${base}/shape`);
  const batchAndChannels = g.node('Slice', [shape, g.int64Init(`${base}/zero`, [0]), g.int64Init(`${base}/two`, [2])], `${base}/batch_channels`);
  const sizes = g.node('Concat', [batchAndChannels, g.int64Init(`${base}/size`, [layer.height, layer.width])], `${base}/sizes`,
    [{ name: 'axis', type: AT.INT, i: 0 }]);
  return g.node('Resize', [x, '', '', sizes], base, resizeModes(layer.interpolation, false));
}

/** Cropping2D: Slice of the height and width axes (axes 2, 3 of NCHW, 1, 2 of NHWC). */
export function exportCropping(g: ExportGraph, x: string, nchw: boolean, inShape: readonly number[], layer: Cropping2D, base: string): string {
  const [[t, b], [l, r]] = layer.cropping;
  return g.node('Slice', [
    x, g.int64Init(`${base}/starts`, [t, l]), g.int64Init(`${base}/ends`, [inShape[0] - b, inShape[1] - r]),
    g.int64Init(`${base}/axes`, nchw ? [2, 3] : [1, 2]),
  ], base);
}

/** Reshape of a channel-last value: shape [0 (the batch, copied), ...targetShape]. */
export function exportReshape(g: ExportGraph, x: string, layer: Reshape, base: string): string {
  return g.node('Reshape', [x, g.int64Init(`${base}/shape`, [0, ...layer.targetShape])], base);
}
