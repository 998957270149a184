// Sequential -> ONNX (opset 13+): `sequentialToOnnx(model, options)`, also installed as
// `Sequential.prototype.toOnnx` (imported for its side effect by src/index.ts).
//
// Layout: ONNX convolutions and pools are NCHW. By default the exported graph takes NHWC input
// like the Sequential: a Transpose to NCHW is inserted before the first layer that needs it, the
// kernels are written in ONNX's OIHW layout, and a Transpose back to NHWC comes before any layer
// that depends on the channel-last order (Flatten, Dense on images) and before an image-shaped
// graph output. So every intermediate value keeps our values, only its axes may be permuted.
// With `{ layout: 'NCHW' }` the graph input (and an image-shaped output) is NCHW instead.
import { Sequential } from '../../model/sequential.js';
import { ValueError } from '../../errors.js';
import { resolvePadding, conv2dTransposeGeometry } from '../../ops/conv/geometry.js';
import type { Tensor } from '../../tensor.js';
import type {
  Conv2D, DepthwiseConv2D, Conv2DTranspose, MaxPooling2D, ZeroPadding2D, BatchNormalization, Dense,
  Activation, PReLU, Conv1D, SeparableConv2D,
} from '../../nn/index.js';
import type { GlobalAveragePooling2D, LayerNormalization, GroupNormalization } from '../../nn/index.js';
import { exportLayerNorm, exportGroupNorm, layerNormReadsNCHW } from './export-norms.js';
import type { ActivationName } from '../../nn/activations.js';
import type { UpSampling2D, Resizing, Cropping2D, Reshape } from '../../nn/index.js';
import { exportUpSampling, exportResizing, exportCropping, exportReshape } from './export-resampling.js';
import { encodeModel, AT, DT, type AttributeMsg, type ModelMsg, type NodeMsg, type TensorMsg, type ValueInfoMsg } from './proto.js';

export interface OnnxExportOptions {
  /** Layout of the graph's image input (and image-shaped output). Default 'NHWC', as the Sequential. */
  layout?: 'NHWC' | 'NCHW';
  /** ONNX opset version, 13 to 21. Default 13. */
  opset?: number;
  /** Name of the graph input. Default 'input'. */
  inputName?: string;
  /** Name of the graph output. Default 'output'. */
  outputName?: string;
  /** A fixed batch size for the declared input/output shapes; default a symbolic 'N'. */
  batchSize?: number;
  /** Graph name; default the model's name. */
  graphName?: string;
  /** ModelProto.doc_string. */
  docString?: string;
}

declare module '../../model/sequential.js' {
  interface Sequential {
    /** The model as ONNX bytes (opset 13+); the graph takes NHWC input unless `{ layout: 'NCHW' }`. */
    toOnnx(options?: OnnxExportOptions): Uint8Array;
  }
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

/** IR version that goes with an opset (onnx release table). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

const attrInt = (name: string, i: number): AttributeMsg => ({ name, type: AT.INT, i });
const attrInts = (name: string, ints: readonly number[]): AttributeMsg => ({ name, type: AT.INTS, ints: ints.slice() });
const attrFloat = (name: string, f: number): AttributeMsg => ({ name, type: AT.FLOAT, f });
/** ONNX HardSigmoid's attributes for PyTorch's hardsigmoid, relu6(x + 3) / 6. */
const HARD_SIGMOID = [attrFloat('alpha', 1 / 6), attrFloat('beta', 0.5)];

/** A value flowing through the graph: its name, rank and whether its (image) axes are NCHW. */
interface Flow {
  name: string;
  rank: number;
  nchw: boolean;
}

/** Builds the node and initializer lists with unique names. */
class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  private readonly taken = new Set<string>();

  constructor(reserved: string[]) { for (const n of reserved) this.taken.add(n); }

  unique(base: string): string {
    let name = base;
    for (let i = 1; this.taken.has(name); i++) name = `${base}_${i}`;
    this.taken.add(name);
    return name;
  }

  /** Adds a node with one output; returns the output's name. */
  node(opType: string, inputs: string[], base: string, attribute: AttributeMsg[] = []): string {
    const name = this.unique(base);
    this.nodes.push({ opType, input: inputs, output: [name], name, attribute });
    return name;
  }

  floatInit(base: string, dims: readonly number[], values: Float32Array): string {
    const name = this.unique(base);
    const bytes = new Uint8Array(values.length * 4);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
    this.initializers.push({ name, dims: dims.slice(), dataType: DT.FLOAT, rawData: bytes });
    return name;
  }

  int64Init(base: string, values: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [values.length], dataType: DT.INT64, int64Data: values.slice() });
    return name;
  }

  scalar(base: string, v: number): string {
    return this.floatInit(base, [], new Float32Array([v]));
  }
}

/** values[perm-permuted]: out has shape dims[perm[k]] and out[idx] = in[idx mapped back]. */
export function permuteHost(values: Float32Array, dims: readonly number[], perm: readonly number[]): Float32Array {
  const rank = dims.length;
  const outDims = perm.map((p) => dims[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) { inStrides[d] = s; s *= dims[d]; }
  const strideOfOut = perm.map((p) => inStrides[p]);
  const out = new Float32Array(values.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += idx[d] * strideOfOut[d];
    out[o] = values[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outDims[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function data(t: Tensor | null, what: string): Float32Array {
  if (!t) throw new ValueError(`toOnnx: ${what} has no weights (is the model built?)`);
  return t.dataSync() as Float32Array;
}

/** ONNX Conv attributes of one convolution (per spatial axis; pads as [begins..., ends...]). */
interface ConvAttrs { kernel: number[]; strides: number[]; dilations: number[]; pads: number[]; group: number }

/**
 * A Conv node over `input` whose kernel is ours, [...spatial, in/group, out] (HWIO or [k, in, out]),
 * written in ONNX's [out, in/group, ...spatial] layout; returns the node's output.
 */
function convNode(g: GraphBuilder, input: string, name: string, kernelBase: string, kernel: Float32Array, shape: readonly number[],
                  bias: { base: string; values: Float32Array } | null, a: ConvAttrs): string {
  const r = shape.length;
  const perm = [r - 1, r - 2, ...Array.from({ length: r - 2 }, (_, i) => i)];
  const w = g.floatInit(kernelBase, perm.map((p) => shape[p]), permuteHost(kernel, shape, perm));
  const inputs = [input, w];
  if (bias) inputs.push(g.floatInit(bias.base, [shape[r - 1]], bias.values));
  return g.node('Conv', inputs, name, [
    attrInts('kernel_shape', a.kernel), attrInts('strides', a.strides), attrInts('dilations', a.dilations),
    attrInts('pads', a.pads), attrInt('group', a.group),
  ]);
}

/** The Conv attributes of a 2-D convolution layer on input [H, W, C]. */
function conv2dAttrs(l: Conv2D | DepthwiseConv2D | SeparableConv2D, inShape: readonly number[], group: number, where: string): ConvAttrs {
  const [kh, kw] = l.kernelSize;
  const [dh, dw] = l.dilation;
  const [sh, sw] = l.strides;
  const [t, b, le, r] = resolvePadding(l.padding as any, inShape[0], inShape[1], (kh - 1) * dh + 1, (kw - 1) * dw + 1, sh, sw, where);
  return { kernel: [kh, kw], strides: [sh, sw], dilations: [dh, dw], pads: [t, le, b, r], group };
}

/** Exports a built Sequential as ONNX ModelProto bytes. */
export function sequentialToOnnx(model: Sequential, options: OnnxExportOptions = {}): Uint8Array {
  return encodeModel(sequentialToOnnxMessage(model, options));
}

/** @internal The ModelProto message sequentialToOnnx serialises (tests compare encoders on it). */
export function sequentialToOnnxMessage(model: Sequential, options: OnnxExportOptions = {}): ModelMsg {
  if (!(model instanceof Sequential)) throw new ValueError('toOnnx: expects a Sequential model');
  if (options === null || typeof options !== 'object') throw new ValueError(`toOnnx: options must be an object, got ${String(options)}`);
  const layout = options.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') throw new ValueError(`toOnnx: option 'layout' must be 'NHWC' or 'NCHW', got ${JSON.stringify(layout)}`);
  const opset = options.opset ?? 13;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) throw new ValueError(`toOnnx: option 'opset' must be an integer from 13 to 21, got ${JSON.stringify(opset)}`);
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  for (const [k, v] of [['inputName', inputName], ['outputName', outputName]] as const) {
    if (typeof v !== 'string' || v === '') throw new ValueError(`toOnnx: option '${k}' must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  if (inputName === outputName) throw new ValueError(`toOnnx: inputName and outputName must differ (both '${inputName}')`);
  const batch = options.batchSize;
  if (batch !== undefined && !(Number.isInteger(batch) && batch > 0)) throw new ValueError(`toOnnx: option 'batchSize' must be a positive integer, got ${JSON.stringify(batch)}`);
  if (!model.built) {
    throw new ValueError(`toOnnx: model '${model.name}' is not built yet: give inputShape (new Sequential(layers, { inputShape })) or call it on data first`);
  }

  const g = new GraphBuilder([inputName, outputName]);
  const inSample = model.inputShape!;
  let cur: Flow = { name: inputName, rank: inSample.length + 1, nchw: layout === 'NCHW' && inSample.length === 3 };

  const toNCHW = (base: string): void => {
    if (cur.rank === 4 && !cur.nchw) {
      cur = { name: g.node('Transpose', [cur.name], `${base}/to_nchw`, [attrInts('perm', NHWC_TO_NCHW)]), rank: 4, nchw: true };
    }
  };
  const toNHWC = (base: string): void => {
    if (cur.nchw) cur = { name: g.node('Transpose', [cur.name], `${base}/to_nhwc`, [attrInts('perm', NCHW_TO_NHWC)]), rank: 4, nchw: false };
  };
  const activation = (act: ActivationName, base: string): void => {
    if (act === 'linear') return;
    const x = cur.name;
    const op = (type: string, inputs: string[], attrs: AttributeMsg[] = [], suffix: string = act): string => g.node(type, inputs, `${base}/${suffix}`, attrs);
    let y: string;
    switch (act) {
      case 'relu': y = op('Relu', [x]); break;
      case 'leakyRelu': y = op('LeakyRelu', [x], [attrFloat('alpha', 0.01)]); break;
      case 'elu': y = op('Elu', [x], [attrFloat('alpha', 1)]); break;
      case 'sigmoid': y = op('Sigmoid', [x]); break;
      case 'tanh': y = op('Tanh', [x]); break;
      case 'softmax': y = op('Softmax', [x], [attrInt('axis', cur.nchw ? 1 : -1)]); break;
      case 'silu': // nn.activation resolves 'silu' to 'swish'
      case 'swish': y = op('Mul', [x, op('Sigmoid', [x], [], 'swish_sigmoid')]); break;
      case 'relu6': y = op('Clip', [x, g.scalar(`${base}/zero`, 0), g.scalar(`${base}/six`, 6)]); break;
      case 'hardSigmoid': y = op('HardSigmoid', [x], HARD_SIGMOID); break;
      // HardSwish is an op from opset 14 on; before, x * HardSigmoid(x)
      case 'hardSwish': y = opset >= 14 ? op('HardSwish', [x]) : op('Mul', [x, op('HardSigmoid', [x], HARD_SIGMOID, 'hard_sigmoid')]); break;
      case 'softplus': y = op('Softplus', [x]); break;
      case 'gelu': {
        if (opset >= 20) { y = op('Gelu', [x]); break; }
        // Exact gelu: 0.5 * x * (1 + erf(x / sqrt(2))).
        const erf = op('Erf', [op('Div', [x, g.scalar(`${base}/sqrt2`, Math.SQRT2)], [], 'gelu_div')], [], 'gelu_erf');
        const onePlus = op('Add', [erf, g.scalar(`${base}/one`, 1)], [], 'gelu_add');
        y = op('Mul', [op('Mul', [x, onePlus], [], 'gelu_mul'), g.scalar(`${base}/half`, 0.5)]);
        break;
      }
      default: throw new ValueError(`toOnnx: activation '${act}' has no ONNX export`);
    }
    cur = { ...cur, name: y };
  };

  for (const layer of model.layers) {
    const base = layer.name;
    const inShape = layer.inputShape!;
    const outShape = layer.outputShape!;
    const where = `toOnnx: layer '${layer.name}' (${layer.className})`;
    switch (layer.className) {
      case 'Conv2D':
      case 'DepthwiseConv2D': {
        const l = layer as Conv2D | DepthwiseConv2D;
        toNCHW(base);
        const [kh, kw] = l.kernelSize;
        const C = inShape[2];
        const depthwise = layer.className === 'DepthwiseConv2D';
        const groups = depthwise ? C : (l as Conv2D).groups;
        const outC = outShape[2];
        // HWIO [kh, kw, C/groups, outC]; the depthwise kernel [kh, kw, C, mult] has the same bytes as [kh, kw, 1, C*mult].
        const hwio = [kh, kw, depthwise ? 1 : C / groups, outC];
        const bias = l.bias ? { base: `${base}/bias`, values: data(l.bias, where) } : null;
        cur = { name: convNode(g, cur.name, base, `${base}/kernel`, data(l.kernel, where), hwio, bias, conv2dAttrs(l, inShape, groups, where)), rank: 4, nchw: true };
        activation(l.activation, base);
        break;
      }
      case 'SeparableConv2D': {
        // Two Conv nodes: the depthwise one (groups = C, no bias), then the pointwise 1x1 with the bias.
        const l = layer as SeparableConv2D;
        toNCHW(base);
        const [kh, kw] = l.kernelSize;
        const C = inShape[2], mid = C * l.depthMultiplier;
        const dwName = convNode(g, cur.name, `${base}/depthwise`, `${base}/depthwise_kernel`, data(l.depthwiseKernel, where),
          [kh, kw, 1, mid], null, conv2dAttrs(l, inShape, C, where));
        const bias = l.bias ? { base: `${base}/bias`, values: data(l.bias, where) } : null;
        const pointwise = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1 };
        cur = { name: convNode(g, dwName, base, `${base}/pointwise_kernel`, data(l.pointwiseKernel, where), [1, 1, mid, l.filters], bias, pointwise), rank: 4, nchw: true };
        activation(l.activation, base);
        break;
      }
      case 'Conv1D': {
        // A 1-D Conv on [N, C, L] between two transposes: sequences stay channels-last in the graph.
        const l = layer as Conv1D;
        const [length, C] = inShape;
        const ncl = g.node('Transpose', [cur.name], `${base}/to_ncl`, [attrInts('perm', [0, 2, 1])]);
        const [left, right] = l.pads(length);
        const attrs = { kernel: [l.kernelSize], strides: [l.strides], dilations: [l.dilation], pads: [left, right], group: l.groups };
        const bias = l.bias ? { base: `${base}/bias`, values: data(l.bias, where) } : null;
        const y = convNode(g, ncl, `${base}/conv`, `${base}/kernel`, data(l.kernel, where), [l.kernelSize, C / l.groups, l.filters], bias, attrs);
        cur = { name: g.node('Transpose', [y], base, [attrInts('perm', [0, 2, 1])]), rank: 3, nchw: false };
        activation(l.activation, base);
        break;
      }
      case 'Conv2DTranspose': {
        const l = layer as Conv2DTranspose;
        toNCHW(base);
        const kernel = l.kernel!;
        const [kh, kw, outC, inC] = kernel.shape;
        const geo = conv2dTransposeGeometry([1, ...inShape], kernel.shape, { strides: l.strides, padding: l.padding }, where);
        // ONNX: out = s*(in-1) + output_padding + k - pad_begin - pad_end.
        const extraH = Math.max(-geo.padBottom, 0), extraW = Math.max(-geo.padRight, 0);
        const w = g.floatInit(`${base}/kernel`, [inC, outC, kh, kw], permuteHost(data(kernel, where), kernel.shape, [3, 2, 0, 1]));
        const inputs = [cur.name, w];
        if (l.bias) inputs.push(g.floatInit(`${base}/bias`, [outC], data(l.bias, where)));
        const attrs = [
          attrInts('kernel_shape', [kh, kw]), attrInts('strides', l.strides),
          attrInts('pads', [geo.padTop, geo.padLeft, Math.max(geo.padBottom, 0), Math.max(geo.padRight, 0)]),
        ];
        if (extraH || extraW) attrs.push(attrInts('output_padding', [extraH, extraW]));
        cur = { name: g.node('ConvTranspose', inputs, base, attrs), rank: 4, nchw: true };
        activation(l.activation, base);
        break;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const l = layer as MaxPooling2D;
        toNCHW(base);
        const [kh, kw] = l.poolSize;
        const [sh, sw] = l.strides;
        const [t, b, le, r] = resolvePadding(l.padding, inShape[0], inShape[1], kh, kw, sh, sw, where);
        const attrs = [attrInts('kernel_shape', [kh, kw]), attrInts('strides', [sh, sw]), attrInts('pads', [t, le, b, r])];
        // Our average excludes the padding (as TensorFlow): count_include_pad = 0.
        if (layer.className === 'AveragePooling2D') attrs.push(attrInt('count_include_pad', 0));
        cur = { name: g.node(layer.className === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [cur.name], base, attrs), rank: 4, nchw: true };
        break;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        toNCHW(base);
        // keepDims: the pool's own [N, C, 1, 1] output, without the Flatten.
        const keepDims = (layer as GlobalAveragePooling2D).keepDims;
        const pooled = g.node(layer.className === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [cur.name], keepDims ? base : `${base}/pool`);
        cur = keepDims ? { name: pooled, rank: 4, nchw: true } : { name: g.node('Flatten', [pooled], base, [attrInt('axis', 1)]), rank: 2, nchw: false };
        break;
      }
      case 'ZeroPadding2D': {
        const l = layer as ZeroPadding2D;
        toNCHW(base);
        const [[t, b], [le, r]] = l.padding;
        const pads = g.int64Init(`${base}/pads`, [0, 0, t, le, 0, 0, b, r]);
        cur = { name: g.node('Pad', [cur.name, pads], base, []), rank: 4, nchw: true };
        break;
      }
      case 'BatchNormalization': {
        const l = layer as BatchNormalization;
        const C = inShape[inShape.length - 1];
        const params = [
          g.floatInit(`${base}/gamma`, [C], data(l.gamma, where)),
          g.floatInit(`${base}/beta`, [C], data(l.beta, where)),
          g.floatInit(`${base}/moving_mean`, [C], data(l.movingMean, where)),
          g.floatInit(`${base}/moving_variance`, [C], data(l.movingVariance, where)),
        ];
        const attrs = [attrFloat('epsilon', l.epsilon)];
        if (cur.rank === 4) {
          toNCHW(base);
          cur = { ...cur, name: g.node('BatchNormalization', [cur.name, ...params], base, attrs) };
        } else if (cur.rank === 2) {
          cur = { ...cur, name: g.node('BatchNormalization', [cur.name, ...params], base, attrs) };
        } else {
          // Channel-last [N, ..., C]: move C to axis 1 for ONNX and back.
          const r = cur.rank;
          const perm = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
          const inv = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1];
          const moved = g.node('Transpose', [cur.name], `${base}/to_channels_first`, [attrInts('perm', perm)]);
          const bn = g.node('BatchNormalization', [moved, ...params], `${base}/bn`, attrs);
          cur = { ...cur, name: g.node('Transpose', [bn], base, [attrInts('perm', inv)]) };
        }
        break;
      }
      case 'LayerNormalization': {
        const l = layer as LayerNormalization;
        if (cur.nchw && !layerNormReadsNCHW(l, cur)) toNHWC(base);
        cur = { ...cur, name: exportLayerNorm(g, cur, l, inShape, opset, where) };
        break;
      }
      case 'GroupNormalization':
        cur = { ...cur, name: exportGroupNorm(g, cur, layer as GroupNormalization, inShape, opset) };
        break;
      case 'Dropout':
        break; // inference: the identity
      case 'Flatten': {
        if (cur.rank === 2) break;
        // Our flatten reads NHWC order; NCHW order coincides only when H*W = 1 or C = 1.
        if (cur.nchw && !(inShape[0] * inShape[1] === 1 || inShape[2] === 1)) toNHWC(base);
        cur = { name: g.node('Flatten', [cur.name], base, [attrInt('axis', 1)]), rank: 2, nchw: false };
        break;
      }
      case 'Dense': {
        const l = layer as Dense;
        const kernel = l.kernel!;
        const [inF, units] = kernel.shape;
        const w = g.floatInit(`${base}/kernel`, [inF, units], data(kernel, where));
        const bias = l.bias ? g.floatInit(`${base}/bias`, [units], data(l.bias, where)) : null;
        if (cur.rank === 2) {
          cur = { ...cur, name: g.node('Gemm', bias ? [cur.name, w, bias] : [cur.name, w], base) };
        } else {
          toNHWC(base);
          const mm = g.node('MatMul', [cur.name, w], bias ? `${base}/matmul` : base);
          cur = { ...cur, name: bias ? g.node('Add', [mm, bias], base) : mm };
        }
        activation(l.activation, base);
        break;
      }
      case 'Activation':
        activation((layer as Activation).activation, base);
        break;
      case 'PReLU': {
        const l = layer as PReLU;
        const alpha = l.alpha!;
        let dims = alpha.shape.slice();
        let values = data(alpha, where);
        if (cur.nchw) {
          values = permuteHost(values, dims, [2, 0, 1]);
          dims = [dims[2], dims[0], dims[1]];
        }
        cur = { ...cur, name: g.node('PRelu', [cur.name, g.floatInit(`${base}/alpha`, dims, values)], base) };
        break;
      }
      case 'UpSampling2D':
        toNCHW(base);
        cur = { ...cur, name: exportUpSampling(g, cur.name, layer as UpSampling2D, base) };
        break;
      case 'Resizing':
        toNCHW(base);
        cur = { ...cur, name: exportResizing(g, cur.name, layer as Resizing, base) };
        break;
      case 'Cropping2D':
        cur = { ...cur, name: exportCropping(g, cur.name, cur.nchw, inShape, layer as Cropping2D, base) };
        break;
      case 'Reshape':
        toNHWC(base); // the target shape reads the channel-last order
        cur = { name: exportReshape(g, cur.name, layer as Reshape, base), rank: outShape.length + 1, nchw: false };
        break;
      default:
        throw new ValueError(`${where} has no ONNX export (supported: Conv2D, DepthwiseConv2D, SeparableConv2D, Conv1D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D, BatchNormalization, Dropout, Flatten, Dense, Activation, PReLU, UpSampling2D, Resizing, Cropping2D, Reshape, LayerNormalization, GroupNormalization)`);
    }
  }
  // Image-shaped outputs come back in the graph's layout.
  if (layout === 'NHWC') toNHWC('output');
  else toNCHW('output');
  // Name the result: rename the last node's output, or copy the input through.
  const last = g.nodes[g.nodes.length - 1];
  if (last && last.output![0] === cur.name) last.output![0] = outputName;
  else g.nodes.push({ opType: 'Identity', input: [cur.name], output: [outputName], name: g.unique('output/identity'), attribute: [] });

  const outSample = model.outputShape!;
  const batchDim = batch ?? 'N';
  const imageDims = (sample: readonly number[], nchw: boolean): (number | string)[] =>
    nchw ? [batchDim, sample[2], sample[0], sample[1]] : [batchDim, ...sample];
  const valueInfo = (name: string, dims: (number | string)[]): ValueInfoMsg => ({
    name,
    type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const inputNCHW = layout === 'NCHW' && inSample.length === 3;
  const outputNCHW = cur.nchw;
  return {
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'wasm-cnn',
    producerVersion: '0.1.0',
    modelVersion: 1,
    ...(options.docString ? { docString: String(options.docString) } : {}),
    graph: {
      name: options.graphName ?? model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(inputName, imageDims(inSample, inputNCHW))],
      output: [valueInfo(outputName, imageDims(outSample, outputNCHW))],
    },
  };
}

Sequential.prototype.toOnnx = function toOnnx(this: Sequential, options?: OnnxExportOptions): Uint8Array {
  return sequentialToOnnx(this, options);
};
