// The ONNX message shapes this library reads and writes, `encodeModel` (the small table-driven
// writer of src/io/onnx/pb-writer.ts: no protobufjs, so `toOnnx()` does not load it) and the int64
// helper (protobufjs, which the importer decodes with, gives int64 as Long objects when the 'long'
// package is there). Decoding lives with the importer (src/io/onnx/import.ts), loaded on demand.
import { encodeMessage } from './pb-writer.js';
import { ONNX_MESSAGES, MODEL_PROTO } from './schema.js';

/** An int64 as protobufjs hands it over: a number, or a Long-like object. */
export type Int64 = number | { low: number; high: number; unsigned?: boolean; toNumber?: () => number };

export interface AttributeMsg {
  name?: string;
  refAttrName?: string;
  type?: number;
  f?: number;
  i?: Int64;
  s?: Uint8Array;
  t?: TensorMsg | null;
  g?: unknown;
  floats?: number[];
  ints?: Int64[];
  strings?: Uint8Array[];
  tensors?: TensorMsg[];
  graphs?: unknown[];
}

export interface TensorMsg {
  dims?: Int64[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: Int64[];
  doubleData?: number[];
  uint64Data?: Int64[];
  name?: string;
  rawData?: Uint8Array;
  externalData?: { key?: string; value?: string }[];
  dataLocation?: number;
}

export interface NodeMsg {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: AttributeMsg[];
  docString?: string;
}

export interface DimMsg { dimValue?: Int64 | null; dimParam?: string | null }

export interface ValueInfoMsg {
  name?: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: DimMsg[] } | null } | null } | null;
  docString?: string;
}

export interface GraphMsg {
  node?: NodeMsg[];
  name?: string;
  initializer?: TensorMsg[];
  docString?: string;
  input?: ValueInfoMsg[];
  output?: ValueInfoMsg[];
  valueInfo?: ValueInfoMsg[];
}

export interface ModelMsg {
  irVersion?: Int64;
  opsetImport?: { domain?: string; version?: Int64 }[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: Int64;
  docString?: string;
  graph?: GraphMsg | null;
  metadataProps?: { key?: string; value?: string }[];
}

/** TensorProto.DataType values used here. */
export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11 } as const;
/** AttributeProto.AttributeType values. */
export const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

/** Serialises a ModelProto (the bytes protobufjs's static encoder writes for the same object). */
export function encodeModel(model: ModelMsg): Uint8Array {
  return encodeMessage(ONNX_MESSAGES, MODEL_PROTO, model);
}

/** An int64 as a JS number; null when it is not exactly representable (|v| > 2^53). */
export function int64(v: Int64 | null | undefined): number | null {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  const lo = v.low >>> 0;
  const hi = v.unsigned ? v.high >>> 0 : v.high | 0;
  const n = hi * 4294967296 + lo;
  return Number.isSafeInteger(n) ? n : null;
}
