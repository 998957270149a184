// Conv (1-D and 2-D) and ConvTranspose (2-D), NHWC inside. Constant weights are transposed to the kernels'
// layout once at load time; the residual Add and activation after a Conv (fusion.ts) run in its step.
import { ops, FormatError, ShapeError, _conv2dFused, type Tensor } from '../../../index.js';
import { fmtShape } from '../../../fmt.js';
import { dilatedExtent } from '../../../geometry.js';
import type { NodeContext, OpHandler } from '../graph-context.js';
import { convFusion, type ConvFusion } from '../fusion.js';
import { alignOperands, floatValue, logical, nhwcOf, type Env, type FloatValue } from '../values.js';
import { checkAutoPad, checkPositive, padPairs, spatialPads } from './window.js';

/** ONNX [M, C/group, kH, kW] or ConvTranspose's [C_in, M, kH, kW] -> ours [kH, kW, C/group, M] / [kH, kW, M, C_in]. */
const toKernelLayout = (t: Tensor) => ops.transpose(t, [2, 3, 1, 0]);

/**
 * Constant weights, transposed into the kernels' layout in wasm memory straight from the file's
 * bytes (the ONNX-layout copy is transient), and the bias, prepared once; null where computed at
 * run time. `dims4` are the weights' 4-D dims (a 1-D Conv's get a height of one).
 */
function prepareConstants(node: NodeContext, w: string, dims4: number[] | null, b: string | null): { wConst: Tensor | null; bConst: Tensor | null } {
  const wConst = dims4 ? node.preparedConst(w, (t) => toKernelLayout(ops.reshape(t, dims4))) : null;
  const bConst = b && node.hostFloat(b) ? node.sharedConst(b) : null;
  return { wConst, bConst };
}

export const conv: OpHandler = (node) => {
  const { label } = node;
  const a = node.attributes(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = node.requiredInput(0, 'X'), w = node.requiredInput(1, 'W'), b = node.input(2);
  node.requireFloatInputs(0, 1, 2);
  node.rejectExtraOutputs();
  const autoPad = checkAutoPad(a.string('auto_pad', 'NOTSET'), label);
  const ks = a.ints('kernel_shape');
  const wc = node.hostFloat(w);
  // A 1-D Conv (input [N, C, L], weights [M, C/group, k]) runs as the 2-D one over a height of one.
  const oneD = (ks ? ks.length : wc ? wc.dims.length - 2 : 2) === 1;
  const lift = (v: number[] | null, h: number): number[] | null => (v && oneD ? [h, ...v] : v);
  const strides = lift(a.ints('strides'), 1) ?? [1, 1];
  const dil = lift(a.ints('dilations'), 1) ?? [1, 1];
  const group = a.int('group', 1);
  const ks2 = lift(ks, 1);
  checkPositive(strides, 'strides', label);
  checkPositive(dil, 'dilations', label);
  checkPositive(ks2, 'kernel_shape', label);
  if (group < 1) throw new FormatError(`loadOnnx: ${label}: group must be >= 1, got ${group}`);
  const rawPads = a.ints('pads');
  const pads = padPairs(oneD ? (rawPads?.length === 2 ? [0, rawPads[0], 0, rawPads[1]] : rawPads ?? [0, 0, 0, 0]) : rawPads ?? [0, 0, 0, 0], label);
  const wc2 = wc && oneD && wc.dims.length === 3 ? { dims: [wc.dims[0], wc.dims[1], 1, wc.dims[2]] } : wc;
  if (wc2 && (wc2.dims.length !== 4 || (ks2 && (ks2[0] !== wc2.dims[2] || ks2[1] !== wc2.dims[3])) || wc2.dims[0] % group !== 0)) {
    throw new FormatError(`loadOnnx: ${label}: weights ${fmtShape(wc!.dims)} do not fit a ${oneD ? 1 : 2}-D convolution (kernel_shape ${JSON.stringify(ks)}, group ${group}); only 1-D and 2-D Conv are supported`);
  }
  const { wConst, bConst } = prepareConstants(node, w, wc2 ? wc2.dims : null, b);
  const fusion = oneD ? null : convFusion(node.graph, node.node);
  node.declareOutput();
  const out = node.output;
  // One options object per input size and kernel, reused while they stay (the conv then skips
  // resolving it again; see conv2dFused).
  let last: { h: number; w: number; kh: number; kw: number; options: ConvOptions } | null = null;
  const optionsFor = (h: number, w: number, kh: number, kw: number): ConvOptions => {
    if (last && last.h === h && last.w === w && last.kh === kh && last.kw === kw) return last.options;
    const ph = spatialPads(autoPad, pads, h, dilatedExtent(kh, dil[0]), strides[0], 0);
    const pw = spatialPads(autoPad, pads, w, dilatedExtent(kw, dil[1]), strides[1], 1);
    const options: ConvOptions = { strides: strides as [number, number], dilation: dil as [number, number], groups: group, padding: [ph, pw] };
    last = { h, w, kh, kw, options };
    return options;
  };
  return (env) => {
    const xv = node.readFloat(env, x);
    const xt = oneD ? nhwcOf(floatValue(lift1d(xv.t, label)), label) : nhwcOf(xv, label);
    const wRead = () => { const t = node.readFloat(env, w).t; return oneD && t.rank === 3 ? lift1d(t, label) : t; };
    const wt = wConst ?? toKernelLayout(wRead());
    if (wt.rank !== 4) throw new ShapeError(`${label}: weights must be 4-D (M, C/group, kH, kW), got ${fmtShape(node.readFloat(env, w).t.shape)}`);
    const bias = bConst ?? (b ? node.readFloat(env, b).t : null);
    const options = optionsFor(xt.shape[1], xt.shape[2], wt.shape[0], wt.shape[1]);
    // A 2-D Conv always runs through its fusion (which may hold nothing to fuse); a 1-D one goes
    // back to the graph's [N, M, L] layout.
    if (fusion) { env.set(fusion.output, runFused(env, fusion, node.readFloat.bind(node), xt, wt, bias, options)); return; }
    const y = ops.conv2d(xt, wt, bias, options);
    env.set(out, floatValue(ops.reshape(logical(floatValue(y, true)), [y.shape[0], y.shape[3], y.shape[2]])));
  };
};

type ConvOptions = { strides: [number, number]; dilation: [number, number]; groups: number; padding: [[number, number], [number, number]] };

/** The conv with its fused residual and activation in place; a residual of another shape or layout is added by the ops instead. */
function runFused(env: Env, fusion: ConvFusion, read: (env: Env, name: string) => FloatValue, xt: Tensor, wt: Tensor, bias: Tensor | null, options: ConvOptions): FloatValue {
  const other = fusion.residual ? read(env, fusion.residual) : null;
  const { y, fused } = _conv2dFused(xt, wt, bias, options, {
    residual: other && other.nhwc ? other.t : null, activation: other && !other.nhwc ? 'linear' : fusion.activation,
    clipMin: fusion.clipMin, clipMax: fusion.clipMax,
  });
  if (!other || (fused && other.nhwc)) return floatValue(y, true);
  const { ts, nhwc } = alignOperands([floatValue(y, true), other]);
  const sum = ops.add(ts[0], ts[1]);
  return floatValue(activate(sum, fusion), nhwc);
}

/** The fused activation as separate ops (after a residual the conv could not add in place). */
function activate(t: Tensor, f: ConvFusion): Tensor {
  switch (f.activation) {
    case 'linear': return t;
    case 'relu': return ops.relu(t);
    case 'clip': return ops.clip(t, f.clipMin, f.clipMax);
    case 'hardSwish': return ops.hardSwish(t);
    case 'sigmoid': return ops.sigmoid(t);
    case 'silu': return ops.mul(t, ops.sigmoid(t));
  }
}

/** [N, C, L] (or weights [M, C/group, k]) as [N, C, 1, L]: a 1-D value as a 2-D one of height one. */
function lift1d(t: Tensor, label: string): Tensor {
  if (t.rank !== 3) throw new ShapeError(`${label}: a 1-D Conv expects a 3-D (N, C, L) input, got ${fmtShape(t.shape)}`);
  return ops.reshape(t, [t.shape[0], t.shape[1], 1, t.shape[2]]);
}

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
  const { wConst, bConst } = prepareConstants(node, w, wc ? wc.dims : null, b);
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
