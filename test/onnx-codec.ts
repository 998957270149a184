// protobufjs's static ONNX encoder (src/io/onnx/pb.ts, which the importer decodes with): the
// reference toOnnx's own writer (src/io/onnx/pb-writer.ts) must match byte for byte.
import { expect } from 'vitest';
import { onnx } from '../src/io/onnx/pb.js';
import { encodeModel, type ModelMsg } from '../src/io/onnx/proto.js';

const codec = onnx as unknown as { ModelProto: { encode(m: ModelMsg): { finish(): Uint8Array } } };

export function protobufjsEncode(m: ModelMsg): Uint8Array {
  return new Uint8Array(codec.ModelProto.encode(m).finish());
}

/** encodeModel(m), asserting protobufjs writes the same bytes. */
export function encodeModelChecked(m: ModelMsg): Uint8Array {
  const ours = encodeModel(m);
  const theirs = protobufjsEncode(m);
  expect(ours.length, 'pb-writer and protobufjs sizes').toBe(theirs.length);
  expect(Buffer.compare(Buffer.from(ours), Buffer.from(theirs)), 'pb-writer and protobufjs bytes').toBe(0);
  return ours;
}
