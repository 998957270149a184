// A small protobuf encoder driven by field tables (src/io/onnx/schema.ts, generated from
// scripts/onnx.proto by scripts/gen-onnx-pb.mjs). It lets `toOnnx()` serialise without the
// protobufjs runtime, which only the (lazily loaded) ONNX importer needs for decoding.
//
// Wire output is the same as protobufjs's static encoder for the same message object (the tests
// compare the two byte for byte): fields in field-number order; an optional field is written when
// it is an own property that is not null/undefined (defaults included); a repeated field when it
// is non-empty, `[packed = true]` ones as one length-delimited run; int32/enum values below 0 and
// int32/enum values wrap modulo 2^32 and int64 ones truncate toward zero as in protobufjs, negatives
// as 10-byte two's-complement varints.
// Two passes: sizes first (memoised per message object), then one exactly sized Uint8Array.

/** Scalar types the writer handles (those scripts/onnx.proto uses; the generator rejects others). */
export type ScalarType = 'int32' | 'int64' | 'uint64' | 'float' | 'double' | 'string' | 'bytes';
/** 0 optional, 1 repeated, 2 repeated [packed = true]. */
export type FieldRule = 0 | 1 | 2;
/** [JS property name, field number, scalar type or index of the message type in its table, rule]. */
export type FieldSpec = readonly [name: string, id: number, type: ScalarType | number, rule: FieldRule];
export type MessageTable = readonly (readonly FieldSpec[])[];

type Msg = Record<string, unknown>;

/** protobufjs's nesting limit (util.recursionLimit): deeper messages throw, as its encoder does. */
const MAX_DEPTH = 100;
const hasOwn = Object.prototype.hasOwnProperty;

/** Encodes `message` as an instance of `table[type]`. */
export function encodeMessage(table: MessageTable, type: number, message: object): Uint8Array {
  const sizes = new Map<object, number>();
  const size = messageSize(table, type, message as Msg, sizes, 0);
  const w: Out = { buf: new Uint8Array(size), view: null, pos: 0 };
  writeMessage(table, type, message as Msg, sizes, w);
  if (w.pos !== size) throw new Error(`pb-writer: wrote ${w.pos} bytes, sized ${size}`);
  return w.buf;
}

// ---- 64-bit values as two uint32 halves ---------------------------------------------------------

let lo = 0;
let hi = 0;
const TWO32 = 4294967296;

/** Sets lo/hi to the two's-complement bits of an int64/uint64 value: a number or a Long-like { low, high }. */
function bits64(v: unknown): void {
  if (typeof v === 'number') {
    bitsOfNumber(v);
  } else if (v !== null && typeof v === 'object' && 'low' in v && 'high' in v) {
    lo = (v as { low: number }).low >>> 0;
    hi = (v as { high: number }).high >>> 0;
  } else {
    throw new TypeError(`pb-writer: an int64 must be a number or a Long-like { low, high }, got ${v === null ? 'null' : typeof v}`);
  }
}

/** Truncates toward zero, keeps the low 64 bits of |v| and negates in two's complement (protobufjs's LongBits.fromNumber). */
function bitsOfNumber(v: number): void {
  const neg = v < 0;
  const a = neg ? -v : v;
  let l = a >>> 0;
  let h = ((a - l) / TWO32) >>> 0;
  if (neg) {
    l = ~l >>> 0;
    h = ~h >>> 0;
    if (++l > 0xffffffff) {
      l = 0;
      if (++h > 0xffffffff) h = 0;
    }
  }
  lo = l;
  hi = h;
}

function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Varint size of lo/hi. */
function varint64Size(): number {
  if (hi === 0) return varint32Size(lo);
  // 32 + bits of hi, 7 per byte.
  return hi < 0x8 ? 5 : hi < 0x400 ? 6 : hi < 0x20000 ? 7 : hi < 0x1000000 ? 8 : hi < 0x80000000 ? 9 : 10;
}

/** UTF-8 length of a JS string as TextEncoder writes it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Size of one scalar value (without its tag). Leaves lo/hi set for int64 kinds. */
function scalarSize(type: ScalarType, v: unknown): number {
  switch (type) {
    case 'int32': {
      // ToInt32 first (wraps modulo 2^32); negatives are 10-byte sign-extended varints.
      const n = (v as number) | 0;
      return n < 0 ? 10 : varint32Size(n);
    }
    case 'int64':
    case 'uint64':
      bits64(v);
      return varint64Size();
    case 'float': return 4;
    case 'double': return 8;
    case 'string': {
      if (typeof v !== 'string') throw new TypeError(`pb-writer: expected a string, got ${typeof v}`);
      const len = utf8Length(v);
      return varint32Size(len) + len;
    }
    case 'bytes': {
      const len = bytesOf(v).length;
      return varint32Size(len) + len;
    }
  }
}

function bytesOf(v: unknown): ArrayLike<number> {
  if (v instanceof Uint8Array || Array.isArray(v)) return v;
  throw new TypeError(`pb-writer: expected bytes as a Uint8Array, got ${v === null ? 'null' : typeof v}`);
}

/** Body size of a message (memoised in `sizes`). */
function messageSize(table: MessageTable, type: number, m: Msg, sizes: Map<object, number>, depth: number): number {
  if (depth > MAX_DEPTH) throw new Error('max depth exceeded');
  const known = sizes.get(m);
  if (known !== undefined) return known;
  let size = 0;
  for (const [name, id, ft, rule] of table[type]) {
    const v = m[name];
    if (rule === 0) {
      if (v == null || !hasOwn.call(m, name)) continue;
      size += varint32Size(id << 3);
      size += fieldValueSize(table, ft, v, sizes, depth);
    } else {
      const arr = v as ArrayLike<unknown> | null | undefined;
      if (arr == null || !arr.length) continue;
      if (rule === 2) {
        const payload = packedSize(ft as ScalarType, arr);
        size += varint32Size(id << 3) + varint32Size(payload) + payload;
      } else {
        const tag = varint32Size(id << 3);
        for (let i = 0; i < arr.length; i++) size += tag + fieldValueSize(table, ft, arr[i], sizes, depth);
      }
    }
  }
  sizes.set(m, size);
  return size;
}

function fieldValueSize(table: MessageTable, ft: ScalarType | number, v: unknown, sizes: Map<object, number>, depth: number): number {
  if (typeof ft === 'number') {
    const n = messageSize(table, ft, v as Msg, sizes, depth + 1);
    return varint32Size(n) + n;
  }
  return scalarSize(ft, v);
}

function packedSize(ft: ScalarType, arr: ArrayLike<unknown>): number {
  if (ft === 'float') return 4 * arr.length;
  if (ft === 'double') return 8 * arr.length;
  let n = 0;
  for (let i = 0; i < arr.length; i++) n += scalarSize(ft, arr[i]);
  return n;
}

// ---- writing ------------------------------------------------------------------------------------

interface Out { buf: Uint8Array; view: DataView | null; pos: number }

let utf8: TextEncoder | null = null;

function writeVarint32(w: Out, v: number): void {
  const b = w.buf;
  while (v > 127) {
    b[w.pos++] = (v & 127) | 128;
    v >>>= 7;
  }
  b[w.pos++] = v;
}

/** Writes lo/hi as a varint. */
function writeVarint64(w: Out): void {
  const b = w.buf;
  let l = lo;
  let h = hi;
  while (h) {
    b[w.pos++] = (l & 127) | 128;
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h >>>= 7;
  }
  writeVarint32(w, l);
}

function dataView(w: Out): DataView {
  return w.view ??= new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
}

function writeScalar(w: Out, type: ScalarType, v: unknown): void {
  switch (type) {
    case 'int32': {
      const n = (v as number) | 0;
      if (n < 0) {
        bitsOfNumber(n);
        writeVarint64(w);
      } else writeVarint32(w, n);
      return;
    }
    case 'int64':
    case 'uint64':
      bits64(v);
      writeVarint64(w);
      return;
    case 'float':
      dataView(w).setFloat32(w.pos, v as number, true);
      w.pos += 4;
      return;
    case 'double':
      dataView(w).setFloat64(w.pos, v as number, true);
      w.pos += 8;
      return;
    case 'string': {
      const s = v as string;
      const len = utf8Length(s);
      writeVarint32(w, len);
      if (len) {
        const { written } = (utf8 ??= new TextEncoder()).encodeInto(s, w.buf.subarray(w.pos, w.pos + len));
        if (written !== len) throw new Error(`pb-writer: UTF-8 length ${written} != ${len}`);
        w.pos += len;
      }
      return;
    }
    case 'bytes': {
      const bytes = bytesOf(v);
      writeVarint32(w, bytes.length);
      w.buf.set(bytes, w.pos);
      w.pos += bytes.length;
      return;
    }
  }
}

function writeMessage(table: MessageTable, type: number, m: Msg, sizes: Map<object, number>, w: Out): void {
  for (const [name, id, ft, rule] of table[type]) {
    const v = m[name];
    if (rule === 0) {
      if (v == null || !hasOwn.call(m, name)) continue;
      writeField(table, w, id, ft, v, sizes);
    } else {
      const arr = v as ArrayLike<unknown> | null | undefined;
      if (arr == null || !arr.length) continue;
      if (rule === 2) {
        writeVarint32(w, (id << 3) | 2);
        writeVarint32(w, packedSize(ft as ScalarType, arr));
        for (let i = 0; i < arr.length; i++) writeScalar(w, ft as ScalarType, arr[i]);
      } else {
        for (let i = 0; i < arr.length; i++) writeField(table, w, id, ft, arr[i], sizes);
      }
    }
  }
}

const WIRE: Record<ScalarType, number> = { int32: 0, int64: 0, uint64: 0, float: 5, double: 1, string: 2, bytes: 2 };

function writeField(table: MessageTable, w: Out, id: number, ft: ScalarType | number, v: unknown, sizes: Map<object, number>): void {
  if (typeof ft === 'number') {
    writeVarint32(w, (id << 3) | 2);
    writeVarint32(w, sizes.get(v as object)!);
    writeMessage(table, ft, v as Msg, sizes, w);
  } else {
    writeVarint32(w, (id << 3) | WIRE[ft]);
    writeScalar(w, ft, v);
  }
}
