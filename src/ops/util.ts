// Argument checks and conversions shared by every op.
import { Tensor, fillTensor } from '../tensor.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../errors.js';

/** Checks that `x` is a live Tensor (or turns a number into a scalar tensor). */
export function asTensor(x: unknown, op: string, arg = 'x'): Tensor {
  if (x instanceof Tensor) {
    return x._checkLive(op, arg); // DisposedError naming the op, the argument and the tensor
  }
  if (typeof x === 'number') return fillTensor([], x);
  throw new ValueError(`${op}: ${arg} must be a Tensor or a number, got ${describe(x)}`);
}

/** Checks a float32 tensor (ops that compute gradients). */
export function asFloat(x: unknown, op: string, arg = 'x'): Tensor {
  const t = asTensor(x, op, arg);
  if (t.dtype !== 'float32') throw new ValueError(`${op}: ${arg} must be float32, got ${t.dtype} ${fmtShape(t.shape)}`);
  return t;
}

export function checkRank(t: Tensor, rank: number, op: string, arg = 'x', what = ''): void {
  if (t.rank !== rank) {
    throw new ShapeError(`${op}: ${arg} must be rank ${rank}${what ? ` (${what})` : ''}, got shape ${fmtShape(t.shape)}`);
  }
}

/** Normalises a negative axis; throws ValueError when out of range. */
export function normAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis)) throw new ValueError(`${op}: axis must be an integer, got ${fmtValue(axis)}`);
  if (axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ValueError(`${op}: axis ${axis} is out of range for rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** A number or [h, w] pair of positive integers. */
export function pair(v: number | readonly number[] | undefined, dflt: number, op: string, name: string, min = 1): [number, number] {
  if (v === undefined) return [dflt, dflt];
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new ValueError(`${op}: ${name} must be an integer >= ${min} or a pair of them, got ${fmtValue(v)}`);
  }
  return [p[0], p[1]];
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') {
    // Our own classes by their API names: the minified bundles rename the classes themselves.
    if (x instanceof Tensor) return 'Tensor';
    const layerClass = (x as { className?: unknown }).className;
    if (typeof layerClass === 'string') return layerClass;
    return (x as object).constructor?.name ?? 'an object';
  }
  return `${typeof x} ${String(x)}`;
}
