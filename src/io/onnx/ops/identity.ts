// Ops that hand their input on: Identity, Dropout (inference), and Cast (integers become float
// tensors; other casts keep the value).
import { tensor as makeTensor, FormatError } from '../../../index.js';
import type { OpHandler } from '../graph-context.js';
import { DT } from '../proto.js';
import { floatValue } from '../values.js';

export const identity: OpHandler = (node) => {
  node.attributes([]);
  const x = node.requiredInput(0, 'input');
  node.rejectExtraOutputs();
  node.declareOutput(node.dtypeOf(x));
  const out = node.output;
  return (env) => { env.set(out, env.get(x)!); };
};

export const dropout: OpHandler = (node) => {
  node.attributes(['ratio', 'seed', 'is_test']);
  const x = node.floatInOut('data');
  const training = node.input(2);
  if (training) {
    const c = node.hostConst(training);
    if (!c || (c.ints ?? []).some((v) => v !== 0)) throw new FormatError(`loadOnnx: ${node.label}: training_mode must be a constant false (inference only)`);
  }
  const out = node.output;
  return (env) => { env.set(out, env.get(x)!); };
};

/** Data types Cast may produce from integer tensors: INT64, INT32, INT16, INT8, UINT8, UINT16, UINT32, UINT64. */
const INTEGER_TYPES: number[] = [DT.INT64, DT.INT32, 5, DT.INT8, DT.UINT8, 4, 12, 13];

export const cast: OpHandler = (node) => {
  const { label } = node;
  const to = node.attributes(['to', 'saturate']).int('to', 0);
  const x = node.requiredInput(0, 'input');
  node.rejectExtraOutputs();
  const toFloat = to === DT.FLOAT || to === DT.DOUBLE || to === DT.FLOAT16;
  const toInt = INTEGER_TYPES.includes(to);
  if (!toFloat && !toInt) throw new FormatError(`loadOnnx: ${label}: cast to data type ${to} is not supported`);
  if (toInt && node.dtypeOf(x) === 'f') throw new FormatError(`loadOnnx: ${label}: casting float tensors to integers is not supported`);
  node.declareOutput(toFloat ? 'f' : 'i');
  const out = node.output;
  return (env) => {
    const v = env.get(x)!;
    if (v.kind === 'i' && toFloat) env.set(out, floatValue(makeTensor(new Float32Array(v.data), v.dims)));
    else env.set(out, v);
  };
};
