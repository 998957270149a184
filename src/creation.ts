// Creating tensors: from JS values, constants, and seeded random draws.
import { Tensor, fillTensor, sizeOf, checkShape, type DType, type NestedArray } from './tensor.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from './errors.js';
import { fillNormal, fillUniform } from './random.js';

function inferShape(v: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = v;
  while (Array.isArray(cur)) { shape.push(cur.length); cur = cur[0] as NestedArray; }
  return shape;
}

function flatten(v: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof v !== 'number') {
      if (Array.isArray(v)) throw new ShapeError(`tensor: ragged nested array (expected a number at depth ${dim}, got an array of length ${v.length})`);
      throw new ValueError(`tensor: values must be numbers, got ${v === null ? 'null' : `${typeof v} ${fmtValue(v)}`} at depth ${dim}`);
    }
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) {
    throw new ShapeError(`tensor: ragged nested array: expected length ${shape[dim]} at depth ${dim}, got ${Array.isArray(v) ? v.length : typeof v}`);
  }
  for (const x of v) flatten(x, shape, dim + 1, out);
}

/** A tensor from nested arrays, a flat array or typed array (with `shape`), or a number. */
export function tensor(values: NestedArray | Float32Array | Int32Array | Uint8Array | ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') { flat = [values]; inferred = []; }
  else if (ArrayBuffer.isView(values)) {
    if (values instanceof BigInt64Array || values instanceof BigUint64Array || values instanceof DataView) {
      throw new ValueError(`tensor: values must be numbers; a ${values.constructor.name} cannot be used (convert to Float32Array or Int32Array)`);
    }
    flat = values as ArrayLike<number>; inferred = [flat.length];
  }
  else if (Array.isArray(values)) {
    inferred = inferShape(values);
    const out: number[] = [];
    flatten(values, inferred, 0, out);
    flat = out;
  } else if (values && typeof values === 'object' && typeof (values as ArrayLike<number>).length === 'number') {
    flat = values as ArrayLike<number>; inferred = [flat.length];
  } else {
    throw new ValueError(`tensor: values must be a number, an array or a typed array, got ${values === null ? 'null' : typeof values === 'string' ? `string ${fmtValue(values)}` : typeof values}`);
  }
  const dt: DType = dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  if (dt !== 'float32' && dt !== 'int32') throw new ValueError(`tensor: dtype must be 'float32' or 'int32', got ${fmtValue(dtype)}`);
  if (shape !== undefined && shape !== null) checkShape(shape, 'tensor');
  const shp = shape !== undefined && shape !== null ? shape.slice() : inferred;
  checkShape(shp, 'tensor');
  if (sizeOf(shp) !== flat.length) {
    throw new ShapeError(`tensor: shape ${fmtShape(shp)} needs ${sizeOf(shp)} values, got ${flat.length}`);
  }
  if (dt === 'int32' && !holdsOnlyInt32(values)) checkInt32Values(flat, 'tensor');
  const t = Tensor.empty(shp, dt);
  t.view().set(flat as ArrayLike<number>);
  return t;
}

/** Typed arrays whose every value is an int32 (no check needed). */
function holdsOnlyInt32(values: unknown): boolean {
  return values instanceof Int32Array || values instanceof Int16Array || values instanceof Uint16Array
    || values instanceof Int8Array || values instanceof Uint8Array || values instanceof Uint8ClampedArray;
}

/** int32 storage would turn NaN into 0, truncate fractions and wrap large values: refuse them instead. */
function checkInt32Values(values: ArrayLike<number>, op: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(Number.isInteger(v) && v >= -2147483648 && v <= 2147483647)) {
      throw new ValueError(`${op}: int32 values must be integers in [-2147483648, 2147483647], got ${fmtValue(v)}${values.length > 1 ? ` at index ${i}` : ''}`);
    }
  }
}

function checkDType(dtype: unknown, op: string): DType {
  if (dtype !== 'float32' && dtype !== 'int32') throw new ValueError(`${op}: dtype must be 'float32' or 'int32', got ${fmtValue(dtype)}`);
  return dtype;
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'zeros');
  return fillTensor(shape, 0, checkDType(dtype, 'zeros'));
}
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'ones');
  return fillTensor(shape, 1, checkDType(dtype, 'ones'));
}
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  checkShape(shape, 'full');
  if (typeof value !== 'number') throw new ValueError(`full: value must be a number, got ${typeof value}`);
  const dt = checkDType(dtype, 'full');
  if (dt === 'int32') checkInt32Values([value], 'full');
  return fillTensor(shape, value, dt);
}

export function randn(shape: readonly number[], { mean = 0, std = 1 }: { mean?: number; std?: number } = {}): Tensor {
  checkShape(shape, 'randn');
  if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) throw new ValueError(`randn: mean and std must be finite, std >= 0 (got mean ${mean}, std ${std})`);
  const t = Tensor.empty(shape);
  fillNormal(t.ptr, t.size, mean, std);
  return t;
}

export function randu(shape: readonly number[], { low = 0, high = 1 }: { low?: number; high?: number } = {}): Tensor {
  checkShape(shape, 'randu');
  if (!Number.isFinite(low) || !Number.isFinite(high) || high < low) throw new ValueError(`randu: need finite low <= high (got low ${low}, high ${high})`);
  const t = Tensor.empty(shape);
  fillUniform(t.ptr, t.size, low, high);
  return t;
}
