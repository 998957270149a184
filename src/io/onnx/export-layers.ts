// ONNX export of one layer application: the layer's nodes and initializers, reading one value
// (in NCHW or NHWC axes, see export.ts) and returning the value it makes. The graph walk
// (export-graph.ts) calls it once per node; merge layers and nested models are its own.
import { ValueError } from '../../errors.js';
import { resolvePadding, conv2dTransposeGeometry } from '../../ops/conv/geometry.js';
import type { Layer } from '../../nn/layer.js';
import type {
  Conv2D, DepthwiseConv2D, Conv2DTranspose, MaxPooling2D, ZeroPadding2D, BatchNormalization, Dense,
  Activation, PReLU, Conv1D, SeparableConv2D,
} from '../../nn/index.js';
import type { GlobalAveragePooling2D, LayerNormalization, GroupNormalization } from '../../nn/index.js';
import type { UpSampling2D, Resizing, Cropping2D, Reshape, Permute } from '../../nn/index.js';
import type { ActivationName } from '../../nn/activations.js';
import { exportLayerNorm, exportGroupNorm, layerNormReadsNCHW } from './export-norms.js';
import { exportUpSampling, exportResizing, exportCropping, exportReshape } from './export-resampling.js';
import { GraphBuilder, attrInt, attrInts, attrFloat, permuteHost, weightData, type Flow } from './export-builder.js';
import type { AttributeMsg } from './proto.js';

/** ONNX HardSigmoid's attributes for PyTorch's hardsigmoid, relu6(x + 3) / 6. */
const HARD_SIGMOID = [attrFloat('alpha', 1 / 6), attrFloat('beta', 0.5)];

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

/**
 * Emits one application of `layer` (one input, one output) reading `input`; `inShape` / `outShape` are
 * one sample's shapes (channel-last). Returns the output value and its layout.
 */
export function exportLayer(g: GraphBuilder, opset: number, layer: Layer, input: Flow, inShape: readonly number[], outShape: readonly number[]): Flow {
  let cur = input;
  const base = layer.name;
  const where = `toOnnx: layer '${layer.name}' (${layer.className})`;
  const toNCHW = (b: string): void => { cur = g.toNCHW(cur, b); };
  const toNHWC = (b: string): void => { cur = g.toNHWC(cur, b); };
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
      const bias = l.bias ? { base: `${base}/bias`, values: weightData(l.bias, where) } : null;
      cur = { name: convNode(g, cur.name, base, `${base}/kernel`, weightData(l.kernel, where), hwio, bias, conv2dAttrs(l, inShape, groups, where)), rank: 4, nchw: true };
      activation(l.activation, base);
      break;
    }
    case 'SeparableConv2D': {
      // Two Conv nodes: the depthwise one (groups = C, no bias), then the pointwise 1x1 with the bias.
      const l = layer as SeparableConv2D;
      toNCHW(base);
      const [kh, kw] = l.kernelSize;
      const C = inShape[2], mid = C * l.depthMultiplier;
      const dwName = convNode(g, cur.name, `${base}/depthwise`, `${base}/depthwise_kernel`, weightData(l.depthwiseKernel, where),
        [kh, kw, 1, mid], null, conv2dAttrs(l, inShape, C, where));
      const bias = l.bias ? { base: `${base}/bias`, values: weightData(l.bias, where) } : null;
      const pointwise = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], group: 1 };
      cur = { name: convNode(g, dwName, base, `${base}/pointwise_kernel`, weightData(l.pointwiseKernel, where), [1, 1, mid, l.filters], bias, pointwise), rank: 4, nchw: true };
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
      const bias = l.bias ? { base: `${base}/bias`, values: weightData(l.bias, where) } : null;
      const y = convNode(g, ncl, `${base}/conv`, `${base}/kernel`, weightData(l.kernel, where), [l.kernelSize, C / l.groups, l.filters], bias, attrs);
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
      const w = g.floatInit(`${base}/kernel`, [inC, outC, kh, kw], permuteHost(weightData(kernel, where), kernel.shape, [3, 2, 0, 1]));
      const inputs = [cur.name, w];
      if (l.bias) inputs.push(g.floatInit(`${base}/bias`, [outC], weightData(l.bias, where)));
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
        g.floatInit(`${base}/gamma`, [C], weightData(l.gamma, where)),
        g.floatInit(`${base}/beta`, [C], weightData(l.beta, where)),
        g.floatInit(`${base}/moving_mean`, [C], weightData(l.movingMean, where)),
        g.floatInit(`${base}/moving_variance`, [C], weightData(l.movingVariance, where)),
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
    case 'RandomFlip': case 'RandomRotation': case 'RandomZoom': case 'RandomContrast': case 'RandomBrightness':
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
      const w = g.floatInit(`${base}/kernel`, [inF, units], weightData(kernel, where));
      const bias = l.bias ? g.floatInit(`${base}/bias`, [units], weightData(l.bias, where)) : null;
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
      let values = weightData(alpha, where);
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
    case 'Permute': {
      // One Transpose: the layer's axis order read through the value's order in the file (NCHW or as is).
      const fileOrder = cur.nchw ? [0, 3, 1, 2] : Array.from({ length: cur.rank }, (_, i) => i);
      const perm = [0, ...(layer as Permute).dims].map((axis) => fileOrder.indexOf(axis));
      cur = { name: g.node('Transpose', [cur.name], base, [attrInts('perm', perm)]), rank: outShape.length + 1, nchw: false };
      break;
    }
    default:
      throw new ValueError(`${where} has no ONNX export (supported: Conv2D, DepthwiseConv2D, SeparableConv2D, Conv1D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D, BatchNormalization, Dropout, Flatten, Dense, Activation, PReLU, UpSampling2D, Resizing, Cropping2D, Reshape, Permute, LayerNormalization, GroupNormalization, the merge layers and nested models)`);
  }
  return cur;
}
