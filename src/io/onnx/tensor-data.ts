// ONNX TensorProto -> host values: initializers and Constant values at load time. float32
// raw_data stays where the decoder found it (a view of the file's bytes, never copied on the host)
// until it is copied once, as bytes, into wasm memory; double and float16 become Float32Array;
// integer and bool types become numbers.
import { FormatError, Tensor } from '../../index.js';
import { fmtShape } from '../../fmt.js';
import { int64, DT, type TensorMsg, type Int64 } from './proto.js';
import { MAX_ELEMENTS, MAX_INT_ELEMENTS } from './limits.js';

/**
 * A decoded initializer / Constant before it becomes a Tensor: integers (`ints`), or floats, either
 * as little-endian float32 bytes (`raw`, with `float` reading them on demand) or as `float`.
 */
export interface HostConst { dims: number[]; float?: Float32Array; ints?: number[]; raw?: Uint8Array }

/** Whether a constant holds floats (testing `float` itself would read raw bytes). */
export const isFloatConst = (c: HostConst): boolean => c.ints === undefined;

/** float32 values of little-endian bytes: a view when aligned, else one byte copy (no per-element loop). */
function floatsOf(raw: Uint8Array): Float32Array {
  const bytes = bytesAligned(raw, 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/** `raw` itself when its offset is a multiple of `align`, else an aligned copy. */
function bytesAligned(raw: Uint8Array, align: number): Uint8Array {
  // Uint8Array's slice copies; a Node Buffer's own slice would return a view.
  return raw.byteOffset % align === 0 ? raw : Uint8Array.prototype.slice.call(raw);
}

/** A float32 constant kept as its raw bytes; `float` is computed on each read (compile-time use only). */
function rawFloatConst(dims: number[], raw: Uint8Array): HostConst {
  return { dims, raw, get float() { return floatsOf(raw); } };
}

/** A new tensor in wasm memory holding float constant `c`: one byte copy from the file's raw data. */
export function hostTensor(c: HostConst): Tensor {
  const t = Tensor.empty(c.dims);
  const view = t.view();
  if (c.raw) new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(c.raw);
  else view.set(c.float!);
  return t;
}


function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** int64 to number, keeping huge sentinels (e.g. INT64_MAX in Slice ends) approximately. */
function lossyInt(v: Int64): number {
  if (typeof v === 'number') return v;
  const exact = int64(v);
  if (exact !== null) return exact;
  return (v.unsigned ? v.high >>> 0 : v.high | 0) * 4294967296 + (v.low >>> 0);
}

/** Decodes a TensorProto held in the file (external data is refused); `what` names it in errors. */
export function decodeTensor(t: TensorMsg, what: string): HostConst {
  if (t.dataLocation === 1 || (t.externalData && t.externalData.length)) {
    throw new FormatError(`loadOnnx: ${what} stores its data in an external file, which is not supported (embed the weights in the .onnx file)`);
  }
  const dims = (t.dims ?? []).map((d) => {
    const n = int64(d);
    if (n === null || n < 0) throw new FormatError(`loadOnnx: ${what} has an invalid dimension ${JSON.stringify(d)}`);
    return n;
  });
  const type = t.dataType ?? 0;
  const isFloat = type === DT.FLOAT || type === DT.DOUBLE || type === DT.FLOAT16;
  const limit = isFloat ? MAX_ELEMENTS : MAX_INT_ELEMENTS;
  let size = 1;
  for (const d of dims) {
    size *= d;
    if (size > limit) throw new FormatError(`loadOnnx: ${what} has too many elements (dims ${fmtShape(dims)}; the limit for ${isFloat ? 'float' : 'integer'} tensors is ${limit})`);
  }
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  const dv = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : null;
  const need = (bytesPer: number, alt: unknown[] | undefined, altName: string): number => {
    if (raw) {
      if (raw.length !== size * bytesPer) {
        throw new FormatError(`loadOnnx: ${what} has ${raw.length} bytes of data but dims ${fmtShape(dims)} need ${size * bytesPer}`);
      }
      return 0;
    }
    const n = alt?.length ?? 0;
    if (n !== size) throw new FormatError(`loadOnnx: ${what} has ${n} values in ${altName} but dims ${fmtShape(dims)} need ${size}`);
    return 1;
  };
  switch (type) {
    case DT.FLOAT: {
      if (need(4, t.floatData, 'float_data') === 0) return rawFloatConst(dims, raw!);
      return { dims, float: Float32Array.from(t.floatData!) };
    }
    case DT.DOUBLE: {
      const out = new Float32Array(size);
      if (need(8, t.doubleData, 'double_data') === 0) {
        const bytes = bytesAligned(raw!, 8);
        out.set(new Float64Array(bytes.buffer, bytes.byteOffset, size));
      }
      else out.set(t.doubleData!);
      return { dims, float: out };
    }
    case DT.FLOAT16: {
      const out = new Float32Array(size);
      if (need(2, t.int32Data, 'int32_data') === 0) for (let i = 0; i < size; i++) out[i] = f16(dv!.getUint16(i * 2, true));
      else for (let i = 0; i < size; i++) out[i] = f16(t.int32Data![i] & 0xffff);
      return { dims, float: out };
    }
    case DT.INT64: {
      const ints = new Array<number>(size);
      if (need(8, t.int64Data, 'int64_data') === 0) {
        for (let i = 0; i < size; i++) ints[i] = Number(dv!.getBigInt64(i * 8, true));
      } else {
        for (let i = 0; i < size; i++) ints[i] = lossyInt(t.int64Data![i]);
      }
      return { dims, ints };
    }
    case DT.INT32: case DT.INT8: case DT.UINT8: case DT.BOOL: case 4 /* UINT16 */: case 5 /* INT16 */: {
      const bytesPer = type === DT.INT32 ? 4 : type === 4 || type === 5 ? 2 : 1;
      const ints = new Array<number>(size);
      if (need(bytesPer, t.int32Data, 'int32_data') === 0) {
        for (let i = 0; i < size; i++) {
          const o = i * bytesPer;
          ints[i] = type === DT.INT32 ? dv!.getInt32(o, true) : type === 5 ? dv!.getInt16(o, true) : type === 4 ? dv!.getUint16(o, true)
            : type === DT.INT8 ? dv!.getInt8(o) : dv!.getUint8(o);
        }
      } else {
        for (let i = 0; i < size; i++) ints[i] = t.int32Data![i];
      }
      return { dims, ints };
    }
    default:
      throw new FormatError(`loadOnnx: ${what} has data type ${type}, which is not supported (float, double, float16 and integer tensors are)`);
  }
}
