// Elementwise arithmetic with NumPy broadcasting, and the elementwise unary ops. Numbers are
// accepted wherever a tensor is (x.add(2)); a broadcast input's gradient is summed back to
// its own shape.
import { Tensor, record, type TensorLike } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { ValueError } from '../errors.js';
import { asFloat, describe } from './util.js';
import { binaryRaw, sumToShapeRaw, unaryOp } from './internal.js';
import { BinaryOp, UnaryOp } from '../backend/kernels.generated.js';

type Operand = Tensor | number;
/** Full-shape gradients of (a, b) from the output gradient g; null where not needed. */
type BinaryGrad = (g: Tensor, a: Operand, b: Operand, out: Tensor, need: [boolean, boolean]) => [Tensor | null, Tensor | null];

function operand(v: unknown, op: string, arg: string): Operand {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor) return asFloat(v, op, arg);
  throw new ValueError(`${op}: ${arg} must be a Tensor or a number, got ${describe(v)}`);
}

/** A broadcasting binary op: forward kernel, then its gradient recorded right below. */
function binary(op: string, code: BinaryOp, x: unknown, y: unknown, grad: BinaryGrad): Tensor {
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
function masked(g: Tensor, code: BinaryOp, a: Operand, b: Operand, op: string): Tensor {
  const m = binaryRaw(code, a, b, op);
  const r = binaryRaw(BinaryOp.Mul, g, m, op);
  m.dispose();
  return r;
}

function negInPlace(t: Tensor): Tensor {
  kernels().unary(UnaryOp.Neg, t.ptr, t.ptr, t.size, 0, 0);
  return t;
}

/** a + b (broadcasting). */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binary('add', BinaryOp.Add, a, b, (g) => [g, g]);
}

/** a - b (broadcasting). */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binary('sub', BinaryOp.Sub, a, b, (g, _a, _b, _o, need) => [g, need[1] ? binaryRaw(BinaryOp.Mul, g, -1, 'sub') : null]);
}

/** a * b (broadcasting). */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binary('mul', BinaryOp.Mul, a, b, (g, a, b, _o, need) => [
    need[0] ? binaryRaw(BinaryOp.Mul, g, b, 'mul') : null,
    need[1] ? binaryRaw(BinaryOp.Mul, g, a, 'mul') : null,
  ]);
}

/** a / b (broadcasting). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return binary('div', BinaryOp.Div, a, b, (g, _a, b, out, need) => {
    let gb: Tensor | null = null;
    if (need[1]) {
      // d(a/b)/db = -(a/b)/b = -out/b
      const t = binaryRaw(BinaryOp.Div, out, b, 'div');
      gb = negInPlace(binaryRaw(BinaryOp.Mul, g, t, 'div'));
      t.dispose();
    }
    return [need[0] ? binaryRaw(BinaryOp.Div, g, b, 'div') : null, gb];
  });
}

/** a ** b (broadcasting). d/db uses ln(a) where a > 0 and 0 elsewhere (as TensorFlow). */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return binary('pow', BinaryOp.Pow, a, b, (g, a, b, _o, need) => [
    need[0] ? masked(g, BinaryOp.PowDa, a, b, 'pow') : null,
    need[1] ? masked(g, BinaryOp.PowDb, a, b, 'pow') : null,
  ]);
}

/** Elementwise max (broadcasting); on ties the gradient goes to a (as TensorFlow). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binary('maximum', BinaryOp.Max, a, b, (g, a, b, _o, need) => [
    need[0] ? masked(g, BinaryOp.Ge, a, b, 'maximum') : null,
    need[1] ? masked(g, BinaryOp.Lt, a, b, 'maximum') : null,
  ]);
}

/** Elementwise min (broadcasting); on ties the gradient goes to a (as TensorFlow). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binary('minimum', BinaryOp.Min, a, b, (g, a, b, _o, need) => [
    need[0] ? masked(g, BinaryOp.Le, a, b, 'minimum') : null,
    need[1] ? masked(g, BinaryOp.Gt, a, b, 'minimum') : null,
  ]);
}

/** -x */
export function neg(x: TensorLike): Tensor { return unaryOp('neg', UnaryOp.Neg, x); }
/** e^x */
export function exp(x: TensorLike): Tensor { return unaryOp('exp', UnaryOp.Exp, x); }
/** Natural logarithm. */
export function log(x: TensorLike): Tensor { return unaryOp('log', UnaryOp.Log, x); }
/** Square root. */
export function sqrt(x: TensorLike): Tensor { return unaryOp('sqrt', UnaryOp.Sqrt, x); }
/** |x| (gradient 0 at 0). */
export function abs(x: TensorLike): Tensor { return unaryOp('abs', UnaryOp.Abs, x); }

/** x limited to [min, max]; the gradient passes where min <= x <= max. */
export function clip(x: TensorLike, min: number, max: number): Tensor {
  if (typeof min !== 'number' || typeof max !== 'number' || Number.isNaN(min) || Number.isNaN(max)) {
    throw new ValueError(`clip: min and max must be numbers, got ${describe(min)} and ${describe(max)}`);
  }
  if (min > max) throw new ValueError(`clip: min ${min} is greater than max ${max}`);
  return unaryOp('clip', UnaryOp.Clip, x, min, max);
}
