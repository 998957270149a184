// Constant (folded at load time: no step) and ConstantOfShape (a filled tensor of a computed shape).
import { full, FormatError, ShapeError } from '../../../index.js';
import { sizeOf } from '../../../fmt.js';
import { addConst, type OpHandler } from '../graph-context.js';
import { decodeTensor, type HostConst } from '../tensor-data.js';
import { checkedSize, MAX_ELEMENTS } from '../limits.js';
import { floatValue } from '../values.js';

export const constant: OpHandler = (node) => {
  const a = node.attributes(['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
  node.rejectExtraOutputs();
  let c: HostConst;
  const t = a.tensor('value');
  if (t) c = decodeTensor(t, `${node.label} value`);
  else if (a.has('value_float')) c = { dims: [], float: new Float32Array([a.float('value_float', 0)]) };
  else if (a.has('value_floats')) { const v = a.floats('value_floats')!; c = { dims: [v.length], float: new Float32Array(v) }; }
  else if (a.has('value_int')) c = { dims: [], ints: [a.int('value_int', 0)] };
  else if (a.has('value_ints')) { const v = a.ints('value_ints')!; c = { dims: [v.length], ints: v }; }
  else throw new FormatError(`loadOnnx: ${node.label} has no value`);
  addConst(node.graph, node.output, c);
  return null;
};

export const constantOfShape: OpHandler = (node) => {
  const { label } = node;
  const t = node.attributes(['value']).tensor('value');
  const shapeIn = node.requiredInput(0, 'input');
  if (node.dtypeOf(shapeIn) !== 'i') throw new FormatError(`loadOnnx: ${label}: the shape input must be an int64 tensor`);
  node.rejectExtraOutputs();
  const c = t ? decodeTensor(t, `${label} value`) : { dims: [1], float: new Float32Array(1) };
  if (sizeOf(c.dims) !== 1) throw new FormatError(`loadOnnx: ${label}: value must hold one element`);
  const isFloat = !!c.float;
  const value = c.float ? c.float[0] : c.ints![0];
  node.declareOutput(isFloat ? 'f' : 'i');
  const out = node.output;
  return (env) => {
    const dims = node.readInt(env, shapeIn).data;
    if (!isFloat) {
      node.reserveInts(env, dims);
      env.set(out, { kind: 'i', dims: dims.slice(), data: new Array<number>(sizeOf(dims)).fill(value) });
      return;
    }
    const size = checkedSize(dims, MAX_ELEMENTS);
    if (typeof size === 'string') throw new ShapeError(`${label}: cannot make a float tensor: ${size}`);
    env.set(out, floatValue(full(dims, value)));
  };
};
