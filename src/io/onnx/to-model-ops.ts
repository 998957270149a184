// One converter per ONNX op type for Model.fromOnnx: each checks its node and applies the layer
// that computes the same thing on NHWC values, with the node's float initializers copied into the
// layer's weights (converted to the layer's layout). A layer with weights is named after its weight
// initializer ('layer1.0.conv1.weight' -> layer 'layer1.0.conv1') and its weights after their
// initializers (parameter 'layer1.0.conv1/layer1.0.conv1.weight'); the others after their node.
import { nn, FormatError, type Tensor } from '../../index.js';
import { samePadding, windowOutputSize } from '../../geometry.js';
import { Attributes } from './attributes.js';
import type { NodeMsg } from './proto.js';
import { decodeTensor } from './tensor-data.js';
import { checkAutoPad, checkPositive, padPairs, spatialPads } from './ops/window.js';
import type { ConversionState, NamedConst, SymValue } from './to-model-state.js';

type Converter = (state: ConversionState, node: NodeMsg, label: string) => void;

const W = 'Model.fromOnnx';

/** OIHW [O, I, kh, kw] -> HWIO [kh, kw, I, O] (also the depthwise layout [kh, kw, C, m] for I = 1). */
function oihwToHwio(w: Float32Array, [O, I, kh, kw]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < I; i++) {
      for (let h = 0; h < kh; h++) {
        for (let x = 0; x < kw; x++) out[((h * kw + x) * I + i) * O + o] = w[((o * I + i) * kh + h) * kw + x];
      }
    }
  }
  return out;
}

/** The layer name for a node whose main weight is `weight`: the initializer's name without its '.weight' suffix. */
function weightLayerName(state: ConversionState, node: NodeMsg, weight: NamedConst): string {
  const prefix = weight.name.replace(/[._/:]?(weight|kernel|W)(:0)?$/, '');
  return state.names.take(prefix && prefix !== weight.name ? prefix : node.name || weight.name, (node.opType ?? 'layer').toLowerCase());
}

/** The weightNames option keeping each weight's initializer name ('/' and spaces, which weight names cannot hold, become '_'). */
function initializerNames(byKerasName: Record<string, NamedConst | string | null | undefined>): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [keras, c] of Object.entries(byKerasName)) {
    const name = typeof c === 'string' ? c : c?.name;
    if (name) names[keras] = name.replace(/[/\s]/g, '_');
  }
  return names;
}

const nodeLayerName = (state: ConversionState, node: NodeMsg): string => state.names.take(node.name ?? '', (node.opType ?? 'layer').toLowerCase());

/** Applies a freshly made layer to `inputs` and defines the node's first output. */
function applyLayer(state: ConversionState, node: NodeMsg, layer: nn.Layer, inputs: SymValue[], flags: Partial<SymValue> = {}): void {
  state.track(layer);
  const t = layer.apply(inputs.length === 1 ? inputs[0].t : inputs.map((v) => v.t));
  state.define(node.output?.[0], { t, nonNegative: false, chw: null, ...flags });
}

function setWeight(w: Tensor | null, data: Float32Array, label: string, what: string): void {
  if (!w || w.size !== data.length) throw new FormatError(`${W}: ${label}: ${what} has ${data.length} values, the layer expects ${w?.size ?? 0}`);
  w.assign(data);
}

function image(state: ConversionState, node: NodeMsg, label: string): SymValue {
  const x = state.value(node.input?.[0], label, 'X');
  if (x.t.sampleShape.length !== 3) throw new FormatError(`${W}: ${label}: expects a 4-D (N, C, H, W) input, got one of rank ${x.t.sampleShape.length + 1}`);
  notNhwcInFile(x, label);
  return x;
}

/** Ops on images read them as NCHW: an image the file holds as NHWC at this point cannot be one of their inputs. */
function notNhwcInFile(x: SymValue, label: string): void {
  if (x.nhwcInFile) throw new FormatError(`${W}: ${label}: its input is NHWC in the file (transposed), but the op reads NCHW images`);
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
/** The permutation toOnnx writes after an NHWC graph input. */
export const NHWC_TO_NCHW: readonly number[] = [0, 3, 1, 2];
const samePerm = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Transposes between NCHW and NHWC (the values are NHWC inside either way), and identity permutations. */
const transpose: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['perm']);
  const x = state.value(node.input?.[0], label, 'data');
  const rank = x.t.sampleShape.length + 1;
  const perm = a.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.every((p, i) => p === i)) { state.define(node.output?.[0], x); return; }
  const toNhwc = rank === 4 && !x.nhwcInFile && samePerm(perm, NCHW_TO_NHWC);
  const toNchw = rank === 4 && x.nhwcInFile === true && samePerm(perm, NHWC_TO_NCHW);
  if (!toNhwc && !toNchw) throw new FormatError(`${W}: ${label}: perm ${JSON.stringify(perm)} is not supported here (only NCHW <-> NHWC of images)`);
  state.define(node.output?.[0], { ...x, nhwcInFile: toNhwc });
};

/** Checks that only the node's first output is read (Dropout's mask, BatchNormalization's training outputs). */
function firstOutputOnly(state: ConversionState, node: NodeMsg, label: string): void {
  for (const o of (node.output ?? []).slice(1)) {
    if (o && state.readers.has(o)) throw new FormatError(`${W}: ${label}: only its first output can be used, but '${o}' is read`);
  }
}

const conv: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = image(state, node, label);
  const w = state.floatConst(node.input?.[1], label, 'W')!;
  const b = state.floatConst(node.input?.[2], label, 'B', true);
  if (w.dims.length !== 4) throw new FormatError(`${W}: ${label}: only 2-D convolutions are supported (W of rank 4), got W ${JSON.stringify(w.dims)}`);
  const [O, I, kh, kw] = w.dims;
  const C = x.t.sampleShape[2];
  const groups = a.int('group', 1);
  if (groups < 1 || C % groups !== 0 || O % groups !== 0 || I * groups !== C) {
    throw new FormatError(`${W}: ${label}: W ${JSON.stringify(w.dims)} with group ${groups} does not fit an input of ${C} channels`);
  }
  if (b && b.float!.length !== O) throw new FormatError(`${W}: ${label}: B has ${b.float!.length} values for ${O} output channels`);
  const strides = a.ints('strides') ?? [1, 1];
  const dilation = a.ints('dilations') ?? [1, 1];
  checkPositive(strides, 'strides', label);
  checkPositive(dilation, 'dilations', label);
  const ks = a.ints('kernel_shape');
  if (ks && (ks[0] !== kh || ks[1] !== kw)) throw new FormatError(`${W}: ${label}: kernel_shape ${JSON.stringify(ks)} does not match W ${JSON.stringify(w.dims)}`);
  const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
  const [H, Wd] = x.t.sampleShape;
  const pads = padPairs(a.ints('pads') ?? [0, 0, 0, 0], label);
  const padding: [[number, number], [number, number]] = [
    spatialPads(autoPad, pads, H, dilation[0] * (kh - 1) + 1, strides[0], 0),
    spatialPads(autoPad, pads, Wd, dilation[1] * (kw - 1) + 1, strides[1], 1),
  ];
  const common = {
    kernelSize: [kh, kw] as [number, number], strides: strides as [number, number], dilation: dilation as [number, number],
    padding, useBias: b !== null, biasInitializer: 'zeros' as const, name: weightLayerName(state, node, w),
  };
  const depthwise = groups > 1 && groups === C;
  const weightNames = initializerNames({ [depthwise ? 'depthwise_kernel' : 'kernel']: w, bias: b });
  const layer = depthwise
    ? new nn.DepthwiseConv2D({ ...common, depthMultiplier: O / C, depthwiseInitializer: 'zeros', weightNames })
    : new nn.Conv2D({ ...common, filters: O, groups, kernelInitializer: 'zeros', weightNames });
  applyLayer(state, node, layer, [x]);
  setWeight(layer.kernel, oihwToHwio(w.float!, w.dims), label, 'W');
  if (b) setWeight(layer.bias, b.float!, label, 'B');
};

const batchNormalization: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['epsilon', 'momentum', 'spatial', 'training_mode']);
  if (a.int('spatial', 1) !== 1) throw new FormatError(`${W}: ${label}: spatial = 0 is not supported`);
  firstOutputOnly(state, node, label);
  const x = state.value(node.input?.[0], label, 'X');
  notNhwcInFile(x, label);
  if (x.chw) throw new FormatError(`${W}: ${label}: normalising an image flattened in NCHW order is not supported`);
  const C = x.t.sampleShape[x.t.sampleShape.length - 1];
  const [scale, bias, mean, variance] = ['scale', 'B', 'input_mean', 'input_var'].map((what, i) => {
    const c = state.floatConst(node.input?.[i + 1], label, what)!;
    if (c.float!.length !== C) throw new FormatError(`${W}: ${label}: ${what} has ${c.float!.length} values for ${C} channels`);
    return c;
  });
  const layer = new nn.BatchNormalization({
    momentum: a.float('momentum', 0.9), epsilon: a.float('epsilon', 1e-5), name: weightLayerName(state, node, scale),
    weightNames: initializerNames({ gamma: scale, beta: bias, moving_mean: mean, moving_variance: variance }),
  });
  applyLayer(state, node, layer, [x]);
  setWeight(layer.gamma, scale.float!, label, 'scale');
  setWeight(layer.beta, bias.float!, label, 'B');
  setWeight(layer.movingMean, mean.float!, label, 'input_mean');
  setWeight(layer.movingVariance, variance.float!, label, 'input_var');
};

/** Gemm (A [N, K] times B, plus C) and MatMul by a constant (with the Add of a bias that follows it) as a dense layer. */
function dense(state: ConversionState, node: NodeMsg, label: string, kernel: Float32Array, K: number, N: number,
               bias: Float32Array | null, name: string, weightNames: Record<string, string>, output: string | undefined): void {
  const x = state.value(node.input?.[0], label, 'A');
  const s = x.t.sampleShape;
  if (s.length !== 1 || s[0] !== K) throw new FormatError(`${W}: ${label}: expects A of shape [N, ${K}], got [N, ${s.join(', ')}]`);
  if (x.chw) kernel = rowsToNhwcOrder(kernel, x.chw, N);
  const layer = new nn.Dense({ units: N, useBias: bias !== null, kernelInitializer: 'zeros', name, weightNames });
  state.track(layer);
  state.define(output, { t: layer.apply(x.t), nonNegative: false, chw: null });
  setWeight(layer.kernel, kernel, label, 'the weight');
  if (bias) setWeight(layer.bias, bias, label, 'the bias');
}

/** A [C*H*W, N] kernel whose rows follow NCHW order, reordered for inputs flattened in NHWC order. */
function rowsToNhwcOrder(k: Float32Array, [C, H, Wd]: [number, number, number], N: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < H * Wd; p++) out.set(k.subarray((c * H * Wd + p) * N, (c * H * Wd + p + 1) * N), (p * C + c) * N);
  }
  return out;
}

/** [rows, cols] -> [cols, rows], in 32x32 tiles (a classifier's B has millions of values). */
function transpose2d(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(m.length);
  for (let r0 = 0; r0 < rows; r0 += 32) {
    for (let c0 = 0; c0 < cols; c0 += 32) {
      const r1 = Math.min(r0 + 32, rows), c1 = Math.min(c0 + 32, cols);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = m[r * cols + c];
    }
  }
  return out;
}

const gemm: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['alpha', 'beta', 'transA', 'transB']);
  if (a.int('transA', 0) !== 0) throw new FormatError(`${W}: ${label}: transA = 1 is not supported (A must be [N, features])`);
  const b = state.floatConst(node.input?.[1], label, 'B')!;
  const c = state.floatConst(node.input?.[2], label, 'C', true);
  if (b.dims.length !== 2) throw new FormatError(`${W}: ${label}: B must be 2-D, got ${JSON.stringify(b.dims)}`);
  const transB = a.int('transB', 0) !== 0;
  const [K, N] = transB ? [b.dims[1], b.dims[0]] : b.dims;
  const alpha = a.float('alpha', 1), beta = a.float('beta', 1);
  const kernel = transB ? transpose2d(b.float!, N, K) : b.float!.slice();
  if (alpha !== 1) for (let i = 0; i < kernel.length; i++) kernel[i] *= alpha;
  let bias: Float32Array | null = null;
  if (c) {
    if (c.float!.length !== N && c.float!.length !== 1) throw new FormatError(`${W}: ${label}: C of shape ${JSON.stringify(c.dims)} does not broadcast to [N, ${N}] per output unit`);
    bias = new Float32Array(N);
    for (let n = 0; n < N; n++) bias[n] = beta * c.float![c.float!.length === 1 ? 0 : n];
  }
  dense(state, node, label, kernel, K, N, bias, weightLayerName(state, node, b), initializerNames({ kernel: b, bias: c }), node.output?.[0]);
};

const matMul: Converter = (state, node, label) => {
  new Attributes(label, node.attribute, []);
  const b = state.floatConst(node.input?.[1], label, 'B')!;
  if (b.dims.length !== 2) throw new FormatError(`${W}: ${label}: B must be a 2-D constant, got ${JSON.stringify(b.dims)}`);
  const [K, N] = b.dims;
  const out = node.output?.[0];
  // A bias added right after (the only reader) becomes the dense layer's bias.
  const readers = out ? state.readers.get(out) ?? [] : [];
  const add = readers.length === 1 && readers[0].opType === 'Add' ? readers[0] : null;
  const biasName = add?.input?.find((i) => i !== out);
  const bias = biasName ? state.consts.get(biasName) : undefined;
  if (add && bias?.float && bias.float.length === N && bias.dims.every((d, i) => d === 1 || i === bias.dims.length - 1)) {
    state.consumed.add(add);
    dense(state, node, label, b.float!, K, N, bias.float, weightLayerName(state, node, b), initializerNames({ kernel: b, bias: biasName }), add.output?.[0]);
    return;
  }
  dense(state, node, label, b.float!, K, N, null, weightLayerName(state, node, b), initializerNames({ kernel: b }), out);
};

/** Unary activations as an activation layer; `nonNegative` when the output cannot be below 0. */
function activation(name: nn.ActivationName, attrs: readonly string[] = [], check?: (a: Attributes, label: string) => void, nonNegative = false): Converter {
  return (state, node, label) => {
    const a = new Attributes(label, node.attribute, attrs);
    check?.(a, label);
    const x = state.value(node.input?.[0], label, 'X');
    applyLayer(state, node, nn.activation({ activation: name, name: nodeLayerName(state, node) }), [x], { nonNegative, nhwcInFile: x.nhwcInFile, chw: x.chw });
  };
}

const near = (v: number, want: number) => Math.abs(v - want) <= 1e-6 * Math.max(1, Math.abs(want));

function fixedAttr(name: string, want: number, dflt: number) {
  return (a: Attributes, label: string) => {
    const v = a.float(name, dflt);
    if (!near(v, want)) throw new FormatError(`${W}: ${label}: ${name} = ${v} is not supported (only ${want}, which the activation layer computes)`);
  };
}

/** Clip(0, 6) is relu6 and Clip(0, +inf) relu; bounds come from inputs (opset 11+) or attributes. */
const clip: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['min', 'max']);
  const bound = (i: number, attr: string, dflt: number): number => {
    const name = node.input?.[i];
    if (!name) return a.float(attr, dflt);
    const c = state.consts.get(name);
    const v = c?.float?.[0] ?? c?.ints?.[0];
    if (v === undefined || (c!.float ?? c!.ints!).length !== 1) throw new FormatError(`${W}: ${label}: its ${attr} bound must be a constant scalar`);
    return v;
  };
  const lo = bound(1, 'min', -Infinity), hi = bound(2, 'max', Infinity);
  const name = lo === 0 && hi === 6 ? 'relu6' : lo === 0 && hi === Infinity ? 'relu' : null;
  if (!name) throw new FormatError(`${W}: ${label}: Clip(${lo}, ${hi}) is not supported (only Clip(0, 6) as relu6 and Clip(0) as relu)`);
  const x = state.value(node.input?.[0], label, 'input');
  applyLayer(state, node, nn.activation({ activation: name, name: nodeLayerName(state, node) }), [x], { nonNegative: true, nhwcInFile: x.nhwcInFile, chw: x.chw });
};

const softmax: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['axis']);
  const x = state.value(node.input?.[0], label, 'input');
  const rank = x.t.sampleShape.length + 1;
  const axis = a.int('axis', state.opset >= 13 ? -1 : 1);
  const channelAxis = rank === 4 && !x.nhwcInFile ? 1 : rank - 1;
  if ((axis < 0 ? axis + rank : axis) !== channelAxis || (state.opset < 13 && rank !== 2)) {
    throw new FormatError(`${W}: ${label}: softmax over axis ${axis} of a rank-${rank} value is not supported (only over the channel axis)`);
  }
  applyLayer(state, node, nn.activation({ activation: 'softmax', name: nodeLayerName(state, node) }), [x], { nonNegative: true });
};

const prelu: Converter = (state, node, label) => {
  new Attributes(label, node.attribute, []);
  const x = state.value(node.input?.[0], label, 'X');
  const slope = state.floatConst(node.input?.[1], label, 'slope')!;
  notNhwcInFile(x, label);
  if (x.chw) throw new FormatError(`${W}: ${label}: PRelu of an image flattened in NCHW order is not supported`);
  const s = x.t.sampleShape;
  const C = s[s.length - 1];
  const perChannel = slope.float!.length === C && slope.dims.filter((d) => d !== 1).length <= 1;
  if (!perChannel && slope.float!.length !== 1) throw new FormatError(`${W}: ${label}: slope of shape ${JSON.stringify(slope.dims)} is not supported (one value, or one per channel)`);
  const shared = s.map((_, i) => i + 1).filter((i) => !perChannel || i < s.length);
  const layer = new nn.PReLU({ sharedAxes: shared, name: weightLayerName(state, node, slope), weightNames: initializerNames({ alpha: slope }) });
  applyLayer(state, node, layer, [x]);
  setWeight(layer.alpha, slope.float!, label, 'slope');
};

/** Add, Sub and Mul of two computed values as merge layers (Mul broadcasts axes of 1: a squeeze-excitation gate). */
function merge(make: (name: string) => nn.Layer): Converter {
  return (state, node, label) => {
    new Attributes(label, node.attribute, []);
    const [x, y] = [0, 1].map((i) => state.value(node.input?.[i], label, i === 0 ? 'A' : 'B'));
    if (x.t.sampleShape.length !== y.t.sampleShape.length) throw new FormatError(`${W}: ${label}: its inputs must have one rank, got shapes ${x.t.sampleShape.length + 1}-D and ${y.t.sampleShape.length + 1}-D`);
    if (!x.nhwcInFile !== !y.nhwcInFile || x.chw || y.chw) throw new FormatError(`${W}: ${label}: its inputs are in different layouts in the file`);
    applyLayer(state, node, make(nodeLayerName(state, node)), [x, y], { nonNegative: node.opType === 'Mul' && x.nonNegative && y.nonNegative, nhwcInFile: x.nhwcInFile });
  };
}

const concat: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['axis']);
  const xs = (node.input ?? []).map((n, i) => state.value(n, label, `#${i}`));
  const rank = xs[0].t.sampleShape.length + 1;
  const axis = a.int('axis', 1);
  const nhwc = xs[0].nhwcInFile === true;
  if (xs.some((x) => x.nhwcInFile !== xs[0].nhwcInFile || x.chw)) throw new FormatError(`${W}: ${label}: its inputs are in different layouts in the file`);
  if ((axis < 0 ? axis + rank : axis) !== (rank === 4 && !nhwc ? 1 : rank - 1)) throw new FormatError(`${W}: ${label}: concatenation along axis ${axis} of rank-${rank} values is not supported (only along channels)`);
  if (xs.length === 1) { state.define(node.output?.[0], xs[0]); return; }
  applyLayer(state, node, nn.concatenate({ axis: -1, name: nodeLayerName(state, node) }), xs, { nonNegative: xs.every((x) => x.nonNegative), nhwcInFile: nhwc });
};

/** MaxPool / AveragePool: 'valid' or 'same' when the pads are those; otherwise zero padding first where that is exact. */
const pool: Converter = (state, node, label) => {
  const isMax = node.opType === 'MaxPool';
  const a = new Attributes(label, node.attribute, isMax
    ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
    : ['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides']);
  firstOutputOnly(state, node, label);
  let x = image(state, node, label);
  const ks = a.ints('kernel_shape');
  if (!ks) throw new FormatError(`${W}: ${label}: kernel_shape is required`);
  checkPositive(ks, 'kernel_shape', label);
  const strides = a.ints('strides') ?? [1, 1];
  checkPositive(strides, 'strides', label);
  if ((a.ints('dilations') ?? [1, 1]).some((d) => d !== 1)) throw new FormatError(`${W}: ${label}: dilations other than 1 are not supported`);
  const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
  const pads = padPairs(a.ints('pads') ?? [0, 0, 0, 0], label);
  const includePad = !isMax && a.int('count_include_pad', 0) !== 0;
  const ceil = a.int('ceil_mode', 0) !== 0;
  const size = x.t.sampleShape;
  const filePads = [0, 1].map((ax) => spatialPads(autoPad, pads, size[ax], ks[ax], strides[ax], ax as 0 | 1));
  // ceil_mode's last window may reach past the padding: as many more positions at the end.
  const extra = filePads.map(([pb, pe], ax) => {
    const out = windowOutputSize(size[ax], ks[ax], strides[ax], pb, pe, ceil);
    return Math.max((out - 1) * strides[ax] + ks[ax] - (size[ax] + pb + pe), 0);
  });
  if (!isMax && extra.some((e) => e > 0)) throw new FormatError(`${W}: ${label}: ceil_mode = 1 changes the output size of this average, which the pooling layers do not support`);
  const axes = filePads.map(([pb, pe], ax) => [pb, pe + extra[ax]] as [number, number]);
  const none = axes.every(([pb, pe]) => pb === 0 && pe === 0);
  const same = axes.every((p, ax) => { const s = samePadding(size[ax], ks[ax], strides[ax]); return p[0] === s[0] && p[1] === s[1]; });
  const opts = { poolSize: ks as [number, number], strides: strides as [number, number] };
  let padding: 'valid' | 'same' = none ? 'valid' : 'same';
  if (!none && !(same && !includePad)) {
    // Zeros in the border are exact for an average that counts them, and for a max over values >= 0.
    if (!(isMax ? x.nonNegative : includePad)) {
      throw new FormatError(`${W}: ${label}: pads ${JSON.stringify(a.ints('pads'))} on ${isMax ? 'values that may be negative' : 'an average that excludes them'} are not supported (only 'same'-like pads, or zero padding where it is exact)`);
    }
    const padLayer = state.track(nn.zeroPadding2d({ padding: [axes[0], axes[1]] as [[number, number], [number, number]], name: state.names.take(`${node.name ?? ''}_pad`, 'zero_padding2d') }));
    x = { ...x, t: padLayer.apply(x.t) };
    padding = 'valid';
  }
  const layer = isMax ? nn.maxPool2d({ ...opts, padding, name: nodeLayerName(state, node) }) : nn.avgPool2d({ ...opts, padding, name: nodeLayerName(state, node) });
  applyLayer(state, node, layer, [x], { nonNegative: x.nonNegative && isMax });
};

/** ReduceMean / ReduceMax over height and width (a global pool written as a reduction, as MNASNet exports it). */
const spatialReduce: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['axes', 'keepdims', 'noop_with_empty_axes']);
  const x = image(state, node, label);
  const axes = node.input?.[1] ? state.consts.get(node.input[1])?.ints : a.ints('axes') ?? undefined;
  const norm = (axes ?? []).map((ax) => (ax < 0 ? ax + 4 : ax)).sort();
  if (norm.length !== 2 || norm[0] !== 2 || norm[1] !== 3) {
    throw new FormatError(`${W}: ${label}: only a reduction over height and width (axes [2, 3]) is supported, got axes ${JSON.stringify(axes ?? 'all')}`);
  }
  const keepDims = a.int('keepdims', 1) !== 0;
  const name = nodeLayerName(state, node);
  const layer = node.opType === 'ReduceMax' ? nn.globalMaxPool2d({ keepDims, name }) : nn.globalAvgPool2d({ keepDims, name });
  applyLayer(state, node, layer, [x], { nonNegative: x.nonNegative });
};

/** Pad with zeros on the spatial axes only (constant mode, value 0) -> ZeroPadding2D. */
const pad: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['mode', 'pads', 'value']);
  const x = image(state, node, label);
  if (a.string('mode', 'constant') !== 'constant') throw new FormatError(`${W}: ${label}: mode '${a.string('mode', 'constant')}' is not supported (only constant zeros)`);
  const padsIn = node.input?.[1] ? state.consts.get(node.input[1])?.ints : a.ints('pads') ?? undefined;
  const valueName = node.input?.[2];
  const value = valueName ? state.consts.get(valueName)?.float?.[0] ?? state.consts.get(valueName)?.ints?.[0] : a.float('value', 0);
  if (!padsIn || padsIn.length !== 8 || padsIn.some((p) => p < 0) || padsIn[0] || padsIn[1] || padsIn[4] || padsIn[5] || value !== 0) {
    throw new FormatError(`${W}: ${label}: only constant zero padding of the height and width (pads [0,0,t,l,0,0,b,r]) is supported, got pads ${JSON.stringify(padsIn ?? 'computed')} and value ${value}`);
  }
  const layer = nn.zeroPadding2d({ padding: [[padsIn[2], padsIn[6]], [padsIn[3], padsIn[7]]], name: nodeLayerName(state, node) });
  applyLayer(state, node, layer, [x], { nonNegative: x.nonNegative });
};

const globalPool: Converter = (state, node, label) => {
  new Attributes(label, node.attribute, []);
  const x = image(state, node, label);
  const name = nodeLayerName(state, node);
  const layer = node.opType === 'GlobalMaxPool' ? nn.globalMaxPool2d({ keepDims: true, name }) : nn.globalAvgPool2d({ keepDims: true, name });
  applyLayer(state, node, layer, [x], { nonNegative: x.nonNegative });
};

/** Flatten at axis 1 (and Reshape to [N, -1]): an NHWC image flattens in another order, remembered for the dense layer after it. */
function flattenValue(state: ConversionState, node: NodeMsg, label: string): void {
  const x = state.value(node.input?.[0], label, 'input');
  const s = x.t.sampleShape;
  if (s.length === 1) { state.define(node.output?.[0], x); return; }
  const chw: [number, number, number] | null = s.length === 3 && s[0] * s[1] > 1 && !x.nhwcInFile ? [s[2], s[0], s[1]] : null;
  if (s.length !== 3) throw new FormatError(`${W}: ${label}: flattening a rank-${s.length + 1} value is not supported`);
  applyLayer(state, node, nn.flatten({ name: nodeLayerName(state, node) }), [x], { nonNegative: x.nonNegative, chw });
}

const flatten: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['axis']);
  if (a.int('axis', 1) !== 1) throw new FormatError(`${W}: ${label}: only axis = 1 is supported, got ${a.int('axis', 1)}`);
  flattenValue(state, node, label);
};

const reshape: Converter = (state, node, label) => {
  new Attributes(label, node.attribute, ['allowzero']);
  const x = state.value(node.input?.[0], label, 'data');
  const target = state.consts.get(node.input?.[1] ?? '')?.ints;
  const n = x.t.sampleShape.reduce((p, d) => p * d, 1);
  const toFlat = target && target.length === 2 && (target[1] === -1 || target[1] === n) && [0, -1, 1].includes(target[0]) && !(target[0] === -1 && target[1] === -1);
  if (!toFlat) throw new FormatError(`${W}: ${label}: only a reshape to [N, ${n}] (flattening each sample) with a constant shape is supported, got shape ${target ? JSON.stringify(target) : 'computed in the graph'}`);
  flattenValue(state, node, label);
};

/** Identity, Dropout (inference: identity; its training behaviour is not kept): the value passes through. */
const passThrough: Converter = (state, node, label) => {
  new Attributes(label, node.attribute, node.opType === 'Dropout' ? ['seed', 'ratio'] : []);
  firstOutputOnly(state, node, label);
  const input = node.input?.[0];
  const c = input ? state.consts.get(input) : undefined;
  const out = node.output?.[0];
  if (c && out) { state.consts.set(out, { ...c, name: out }); return; } // an alias of a constant (a shared initializer)
  state.define(out, state.value(input, label, 'input'));
};

const constant: Converter = (state, node, label) => {
  const a = new Attributes(label, node.attribute, ['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
  const out = node.output?.[0];
  if (!out) return;
  const t = a.tensor('value');
  if (t) {
    state.consts.set(out, { ...decodeTensor(t, `${label} value`), name: out });
  } else if (a.has('value_float') || a.has('value_floats')) {
    const v = a.has('value_float') ? [a.float('value_float', 0)] : a.floats('value_floats')!;
    state.consts.set(out, { dims: a.has('value_float') ? [] : [v.length], float: Float32Array.from(v), name: out });
  } else if (a.has('value_int') || a.has('value_ints')) {
    const v = a.has('value_int') ? [a.int('value_int', 0)] : a.ints('value_ints')!;
    state.consts.set(out, { dims: a.has('value_int') ? [] : [v.length], ints: v, name: out });
  } else {
    throw new FormatError(`${W}: ${label}: has no value`);
  }
};

export const CONVERTERS: Readonly<Record<string, Converter>> = {
  Add: merge((name) => nn.add({ name })),
  AveragePool: pool,
  BatchNormalization: batchNormalization,
  Clip: clip,
  Concat: concat,
  Constant: constant,
  Conv: conv,
  Dropout: passThrough,
  Elu: activation('elu', ['alpha'], fixedAttr('alpha', 1, 1)),
  Flatten: flatten,
  Gemm: gemm,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  HardSigmoid: activation('hardSigmoid', ['alpha', 'beta'], (a, l) => { fixedAttr('alpha', 1 / 6, 0.2)(a, l); fixedAttr('beta', 0.5, 0.5)(a, l); }, true),
  HardSwish: activation('hardSwish'),
  Identity: passThrough,
  LeakyRelu: activation('leakyRelu', ['alpha'], fixedAttr('alpha', 0.01, 0.01)),
  MatMul: matMul,
  MaxPool: pool,
  Mul: merge((name) => nn.multiply({ name })),
  Pad: pad,
  PRelu: prelu,
  Relu: activation('relu', [], undefined, true),
  ReduceMax: spatialReduce,
  ReduceMean: spatialReduce,
  Reshape: reshape,
  Sigmoid: activation('sigmoid', [], undefined, true),
  Softmax: softmax,
  Softplus: activation('softplus', [], undefined, true),
  Sub: merge((name) => nn.subtract({ name })),
  Tanh: activation('tanh'),
  Transpose: transpose,
};

/** The ONNX op types Model.fromOnnx turns into layers. */
export const SUPPORTED_FROM_ONNX_OPS: readonly string[] = Object.keys(CONVERTERS).sort();
