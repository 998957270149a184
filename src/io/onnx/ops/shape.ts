// Ops that move elements without computing new ones: Flatten, Reshape, Transpose, Squeeze,
// Unsqueeze, Concat, Slice, Pad, and the shape arithmetic on integer tensors (Shape, Gather).
// Float values are read in the graph's layout unless the op can follow the NHWC form for free.
import { ops, FormatError, ShapeError } from '../../../index.js';
import { sizeOf, fmtShape } from '../../../fmt.js';
import type { NodeContext, OpHandler } from '../graph-context.js';
import { gatherStrided, reshapeDims, sliceRange, transposeInts } from '../int-tensors.js';
import { floatValue, logical, logicalShape, permute, shapeOf, TO_NHWC, type Env, type IntValue } from '../values.js';

export const flatten: OpHandler = (node) => {
  const attrAxis = node.attributes(['axis']).int('axis', 1);
  const x = node.floatInOut('input');
  const out = node.output;
  return (env) => {
    const t = logical(node.readFloat(env, x));
    const axis = attrAxis < 0 ? attrAxis + t.rank : attrAxis;
    if (axis < 0 || axis > t.rank) throw new ShapeError(`${node.label}: axis ${attrAxis} is out of range for input ${fmtShape(t.shape)}`);
    env.set(out, floatValue(ops.reshape(t, [sizeOf(t.shape.slice(0, axis)), sizeOf(t.shape.slice(axis))])));
  };
};

export const reshape: OpHandler = (node) => {
  const { label } = node;
  const shapeIsAttribute = node.opset < 5;
  const a = node.attributes(shapeIsAttribute ? ['shape'] : ['allowzero']);
  const allowZero = a.int('allowzero', 0) !== 0;
  const x = node.requiredInput(0, 'data');
  const shapeName = shapeIsAttribute ? null : node.input(1);
  const attrShape = shapeIsAttribute ? a.ints('shape') : null;
  if (!shapeName && !attrShape) throw new FormatError(`loadOnnx: ${label} is missing its shape input`);
  if (shapeName && node.dtypeOf(shapeName) !== 'i') throw new FormatError(`loadOnnx: ${label}: the shape input must be an integer tensor`);
  node.rejectExtraOutputs();
  node.declareOutput(node.dtypeOf(x));
  const out = node.output;
  return (env) => {
    const spec = attrShape ?? node.readInt(env, shapeName!).data;
    const v = env.get(x)!;
    const inShape = shapeOf(v);
    const shape = spec.map((d, i) => {
      if (d === 0 && !allowZero) {
        if (i >= inShape.length) throw new ShapeError(`${label}: shape ${fmtShape(spec)} copies dim ${i} of ${fmtShape(inShape)}, which has no such dim`);
        return inShape[i];
      }
      return d;
    });
    if (v.kind === 'i') {
      const dims = reshapeDims(shape, v.data.length);
      if (!dims) throw new ShapeError(`${label}: cannot reshape ${fmtShape(inShape)} (${v.data.length} values) to ${fmtShape(spec)}`);
      env.set(out, { kind: 'i', dims, data: v.data });
      return;
    }
    env.set(out, floatValue(ops.reshape(logical(v), shape)));
  };
};

export const transpose: OpHandler = (node) => {
  const { label } = node;
  const permAttr = node.attributes(['perm']).ints('perm');
  const x = node.requiredInput(0, 'data');
  node.rejectExtraOutputs();
  node.declareOutput(node.dtypeOf(x));
  const out = node.output;
  const reversed = (rank: number) => Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const notPermutation = (perm: number[], rank: number) => perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank);
  return (env) => {
    const v = env.get(x)!;
    if (v.kind === 'i') {
      const perm = permAttr ?? reversed(v.dims.length);
      if (notPermutation(perm, v.dims.length)) throw new ShapeError(`${label}: perm ${JSON.stringify(perm)} does not fit ${fmtShape(v.dims)}`);
      node.reserveInts(env, v.dims);
      env.set(out, transposeInts(v, perm));
      return;
    }
    const rank = v.t.rank;
    const perm = permAttr ?? reversed(rank);
    if (notPermutation(perm, rank)) {
      throw new ShapeError(`${label}: perm ${JSON.stringify(perm)} is not a permutation of the ${rank} axes of ${fmtShape(logicalShape(v))}`);
    }
    // Axes of the stored tensor that give the logical result.
    const q = v.nhwc ? perm.map((p) => TO_NHWC.indexOf(p)) : perm;
    if (rank === 4) {
      const asNhwc = TO_NHWC.map((i) => q[i]);
      if (asNhwc.every((p, i) => p === i)) { env.set(out, floatValue(v.t, true)); return; }
    }
    env.set(out, floatValue(permute(v.t, q)));
  };
};

/** Squeeze and Unsqueeze: a reshape that drops or inserts axes of length 1. */
export const squeezeOrUnsqueeze: OpHandler = (node) => {
  const { label } = node;
  const isUnsqueeze = node.opType === 'Unsqueeze';
  const axesAreAttribute = node.opset < 13;
  const a = node.attributes(axesAreAttribute ? ['axes'] : []);
  const x = node.requiredInput(0, 'data');
  node.rejectExtraOutputs();
  const axesAttr = axesAreAttribute ? a.ints('axes') : null;
  const axesName = axesAreAttribute ? null : node.input(1);
  if (axesName && node.dtypeOf(axesName) !== 'i') throw new FormatError(`loadOnnx: ${label}: axes must be an int64 tensor`);
  if (isUnsqueeze && !axesAttr && !axesName) throw new FormatError(`loadOnnx: ${label}: axes are required`);
  node.declareOutput(node.dtypeOf(x));
  const out = node.output;
  return (env) => {
    const v = env.get(x)!;
    const inShape = shapeOf(v);
    const axes = axesAttr ?? (axesName ? node.readInt(env, axesName).data : null);
    let shape: number[];
    if (isUnsqueeze) {
      const rank = inShape.length + axes!.length;
      const norm = new Set(axes!.map((ax) => node.axis(ax, rank)));
      shape = [];
      let k = 0;
      for (let i = 0; i < rank; i++) shape.push(norm.has(i) ? 1 : inShape[k++]);
    } else {
      const norm = axes ? new Set(axes.map((ax) => node.axis(ax, inShape.length))) : null;
      for (const ax of norm ?? []) if (inShape[ax] !== 1) throw new ShapeError(`${label}: cannot squeeze axis ${ax} of length ${inShape[ax]}`);
      shape = inShape.filter((d, i) => (norm ? !norm.has(i) : d !== 1));
    }
    if (v.kind === 'i') env.set(out, { kind: 'i', dims: shape, data: v.data });
    else env.set(out, floatValue(ops.reshape(logical(v), shape)));
  };
};

export const concat: OpHandler = (node) => {
  const { label } = node;
  const a = node.attributes(['axis']);
  if (!a.has('axis')) throw new FormatError(`loadOnnx: ${label}: attribute 'axis' is required`);
  const attrAxis = a.int('axis', 0);
  const names = node.presentInputs();
  if (names.length === 0) throw new FormatError(`loadOnnx: ${label} has no inputs`);
  const kinds = new Set(names.map((n) => node.dtypeOf(n)));
  if (kinds.size > 1) throw new FormatError(`loadOnnx: ${label} mixes integer and float inputs`);
  node.rejectExtraOutputs();
  const isInt = kinds.has('i');
  node.declareOutput(isInt ? 'i' : 'f');
  const out = node.output;
  return (env) => {
    if (isInt) {
      env.set(out, concatInts(node, env, names.map((n) => node.readInt(env, n)), attrAxis));
      return;
    }
    const vs = names.map((n) => node.readFloat(env, n));
    const axis = node.axis(attrAxis, vs[0].t.rank);
    if (vs[0].t.rank === 4 && vs.every((v) => v.nhwc)) {
      env.set(out, floatValue(ops.concat(vs.map((v) => v.t), TO_NHWC.indexOf(axis)), true));
    } else {
      env.set(out, floatValue(ops.concat(vs.map(logical), axis)));
    }
  };
};

function concatInts(node: NodeContext, env: Env, vs: IntValue[], attrAxis: number): IntValue {
  const rank = vs[0].dims.length;
  const axis = node.axis(attrAxis, rank);
  if (vs.some((v) => v.dims.length !== rank || v.dims.some((d, i) => i !== axis && d !== vs[0].dims[i]))) {
    throw new ShapeError(`${node.label}: shapes ${vs.map((v) => fmtShape(v.dims)).join(', ')} differ outside axis ${axis}`);
  }
  node.reserveInts(env, [vs.reduce((n, v) => n + v.data.length, 0)]);
  // Row-major: blocks of (dims[axis..]) per outer index, interleaved.
  const outer = sizeOf(vs[0].dims.slice(0, axis));
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const v of vs) {
      const block = sizeOf(v.dims.slice(axis));
      for (let k = 0; k < block; k++) data.push(v.data[o * block + k]);
    }
  }
  const dims = vs[0].dims.slice();
  dims[axis] = vs.reduce((n, v) => n + v.dims[axis], 0);
  return { kind: 'i', dims, data };
}

export const slice: OpHandler = (node) => {
  const { label } = node;
  const boundsAreAttributes = node.opset < 10;
  const a = node.attributes(boundsAreAttributes ? ['axes', 'ends', 'starts'] : []);
  const x = node.requiredInput(0, 'data');
  node.rejectExtraOutputs();
  const isInt = node.dtypeOf(x) === 'i';
  const names = boundsAreAttributes ? [] : [node.requiredInput(1, 'starts'), node.requiredInput(2, 'ends'), node.input(3), node.input(4)];
  for (const n of names) if (n && node.dtypeOf(n) !== 'i') throw new FormatError(`loadOnnx: ${label}: starts/ends/axes/steps must be integer tensors`);
  const attr = boundsAreAttributes ? { starts: a.ints('starts'), ends: a.ints('ends'), axes: a.ints('axes') } : null;
  if (attr && (!attr.starts || !attr.ends)) throw new FormatError(`loadOnnx: ${label}: starts and ends are required`);
  const stepsConst = names[3] ? node.hostConst(names[3]) : null;
  if (!isInt && names[3] && (!stepsConst || (stepsConst.ints ?? []).some((v) => v !== 1))) {
    throw new FormatError(`loadOnnx: ${label}: steps other than 1 are supported only for integer tensors`);
  }
  node.declareOutput(isInt ? 'i' : 'f');
  const out = node.output;
  return (env) => {
    const v = env.get(x)!;
    const shape = shapeOf(v);
    const rank = shape.length;
    const get = (i: number): number[] | null => (names[i] ? node.readInt(env, names[i]!).data : null);
    const starts = attr ? attr.starts! : get(0)!;
    const ends = attr ? attr.ends! : get(1)!;
    const axes = (attr ? attr.axes : get(2)) ?? starts.map((_, i) => i);
    const steps = get(3) ?? starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length || steps.some((st) => st === 0)) {
      throw new ShapeError(`${label}: starts, ends, axes and steps must have the same length (and steps no zero)`);
    }
    const begin = shape.map(() => 0), count = shape.slice(), step = shape.map(() => 1);
    axes.forEach((ax, i) => {
      const d = node.axis(ax, rank);
      [begin[d], count[d]] = sliceRange(shape[d], starts[i], ends[i], steps[i]);
      step[d] = steps[i];
    });
    if (v.kind === 'i') {
      node.reserveInts(env, count);
      env.set(out, gatherStrided(v, count, begin, step));
      return;
    }
    if (v.nhwc) env.set(out, floatValue(ops.slice(v.t, TO_NHWC.map((d) => begin[d]), TO_NHWC.map((d) => count[d])), true));
    else env.set(out, floatValue(ops.slice(v.t, begin, count)));
  };
};

/** Pad, constant mode. */
export const pad: OpHandler = (node) => {
  const { label } = node;
  const padsAreAttributes = node.opset < 11;
  const a = node.attributes(padsAreAttributes ? ['mode', 'pads', 'value'] : ['mode']);
  const x = node.requiredInput(0, 'data');
  node.requireFloatInputs(0);
  node.rejectExtraOutputs();
  const mode = a.string('mode', 'constant');
  if (mode !== 'constant') throw new FormatError(`loadOnnx: ${label}: mode '${mode}' is not supported (only 'constant')`);
  if (node.input(3)) throw new FormatError(`loadOnnx: ${label}: the axes input is not supported`);
  const padsAttr = padsAreAttributes ? a.ints('pads') : null;
  const valueAttr = padsAreAttributes ? a.float('value', 0) : 0;
  const padsName = padsAreAttributes ? null : node.requiredInput(1, 'pads');
  const valueName = padsAreAttributes ? null : node.input(2);
  if (padsName && node.dtypeOf(padsName) !== 'i') throw new FormatError(`loadOnnx: ${label}: pads must be an int64 tensor`);
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const v = node.readFloat(env, x);
    const pads = padsAttr ?? node.readInt(env, padsName!).data;
    const rank = v.t.rank;
    if (pads.length !== 2 * rank || pads.some((p) => p < 0)) throw new ShapeError(`${label}: pads ${JSON.stringify(pads)} must hold 2 x ${rank} non-negative values for input ${fmtShape(logicalShape(v))}`);
    let value = valueAttr;
    if (valueName) {
      const c = env.get(valueName)!;
      value = c.kind === 'f' ? c.t.dataSync()[0] ?? 0 : c.data[0] ?? 0;
    }
    const logicalPairs = Array.from({ length: rank }, (_, d) => [pads[d], pads[d + rank]] as [number, number]);
    const pairs = v.nhwc ? TO_NHWC.map((d) => logicalPairs[d]) : logicalPairs;
    env.set(out, floatValue(ops.pad(v.t, pairs, value), v.nhwc));
  };
};

export const shape: OpHandler = (node) => {
  const a = node.attributes(['start', 'end']);
  const x = node.requiredInput(0, 'data');
  node.rejectExtraOutputs();
  const start = a.int('start', 0);
  const end = a.has('end') ? a.int('end', 0) : null;
  node.declareOutput('i');
  const out = node.output;
  return (env) => {
    const v = env.get(x);
    const data = (v ? shapeOf(v) : env.deferred.get(x)!.dims).slice(start, end === null ? undefined : end);
    env.set(out, { kind: 'i', dims: [data.length], data });
  };
};

/** Gather on a 1-D integer tensor (picking dims out of a Shape). */
export const gather: OpHandler = (node) => {
  const { label } = node;
  const attrAxis = node.attributes(['axis']).int('axis', 0);
  const d = node.requiredInput(0, 'data'), ix = node.requiredInput(1, 'indices');
  if (node.dtypeOf(d) !== 'i' || node.dtypeOf(ix) !== 'i') throw new FormatError(`loadOnnx: ${label}: only Gather on integer (shape) tensors is supported`);
  node.rejectExtraOutputs();
  node.declareOutput('i');
  const out = node.output;
  return (env) => {
    const dv = node.readInt(env, d), iv = node.readInt(env, ix);
    if (dv.dims.length !== 1 || attrAxis !== 0 && attrAxis !== -1) throw new ShapeError(`${label}: only Gather from a 1-D integer tensor is supported`);
    const n = dv.data.length;
    node.reserveInts(env, iv.dims);
    const data = iv.data.map((i) => {
      const j = i < 0 ? i + n : i;
      if (j < 0 || j >= n) throw new ShapeError(`${label}: index ${i} is out of range for ${n} values`);
      return dv.data[j];
    });
    env.set(out, { kind: 'i', dims: iv.dims.slice(), data });
  };
};
