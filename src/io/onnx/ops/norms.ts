// LayerNormalization, and the ops its decomposition uses (ReduceMean, Sqrt): what toOnnx writes
// for the LayerNormalization and GroupNormalization layers, so exported models load back.
import { ops, FormatError } from '../../../index.js';
import type { OpHandler } from '../graph-context.js';
import { floatValue, logical } from '../values.js';

/** Where each axis of a 4-D (N, C, H, W) value lives in its NHWC form. */
const NHWC_POSITION = [0, 3, 1, 2];

export const sqrt: OpHandler = (node) => {
  node.attributes([]);
  const x = node.floatInOut('X');
  const out = node.output;
  return (env) => { const v = node.readFloat(env, x); env.set(out, floatValue(ops.sqrt(v.t), v.nhwc)); };
};

/** Mean over `axes` (an attribute before opset 18, then an optional input); all axes when none are given. */
export const reduceMean: OpHandler = (node) => {
  const { label } = node;
  const axesAreAttribute = node.opset < 18;
  const a = node.attributes(axesAreAttribute ? ['axes', 'keepdims'] : ['keepdims', 'noop_with_empty_axes']);
  const x = node.requiredInput(0, 'data');
  node.requireFloatInputs(0);
  node.rejectExtraOutputs();
  const keepDims = a.int('keepdims', 1) !== 0;
  const noopWhenEmpty = !axesAreAttribute && a.int('noop_with_empty_axes', 0) !== 0;
  const axesAttr = axesAreAttribute ? a.ints('axes') : null;
  const axesName = axesAreAttribute ? null : node.input(1);
  if (axesName && node.dtypeOf(axesName) !== 'i') throw new FormatError(`loadOnnx: ${label}: axes must be an int64 tensor`);
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const v = node.readFloat(env, x);
    const given = axesAttr ?? (axesName ? node.readInt(env, axesName).data : []);
    if (given.length === 0 && noopWhenEmpty) { env.set(out, v); return; }
    const rank = v.nhwc ? 4 : v.t.rank;
    const axes = given.length ? [...new Set(given.map((ax) => node.axis(ax, rank)))] : Array.from({ length: rank }, (_, i) => i);
    // An NHWC value reduced with kept dims stays NHWC: the axes are mapped to their NHWC positions.
    if (v.nhwc && keepDims) { env.set(out, floatValue(ops.mean(v.t, axes.map((ax) => NHWC_POSITION[ax]), true), true)); return; }
    env.set(out, floatValue(ops.mean(logical(v), axes, keepDims)));
  };
};

/** ONNX LayerNormalization (opset 17): over the axes from `axis` to the last, Scale and optional B of their shape. */
export const layerNormalization: OpHandler = (node) => {
  const { label } = node;
  const a = node.attributes(['axis', 'epsilon', 'stash_type']);
  const x = node.requiredInput(0, 'X');
  const scale = node.requiredInput(1, 'Scale');
  const bias = node.input(2);
  node.requireFloatInputs(...[0, 1, ...(bias ? [2] : [])]);
  node.rejectExtraOutputs();
  const axis = a.int('axis', -1);
  const epsilon = a.float('epsilon', 1e-5);
  if (a.int('stash_type', 1) !== 1) throw new FormatError(`loadOnnx: ${label}: stash_type other than 1 (float32 statistics) is not supported`);
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const t = logical(node.readFloat(env, x));
    const start = node.axis(axis, t.rank);
    const axes = Array.from({ length: t.rank - start }, (_, i) => start + i);
    const b = bias ? logical(node.readFloat(env, bias)) : null;
    env.set(out, floatValue(ops.layerNorm(t, logical(node.readFloat(env, scale)), b, { axis: axes, epsilon })));
  };
};
