// Conv and ConvTranspose (2-D, NHWC inside). Constant weights are transposed to the kernels'
// layout once at load time; a Relu that only reads a Conv runs fused into it.
import { tidy, noGrad, tensor as makeTensor, ops, FormatError, ShapeError, type Tensor } from '../../../index.js';
import { fmtShape } from '../../../fmt.js';
import { dilatedExtent } from '../../../geometry.js';
import type { NodeContext, OpHandler } from '../graph-context.js';
import type { HostConst } from '../tensor-data.js';
import { fusableRelu } from '../fusion.js';
import { floatValue, nhwcOf } from '../values.js';
import { checkAutoPad, checkPositive, padPairs, spatialPads } from './window.js';

/** ONNX [M, C/group, kH, kW] or ConvTranspose's [C_in, M, kH, kW] -> ours [kH, kW, C/group, M] / [kH, kW, M, C_in]. */
const toKernelLayout = (t: Tensor) => ops.transpose(t, [2, 3, 1, 0]);

/** Constant weights (in the kernels' layout) and bias, prepared once; null where computed at run time. */
function prepareConstants(node: NodeContext, wc: HostConst | null, b: string | null): { wConst: Tensor | null; bConst: Tensor | null } {
  const wConst = wc ? node.keep(noGrad(() => tidy(() => toKernelLayout(makeTensor(wc.float!, wc.dims))))) : null;
  const bc = b ? node.hostFloat(b) : null;
  const bConst = bc ? node.constTensor(bc) : null;
  return { wConst, bConst };
}

export const conv: OpHandler = (node) => {
  const { label } = node;
  const a = node.attributes(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = node.requiredInput(0, 'X'), w = node.requiredInput(1, 'W'), b = node.input(2);
  node.requireFloatInputs(0, 1, 2);
  node.rejectExtraOutputs();
  const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
  const strides = a.ints('strides') ?? [1, 1];
  const dil = a.ints('dilations') ?? [1, 1];
  const group = a.int('group', 1);
  const ks = a.ints('kernel_shape');
  checkPositive(strides, 'strides', label);
  checkPositive(dil, 'dilations', label);
  checkPositive(ks, 'kernel_shape', label);
  if (group < 1) throw new FormatError(`loadOnnx: ${label}: group must be >= 1, got ${group}`);
  const pads = padPairs(a.ints('pads') ?? [0, 0, 0, 0], label);
  const wc = node.hostFloat(w);
  if (wc && (wc.dims.length !== 4 || (ks && (ks[0] !== wc.dims[2] || ks[1] !== wc.dims[3])) || wc.dims[0] % group !== 0)) {
    throw new FormatError(`loadOnnx: ${label}: weights ${fmtShape(wc.dims)} do not fit a 2-D convolution (kernel_shape ${JSON.stringify(ks)}, group ${group}); only 2-D Conv is supported`);
  }
  const { wConst, bConst } = prepareConstants(node, wc, b);
  const fuseRelu = fusableRelu(node.graph, node.node);
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const xt = nhwcOf(node.readFloat(env, x), label);
    const wt = wConst ?? toKernelLayout(node.readFloat(env, w).t);
    if (wt.rank !== 4) throw new ShapeError(`${label}: weights must be 4-D (M, C/group, kH, kW), got ${fmtShape(node.readFloat(env, w).t.shape)}`);
    const bias = bConst ?? (b ? node.readFloat(env, b).t : null);
    const [kh, kw] = [wt.shape[0], wt.shape[1]];
    const ph = spatialPads(autoPad, pads, xt.shape[1], dilatedExtent(kh, dil[0]), strides[0], 0);
    const pw = spatialPads(autoPad, pads, xt.shape[2], dilatedExtent(kw, dil[1]), strides[1], 1);
    const y = ops.conv2d(xt, wt, bias, {
      strides: strides as [number, number], dilation: dil as [number, number], groups: group,
      padding: [ph, pw], activation: fuseRelu ? 'relu' : 'linear',
    });
    env.set(out, floatValue(y, true));
    if (fuseRelu) env.set(fuseRelu, floatValue(y, true));
  };
};

export const convTranspose: OpHandler = (node) => {
  const { label } = node;
  const a = node.attributes(['auto_pad', 'dilations', 'group', 'kernel_shape', 'output_padding', 'pads', 'strides']);
  const x = node.requiredInput(0, 'X'), w = node.requiredInput(1, 'W'), b = node.input(2);
  node.requireFloatInputs(0, 1, 2);
  node.rejectExtraOutputs();
  const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw new FormatError(`loadOnnx: ${label}: auto_pad '${autoPad}' is not supported for ConvTranspose (give explicit pads)`);
  if (a.int('group', 1) !== 1) throw new FormatError(`loadOnnx: ${label}: group != 1 is not supported for ConvTranspose`);
  const strides = a.ints('strides') ?? [1, 1];
  const dil = a.ints('dilations') ?? [1, 1];
  const outPad = a.ints('output_padding') ?? [0, 0];
  const ks = a.ints('kernel_shape');
  checkPositive(strides, 'strides', label);
  checkPositive(dil, 'dilations', label);
  checkPositive(ks, 'kernel_shape', label);
  checkPositive(outPad, 'output_padding', label, 2, 0);
  const pads = autoPad === 'VALID' ? padPairs([0, 0, 0, 0], label) : padPairs(a.ints('pads') ?? [0, 0, 0, 0], label);
  const wc = node.hostFloat(w);
  if (wc && wc.dims.length !== 4) throw new FormatError(`loadOnnx: ${label}: weights ${fmtShape(wc.dims)} must be 4-D; only 2-D ConvTranspose is supported`);
  const { wConst, bConst } = prepareConstants(node, wc, b);
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const xt = nhwcOf(node.readFloat(env, x), label);
    const wt = wConst ?? toKernelLayout(node.readFloat(env, w).t);
    const bias = bConst ?? (b ? node.readFloat(env, b).t : null);
    const y = ops.conv2dTranspose(xt, wt, bias, {
      strides: strides as [number, number], dilation: dil as [number, number], padding: pads, outputPadding: outPad as [number, number],
    });
    env.set(out, floatValue(y, true));
  };
};
