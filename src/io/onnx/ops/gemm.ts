// Gemm (alpha * A' B' + beta * C) and MatMul (numpy rules for the ranks CNN heads use), in the
// graph's own layout. A constant B stays as the file stores it (the GEMM kernel reads a
// transposed B in place), so loading it is one byte copy.
import { ops, FormatError, ShapeError, type Tensor } from '../../../index.js';
import { sizeOf, fmtShape } from '../../../fmt.js';
import type { OpHandler } from '../graph-context.js';
import { floatValue, logical } from '../values.js';

export const gemm: OpHandler = (node) => {
  const { label } = node;
  const a = node.attributes(['alpha', 'beta', 'transA', 'transB', 'broadcast']);
  const ain = node.requiredInput(0, 'A'), bin = node.requiredInput(1, 'B'), cin = node.input(2);
  node.requireFloatInputs(0, 1, 2);
  node.rejectExtraOutputs();
  const alpha = a.float('alpha', 1), beta = a.float('beta', 1);
  const transA = a.int('transA', 0) !== 0;
  const transB = a.int('transB', 0) !== 0;
  const bc = node.hostFloat(bin);
  if (bc && bc.dims.length !== 2) throw new FormatError(`loadOnnx: ${label}: B must be 2-D, got ${fmtShape(bc.dims)}`);
  const bConst = bc ? node.sharedConst(bin) : null;
  const cc = cin ? node.hostFloat(cin) : null;
  let cConst: Tensor | null = null;
  if (cc) cConst = beta === 1 ? node.sharedConst(cin!) : node.preparedConst(cin!, (t) => ops.mul(t, beta));
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const at = logical(node.readFloat(env, ain));
    const bt = bConst ?? node.readFloat(env, bin).t;
    if (at.rank !== 2 || bt.rank !== 2) throw new ShapeError(`${label}: A and B must be 2-D, got ${fmtShape(at.shape)} and ${fmtShape(bt.shape)}`);
    let y = ops.matmul(at, bt, { transposeA: transA, transposeB: transB });
    if (alpha !== 1) y = ops.mul(y, alpha);
    if (cin) {
      let c = cConst;
      if (!c) { c = logical(node.readFloat(env, cin)); if (beta !== 1) c = ops.mul(c, beta); }
      if (beta !== 0) y = ops.add(y, c);
    }
    env.set(out, floatValue(y));
  };
};

export const matMul: OpHandler = (node) => {
  node.attributes([]);
  const ain = node.requiredInput(0, 'A'), bin = node.requiredInput(1, 'B');
  node.requireFloatInputs(0, 1);
  node.rejectExtraOutputs();
  const bConst = node.hostFloat(bin) ? node.sharedConst(bin) : null;
  node.declareOutput();
  const out = node.output;
  return (env) => {
    const at = logical(node.readFloat(env, ain));
    const bt = bConst ?? logical(node.readFloat(env, bin));
    env.set(out, floatValue(matmulNd(at, bt, node.label)));
  };
};

/** numpy.matmul for the cases CNN heads use: any A with a 2-D B, and batched 3-D (or more, same leading dims). */
function matmulNd(a: Tensor, b: Tensor, label: string): Tensor {
  const shapes = `(A ${fmtShape(a.shape)}, B ${fmtShape(b.shape)})`;
  if (a.rank === 0 || b.rank === 0) throw new ShapeError(`${label}: MatMul needs inputs of rank >= 1 ${shapes}`);
  const a2 = a.rank === 1 ? ops.reshape(a, [1, a.shape[0]]) : a;
  const b2 = b.rank === 1 ? ops.reshape(b, [b.shape[0], 1]) : b;
  let y: Tensor;
  let outShape: number[];
  if (b2.rank === 2) {
    const K = a2.shape[a2.rank - 1];
    const lead = a2.shape.slice(0, -1);
    y = ops.matmul(ops.reshape(a2, [sizeOf(lead), K]), b2);
    outShape = [...lead, b2.shape[1]];
  } else {
    const leadA = a2.shape.slice(0, -2), leadB = b2.shape.slice(0, -2);
    const M = a2.shape[a2.rank - 2], K = a2.shape[a2.rank - 1], N = b2.shape[b2.rank - 1];
    const nA = sizeOf(leadA), nB = sizeOf(leadB);
    const same = leadA.length === leadB.length && leadA.every((d, i) => d === leadB[i]);
    if (!same && nA !== 1 && nB !== 1) throw new ShapeError(`${label}: MatMul batch dims must match or be 1 ${shapes}`);
    const lead = nA >= nB ? (leadA.length >= leadB.length ? leadA : leadB) : leadB;
    y = ops.matmul(ops.reshape(a2, [nA, M, K]), ops.reshape(b2, [nB, b2.shape[b2.rank - 2], N]));
    outShape = [...lead, M, N];
  }
  if (a.rank === 1) outShape.splice(outShape.length - 2, 1);
  if (b.rank === 1) outShape.splice(outShape.length - 1, 1);
  return ops.reshape(y, outShape);
}
