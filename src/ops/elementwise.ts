// Elementwise arithmetic with NumPy broadcasting, and the elementwise unary ops. Numbers are
// accepted wherever a tensor is (x.add(2)); a broadcast input's gradient is summed back to
// its own shape.
import { Tensor, record, type TensorLike } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ValueError } from '../errors.js';
import { asFloat, describe } from './util.js';
import { BIN, UN, binaryRaw, sumToShapeRaw, unaryOp } from './internal.js';

type Operand = Tensor | number;
/** Full-shape gradients of (a, b) from the output gradient g; null where not needed. */
type BinaryGrad = (g: Tensor, a: Operand, b: Operand, out: Tensor, need: [boolean, boolean]) => [Tensor | null, Tensor | null];

function operand(v: unknown, op: string, arg: string): Operand {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor) return asFloat(v, op, arg);
  throw new ValueError(`${op}: ${arg} must be a Tensor or a number, got ${describe(v)}`);
}

/** A broadcasting binary op: forward kernel, then its gradient recorded right below. */
function binary(op: string, code: number, x: unknown, y: unknown, grad: BinaryGrad): Tensor {
  const a = operand(x, op, 'a');
  const b = operand(y, op, 'b');
  const out = binaryRaw(code, a, b, op);
  const inputs: Tensor[] = [];
  if (a instanceof Tensor) inputs.push(a);
  if (b instanceof Tensor) inputs.push(b);
  return record(op, out, inputs, (g) => {
    const need: [boolean, boolean] = [a instanceof Tensor && a.requiresGrad, b instanceof Tensor && b.requiresGrad];
    const [ga, gb] = grad(g, a, b, out, need);
    const reduce = (t: Tensor | null, x: Operand, other: Tensor | null): Tensor | null => {
      if (!t || !(x instanceof Tensor)) return null;
      const r = sumToShapeRaw(t, x.shape);
      if (r !== t && t !== g && t !== other) t.dispose();
      return r;
    };
    const grads: (Tensor | null)[] = [];
    if (a instanceof Tensor) grads.push(need[0] ? reduce(ga, a, gb) : null);
    if (b instanceof Tensor) grads.push(need[1] ? reduce(gb, b, null) : null);
    return grads;
  });
}

/** g * mask(a, b): the gradient through a comparison-selected branch. */
function masked(g: Tensor, code: number, a: Operand, b: Operand, op: string): Tensor {
  const m = binaryRaw(code, a, b, op);
  const r = binaryRaw(BIN.mul, g, m, op);
  m.dispose();
  return r;
}

function negInPlace(t: Tensor): Tensor {
  kernels().unary(UN.neg, t.ptr, t.ptr, t.size, 0, 0);
  return t;
}

/** a + b (broadcasting). */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', BIN.add, a, b, (g) => [g, g]);
}

/** a - b (broadcasting). */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary('sub', BIN.sub, a, b, (g, _a, _b, _o, need) => [g, need[1] ? binaryRaw(BIN.mul, g, -1, 'sub') : null]);
}

/** a * b (broadcasting). */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', BIN.mul, a, b, (g, a, b, _o, need) => [
    need[0] ? binaryRaw(BIN.mul, g, b, 'mul') : null,
    need[1] ? binaryRaw(BIN.mul, g, a, 'mul') : null,
  ]);
}

/** a / b (broadcasting). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', BIN.div, a, b, (g, _a, b, out, need) => {
    let gb: Tensor | null = null;
    if (need[1]) {
      // d(a/b)/db = -(a/b)/b = -out/b
      const t = binaryRaw(BIN.div, out, b, 'div');
      gb = negInPlace(binaryRaw(BIN.mul, g, t, 'div'));
      t.dispose();
    }
    return [need[0] ? binaryRaw(BIN.div, g, b, 'div') : null, gb];
  });
}

/** a ** b (broadcasting). d/db uses ln(a) where a > 0 and 0 elsewhere (as TensorFlow). */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binary('pow', BIN.pow, a, b, (g, a, b, _o, need) => [
    need[0] ? masked(g, BIN.powDa, a, b, 'pow') : null,
    need[1] ? masked(g, BIN.powDb, a, b, 'pow') : null,
  ]);
}

/** Elementwise max (broadcasting); on ties the gradient goes to a (as TensorFlow). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary('maximum', BIN.maximum, a, b, (g, a, b, _o, need) => [
    need[0] ? masked(g, BIN.ge, a, b, 'maximum') : null,
    need[1] ? masked(g, BIN.lt, a, b, 'maximum') : null,
  ]);
}

/** Elementwise min (broadcasting); on ties the gradient goes to a (as TensorFlow). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary('minimum', BIN.minimum, a, b, (g, a, b, _o, need) => [
    need[0] ? masked(g, BIN.le, a, b, 'minimum') : null,
    need[1] ? masked(g, BIN.gt, a, b, 'minimum') : null,
  ]);
}

/** -x */
export function neg(x: TensorLike): Tensor { return unaryOp('neg', UN.neg, x); }
/** e^x */
export function exp(x: TensorLike): Tensor { return unaryOp('exp', UN.exp, x); }
/** Natural logarithm. */
export function log(x: TensorLike): Tensor { return unaryOp('log', UN.log, x); }
/** Square root. */
export function sqrt(x: TensorLike): Tensor { return unaryOp('sqrt', UN.sqrt, x); }
/** |x| (gradient 0 at 0). */
export function abs(x: TensorLike): Tensor { return unaryOp('abs', UN.abs, x); }

/** x limited to [min, max]; the gradient passes where min <= x <= max. */
export function clip(x: TensorLike, min: number, max: number): Tensor {
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max)) {
    throw new ValueError(`clip: min and max must be numbers, got ${describe(min)} and ${describe(max)}`);
  }
  if (min > max) throw new ValueError(`clip: min ${min} is greater than max ${max}`);
  return unaryOp('clip', UN.clip, x, min, max);
}
