// ONNX export of LayerNormalization and GroupNormalization layers.
// - LayerNormalization on a channel-last value at opset >= 17 is ONNX's LayerNormalization node
//   (axis = the first normalised axis). Below opset 17, or on an NCHW value, it is the
//   decomposition ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div, then Mul gamma and Add beta.
// - GroupNormalization is always the decomposition (ONNX's GroupNormalization of opset 18 scales
//   per group, not per channel): Reshape so each group is one axis run, normalise over it, Reshape
//   back, then the per-channel gamma and beta.
// On an NCHW value the channel axis is 1, so gamma / beta become [C, 1, 1] (broadcast over H, W).
import { ValueError } from '../../errors.js';
import { layerNormStart } from '../../ops/norms.js';
import type { Tensor } from '../../tensor.js';
import type { LayerNormalization, GroupNormalization } from '../../nn/index.js';
import { AT, type AttributeMsg } from './proto.js';

/** What these exporters need of the exporter's graph builder. */
export interface NormGraphBuilder {
  node(opType: string, inputs: string[], base: string, attribute?: AttributeMsg[]): string;
  floatInit(base: string, dims: readonly number[], values: Float32Array): string;
  int64Init(base: string, values: readonly number[]): string;
  scalar(base: string, v: number): string;
}

/** The value a layer reads: its name, rank, and whether its image axes are NCHW. */
export interface NormFlow { name: string; rank: number; nchw: boolean }

const attrInt = (name: string, i: number): AttributeMsg => ({ name, type: AT.INT, i });
const attrInts = (name: string, ints: readonly number[]): AttributeMsg => ({ name, type: AT.INTS, ints: ints.slice() });

function weights(t: Tensor | null, where: string): Float32Array {
  if (!t) throw new ValueError(`${where} has no weights (is the model built?)`);
  return t.dataSync() as Float32Array;
}

/** (x - mean) / sqrt(var + eps) over `axes` (kept), biased variance. ReduceMean takes axes as an input from opset 18. */
function normalizeOver(g: NormGraphBuilder, x: string, axes: number[], eps: number, base: string, opset: number): string {
  const reduceMean = (input: string, what: string): string => (opset >= 18
    ? g.node('ReduceMean', [input, g.int64Init(`${base}/axes`, axes)], `${base}/${what}`, [attrInt('keepdims', 1)])
    : g.node('ReduceMean', [input], `${base}/${what}`, [attrInts('axes', axes), attrInt('keepdims', 1)]));
  const centered = g.node('Sub', [x, reduceMean(x, 'mean')], `${base}/centered`);
  const variance = reduceMean(g.node('Mul', [centered, centered], `${base}/squared`), 'variance');
  const std = g.node('Sqrt', [g.node('Add', [variance, g.scalar(`${base}/epsilon`, eps)], `${base}/variance_eps`)], `${base}/std`);
  return g.node('Div', [centered, std], `${base}/normalized`);
}

/** y * gamma + beta, the parameters stored with `dims`. */
function scaleShift(g: NormGraphBuilder, y: string, gamma: Float32Array, beta: Float32Array, dims: number[], base: string): string {
  const scaled = g.node('Mul', [y, g.floatInit(`${base}/gamma`, dims, gamma)], `${base}/scaled`);
  return g.node('Add', [scaled, g.floatInit(`${base}/beta`, dims, beta)], base);
}

/**
 * Whether the layer can read an NCHW value as is: it normalises the channels only. Otherwise the
 * exporter transposes the value back to NHWC first.
 */
export function layerNormReadsNCHW(layer: LayerNormalization, flow: NormFlow): boolean {
  return layerNormStart(layer.axis, flow.rank, layer.name) === flow.rank - 1;
}

/** Exports a LayerNormalization layer reading `flow` (NCHW only when layerNormReadsNCHW); returns the output's name. */
export function exportLayerNorm(g: NormGraphBuilder, flow: NormFlow, layer: LayerNormalization, inShape: readonly number[],
                                opset: number, where: string): string {
  const base = layer.name;
  const start = layerNormStart(layer.axis, flow.rank, where);
  const gamma = weights(layer.gamma, where), beta = weights(layer.beta, where);
  const dims = inShape.slice(start - 1);
  if (flow.nchw) {
    const C = inShape[inShape.length - 1];
    return scaleShift(g, normalizeOver(g, flow.name, [1], layer.epsilon, base, opset), gamma, beta, [C, 1, 1], base);
  }
  if (opset >= 17) {
    const inputs = [flow.name, g.floatInit(`${base}/gamma`, dims, gamma), g.floatInit(`${base}/beta`, dims, beta)];
    return g.node('LayerNormalization', inputs, base, [attrInt('axis', start), { name: 'epsilon', type: AT.FLOAT, f: layer.epsilon }]);
  }
  const axes = Array.from({ length: flow.rank - start }, (_, i) => start + i);
  return scaleShift(g, normalizeOver(g, flow.name, axes, layer.epsilon, base, opset), gamma, beta, dims, base);
}

/** Exports a GroupNormalization layer reading `flow` (NCHW or channel-last); returns the output's name. */
export function exportGroupNorm(g: NormGraphBuilder, flow: NormFlow, layer: GroupNormalization, inShape: readonly number[],
                                opset: number): string {
  const base = layer.name;
  const where = `toOnnx: layer '${base}' (GroupNormalization)`;
  const gamma = weights(layer.gamma, where), beta = weights(layer.beta, where);
  const C = inShape[inShape.length - 1];
  const G = layer.groups;
  // NCHW [N, C, H, W] -> [N, G, C/G * H * W]; channel-last [N, ..., C] -> [N, positions, G, C/G].
  const grouped = flow.nchw ? [0, G, -1] : [0, -1, G, C / G];
  const axes = flow.nchw ? [2] : [1, 3];
  const back = flow.nchw ? [0, C, inShape[0], inShape[1]] : [0, ...inShape];
  const x = g.node('Reshape', [flow.name, g.int64Init(`${base}/grouped_shape`, grouped)], `${base}/grouped`);
  const y = normalizeOver(g, x, axes, layer.epsilon, base, opset);
  const restored = g.node('Reshape', [y, g.int64Init(`${base}/shape`, back)], `${base}/ungrouped`);
  return scaleShift(g, restored, gamma, beta, flow.nchw ? [C, 1, 1] : [C], base);
}
