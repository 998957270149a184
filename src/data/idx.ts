// IDX files (the MNIST / Fashion-MNIST format), plain or gzipped, parsed synchronously with no
// Node built-in: gzip is inflated by fflate. Every malformation is a FormatError that says what
// the header promised and what the bytes hold.
import { fflate } from './fflate.js';
import { crc32 } from '../io/crc32.js';
import { FormatError, LimitError } from '../errors.js';
import { checkLimit } from '../limits.js';
import { concatBytes } from '../io/concat-bytes.js';

export type IdxValues = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxData {
  shape: number[];
  values: IdxValues;
}

interface IdxType {
  name: string;
  bytes: number;
  make: (n: number) => IdxValues;
  /** Reads element i (big-endian) at byte offset `off` of `dv`. */
  read: (dv: DataView, off: number) => number;
}

const TYPES: Record<number, IdxType> = {
  0x08: { name: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (dv, o) => dv.getUint8(o) },
  0x09: { name: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (dv, o) => dv.getInt8(o) },
  0x0b: { name: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (dv, o) => dv.getInt16(o, false) },
  0x0c: { name: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (dv, o) => dv.getInt32(o, false) },
  0x0d: { name: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (dv, o) => dv.getFloat32(o, false) },
  0x0e: { name: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (dv, o) => dv.getFloat64(o, false) },
};

/** IDX type codes by name, for writers and tests. */
export const IDX_TYPE_CODES = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;

const hex2 = (b: number) => '0x' + b.toString(16).padStart(2, '0');

/**
 * Parses an IDX file (optionally gzip-compressed: detected by its 1f 8b magic) into its shape and
 * a typed array chosen by the type byte. Throws FormatError for a wrong magic number, an unknown
 * type, truncated or over-long data, or a corrupt gzip stream.
 */
export function parseIdx(bytes: Uint8Array): IdxData {
  try {
    return parseIdxBare(bytes);
  } catch (e) {
    if (e instanceof LimitError) throw new LimitError(`parseIdx: ${e.message}`, e.limit);
    if (e instanceof FormatError) throw new FormatError(`parseIdx: ${e.message}`);
    throw e;
  }
}

/**
 * @internal parseIdx without the `parseIdx: ` prefix on error messages, so a file loader can
 * put the file name there instead (`train-images-idx3-ubyte.gz: truncated: ...`).
 */
export function parseIdxBare(bytes: Uint8Array): IdxData {
  if (!(bytes instanceof Uint8Array)) {
    throw new FormatError(`expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const gz = inflateGzip(bytes);
    return parseRaw(gz.data, gz.problem, true);
  }
  return parseRaw(bytes, null, false);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

/**
 * `problem` is set when the gzip layer was damaged: then `data` holds what could be inflated, and
 * the IDX header decides whether to call it truncated (data missing) or corrupt.
 */
function parseRaw(data: Uint8Array, problem: GzipProblem | null, gzipped: boolean): IdxData {
  const what = 'file';
  const early = !gzipped ? '' : problem?.kind === 'short' ? ' (after inflating; the gzip stream ends early)'
    : problem?.kind === 'long' ? ` (after inflating; the stream holds more: ${problem.message})`
      : problem ? ` (after inflating; ${problem.message})` : ' (after inflating)';
  if (data.length < 4) {
    if (problem) {
      const kind = problem.kind === 'short' ? 'truncated gzip stream' : 'corrupt gzip data';
      throw new FormatError(`${kind}: ${problem.message}; only ${data.length} bytes could be inflated`);
    }
    throw new FormatError(`not an IDX file: ${what} has ${data.length} bytes${early}, fewer than the 4-byte magic number`);
  }
  const magic = ((data[0] << 24) | (data[1] << 16) | (data[2] << 8) | data[3]) >>> 0;
  if (data[0] !== 0 || data[1] !== 0) {
    if (problem) throw new FormatError(`corrupt gzip data: ${problem.message}`);
    throw new FormatError(`not an IDX file: magic number 0x${magic.toString(16).padStart(8, '0')} does not start with two zero bytes (expected 0x0000TTNN: type TT, NN dimensions)`);
  }
  const type = TYPES[data[2]];
  if (!type) {
    throw new FormatError(`unknown IDX data type ${hex2(data[2])} in magic number 0x${magic.toString(16).padStart(8, '0')} ` +
      '(expected 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32 or 0x0e float64)');
  }
  const ndim = data[3];
  const headerBytes = 4 + 4 * ndim;
  if (data.length < headerBytes) {
    throw new FormatError(`truncated: the header of ${ndim} dimensions needs ${headerBytes} bytes, ${what} has ${data.length}${early}`);
  }
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = dv.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  if (shape.includes(0)) count = 0; // not NaN from Infinity * 0
  if (count * type.bytes > Number.MAX_SAFE_INTEGER) {
    throw new FormatError(`size mismatch: header says ${shape.join('x')} ${type.name} values, more than 2^53 bytes, ${what} has ${data.length - headerBytes} bytes of data`);
  }
  const dataBytes = count * type.bytes;
  checkLimit('maxIdxBytes', headerBytes + dataBytes, `the header declares ${headerBytes + dataBytes} bytes of IDX data`);
  const have = data.length - headerBytes;
  const dims = ndim === 0 ? 'a scalar' : shape.join('x');
  const promised = type.bytes === 1
    ? `${dims} = ${dataBytes} bytes of data`
    : `${dims} ${type.name} values = ${dataBytes} bytes of data`;
  if (have < dataBytes) {
    throw new FormatError(`truncated: header says ${promised}, ${what} has ${have}${early}`);
  }
  if (have > dataBytes) {
    if (problem?.kind === 'long') {
      throw new FormatError(`size mismatch: expected ${headerBytes + dataBytes} bytes (${headerBytes}-byte header + ${promised}), ${what} has more${early}`);
    }
    if (problem) throw new FormatError(`corrupt gzip data: ${problem.message}`);
    throw new FormatError(`size mismatch: expected ${headerBytes + dataBytes} bytes (${headerBytes}-byte header + ${promised}), ` +
      `${what} has ${data.length} (${have - dataBytes} bytes too many)${early}`);
  }
  if (problem) {
    // Every byte the header promised is there, but the gzip layer failed its own checks.
    throw new FormatError(`corrupt gzip data: ${problem.message}`);
  }
  let values: IdxValues;
  if (type.bytes === 1) {
    // Inflated bytes are ours; caller's bytes are copied so later edits of either don't alias.
    const body = data.subarray(headerBytes, headerBytes + dataBytes);
    const src = gzipped ? body : body.slice();
    values = data[2] === 0x08 ? src : new Int8Array(src.buffer, src.byteOffset, src.length);
  } else {
    values = type.make(count);
    for (let i = 0, off = headerBytes; i < count; i++, off += type.bytes) values[i] = type.read(dv, off);
  }
  return { shape, values };
}

// ---- gzip ----------------------------------------------------------------------------------

interface GzipProblem {
  /**
   * 'short': the stream just stops (a cut file); 'corrupt': bad data or failed checks; 'long': it
   * inflates to more than the IDX header announces, and inflating stopped there.
   */
  kind: 'short' | 'corrupt' | 'long';
  message: string;
}

// Deflate cannot expand data by more than ~1032:1, so a trailer claiming more is damaged.
const MAX_DEFLATE_RATIO = 1032;
// Compressed bytes handed to the inflater at a time: small (at most ~1 MB of output) until the
// header has fixed the size, then large (small slices make fflate's streaming slower): inflating
// stops within one slice (at most ~66 MB of output, not kept) of that size however the stream was built.
const MIN_SLICE = 1024;
const MAX_SLICE = 64 * 1024;
// The longest IDX header: 4 bytes of magic and 255 dimensions.
const MAX_HEADER_BYTES = 4 + 4 * 255;

/**
 * The total size of the IDX file whose first bytes are `head`: null while the header is
 * incomplete, `head.length` for a header parseRaw will refuse (so inflating stops at once).
 * LimitError when the header declares more than maxIdxBytes.
 */
function declaredBytes(head: Uint8Array): number | null {
  if (head.length < 4) return null;
  const type = TYPES[head[2]];
  if (head[0] !== 0 || head[1] !== 0 || !type) return head.length;
  const headerBytes = 4 + 4 * head[3];
  if (head.length < headerBytes) return null;
  const dv = new DataView(head.buffer, head.byteOffset, headerBytes);
  let count = 1;
  for (let i = 0; i < head[3]; i++) count *= dv.getUint32(4 + 4 * i, false);
  const total = headerBytes + count * type.bytes;
  checkLimit('maxIdxBytes', total, `the header declares ${total} bytes of IDX data`);
  return total;
}

/**
 * Inflates a gzip member, never past the size its IDX header declares (plus one slice). On
 * success `problem` is null. Otherwise `data` holds what was inflated (so a cut file still shows
 * its IDX header) and `problem` says what failed. The trailer's size field only serves as a check.
 */
function inflateGzip(bytes: Uint8Array): { data: Uint8Array; problem: GzipProblem | null } {
  const n = bytes.length;
  // Output collects in `chunks` until the header fixes the size, then in one buffer of that size.
  let chunks: Uint8Array[] = [];
  let total = 0;
  let cap: number | null = null;
  let out: Uint8Array | null = null;
  const g = new (fflate().Gunzip)((chunk) => {
    if (out && total < out.length) out.set(chunk.subarray(0, out.length - total), total);
    else if (!out) chunks.push(chunk);
    total += chunk.length;
  });
  let streamError: string | null = null;
  let at = 0;
  while (at < n && (cap === null || total <= cap)) {
    const slice = cap === null ? MIN_SLICE : MAX_SLICE;
    try {
      g.push(bytes.subarray(at, Math.min(n, at + slice)), false);
    } catch (e) {
      streamError = (e as Error).message;
      break;
    }
    at += slice;
    if (cap === null) {
      cap = declaredBytes(concatBytes(chunks, Math.min(total, MAX_HEADER_BYTES)));
      if (cap !== null) {
        // One byte more than declared shows a stream that holds more.
        out = new Uint8Array(cap + 1);
        out.set(concatBytes(chunks, Math.min(total, cap + 1)));
        chunks = [];
      }
    }
  }
  const stopped = cap !== null && total > cap;
  const data = out ? out.subarray(0, Math.min(total, out.length)) : concatBytes(chunks, total);
  if (streamError !== null) return { data, problem: { kind: 'corrupt', message: `${streamError} after ${total} inflated bytes` } };
  if (stopped) return { data, problem: { kind: 'long', message: `inflating stopped after ${total} bytes` } };
  if (n < 18) return { data, problem: { kind: 'short', message: `only ${n} bytes, shorter than a gzip header and trailer` } };
  // The whole input is in: a complete stream ends cleanly, a cut one fails its end-of-stream check.
  try {
    g.push(new Uint8Array(0), true);
  } catch (e) {
    const msg = (e as Error).message;
    return { data, problem: { kind: /unexpected EOF/i.test(msg) ? 'short' : 'corrupt', message: msg } };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, n);
  const storedCrc = dv.getUint32(n - 8, true);
  const storedSize = dv.getUint32(n - 4, true);
  if (storedSize > n * MAX_DEFLATE_RATIO + 1024) {
    return { data, problem: { kind: 'corrupt', message: `the trailer claims ${storedSize} inflated bytes, impossible from ${n} compressed bytes` } };
  }
  if (storedSize !== data.length % 2 ** 32) {
    return { data, problem: { kind: 'corrupt', message: `the trailer says ${storedSize} bytes inflated, the stream gives ${data.length}` } };
  }
  const crc = crc32(data);
  if (crc !== storedCrc) {
    return { data, problem: { kind: 'corrupt', message: `CRC-32 mismatch (trailer 0x${storedCrc.toString(16).padStart(8, '0')}, data 0x${crc.toString(16).padStart(8, '0')})` } };
  }
  return { data, problem: null };
}

/** Encodes an IDX file (big-endian, uncompressed): the inverse of parseIdx, for writers and tests. */
export function encodeIdx(shape: readonly number[], values: IdxValues): Uint8Array {
  const code = values instanceof Uint8Array ? 0x08 : values instanceof Int8Array ? 0x09
    : values instanceof Int16Array ? 0x0b : values instanceof Int32Array ? 0x0c
    : values instanceof Float32Array ? 0x0d : 0x0e;
  const type = TYPES[code];
  const header = 4 + 4 * shape.length;
  const out = new Uint8Array(header + values.length * type.bytes);
  const dv = new DataView(out.buffer);
  dv.setUint8(2, code);
  dv.setUint8(3, shape.length);
  shape.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  let off = header;
  for (let i = 0; i < values.length; i++, off += type.bytes) {
    switch (code) {
      case 0x08: dv.setUint8(off, values[i]); break;
      case 0x09: dv.setInt8(off, values[i]); break;
      case 0x0b: dv.setInt16(off, values[i], false); break;
      case 0x0c: dv.setInt32(off, values[i], false); break;
      case 0x0d: dv.setFloat32(off, values[i], false); break;
      default: dv.setFloat64(off, values[i], false);
    }
  }
  return out;
}
