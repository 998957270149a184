// toOnnx's protobuf writer (src/io/onnx/pb-writer.ts driven by src/io/onnx/schema.ts) against
// protobufjs's static encoder (src/io/onnx/pb.ts): both are generated from scripts/onnx.proto by
// scripts/gen-onnx-pb.mjs, independently (a field table vs. protobufjs-cli's code), and must write
// the same bytes. Exported models are also compared in test/onnx-export.test.ts and every hand-made
// graph of test/onnx-import.test.ts; here: random messages over every field, edge values, and
// bench/make-onnx.mjs's committed file.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { encodeModel, AT, DT, type ModelMsg } from '../src/io/onnx/proto.js';
import { ONNX_MESSAGES, MODEL_PROTO } from '../src/io/onnx/schema.js';
import type { FieldSpec } from '../src/io/onnx/pb-writer.js';
import { protobufjsEncode } from './onnx-codec.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Asserts both encoders write the same bytes for `m`; returns them. */
function same(m: object): Uint8Array {
  const ours = encodeModel(m as ModelMsg);
  const theirs = protobufjsEncode(m as ModelMsg);
  expect(ours).toBeInstanceOf(Uint8Array);
  if (ours.length !== theirs.length || hex(ours) !== hex(theirs)) expect(hex(ours)).toBe(hex(theirs));
  return ours;
}

// Values as users and the exporter hand them over: integers, fractions (truncated), big and
// negative numbers, Long-like objects; floats as doubles (rounded to f32), NaN, -0, infinities.
const int32Arb = fc.oneof(fc.integer({ min: -5, max: 300 }), fc.integer(), fc.double({ min: -1e10, max: 1e10 }), fc.constantFrom(2 ** 31, 2 ** 32 + 3, -0.5, NaN));
const int64Arb = fc.oneof(
  fc.integer({ min: -5, max: 300 }), fc.maxSafeInteger(),
  fc.double({ min: -1e20, max: 1e20, noNaN: true }),
  fc.constantFrom(2 ** 53, -(2 ** 63), 2 ** 64, 2 ** 64 + 2 ** 12, NaN, Infinity, -Infinity, -0),
  fc.record({ low: fc.integer(), high: fc.integer(), unsigned: fc.boolean() }),
);
const floatArb = fc.oneof(fc.float(), fc.double(), fc.constantFrom(NaN, -0, Infinity, 1e-45, 3.5e38));
const stringArb = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.constant(''));
const bytesArb = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constant(new Uint8Array(0)));

function valueArb(type: FieldSpec[2], depth: number): fc.Arbitrary<unknown> {
  if (typeof type === 'number') return messageArb(type, depth + 1);
  switch (type) {
    case 'int32': return int32Arb;
    case 'int64': case 'uint64': return int64Arb;
    case 'float': case 'double': return floatArb;
    case 'string': return stringArb;
    case 'bytes': return bytesArb;
  }
}

/** A random message of ONNX_MESSAGES[type]: any subset of its fields, some explicitly null/undefined. */
function messageArb(type: number, depth: number): fc.Arbitrary<object> {
  if (depth > 3) return fc.constant({});
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, , ft, rule] of ONNX_MESSAGES[type]) {
    const v = valueArb(ft, depth);
    fields[name] = rule === 0
      ? fc.oneof({ arbitrary: v, weight: 8 }, { arbitrary: fc.constantFrom(null, undefined), weight: 1 })
      : fc.array(v, { maxLength: typeof ft === 'number' ? 3 : 6 });
  }
  return fc.record(fields, { requiredKeys: [] });
}

describe('pb-writer vs protobufjs', () => {
  it('random ModelProto messages over every field of onnx.proto give identical bytes', () => {
    fc.assert(fc.property(messageArb(MODEL_PROTO, 0), (m) => { same(m); }), { numRuns: Number(process.env.PBW_RUNS ?? 400) });
  });

  it('edge values: negative int32/int64, Long objects, 2^53+, NaN/-0 floats, non-ASCII and empty strings', () => {
    const bytes = same({
      irVersion: { low: -1, high: -1, unsigned: false }, modelVersion: 2 ** 53 + 2, producerName: 'wasm-cnn ✓ 数字 🧮',
      domain: '', docString: 'a\u0000b',
      opsetImport: [{ domain: '', version: 13 }, { domain: 'com.example', version: -1 }],
      metadataProps: [{ key: 'k', value: '' }, {}],
      graph: {
        name: 'g',
        node: [{
          opType: 'X', input: ['', 'a'], output: ['y'], domain: 'd',
          attribute: [
            { name: 'f', type: AT.FLOAT, f: NaN }, { name: 'f0', type: AT.FLOAT, f: -0 },
            { name: 'i', type: AT.INT, i: -3.9 }, { name: 'big', type: AT.INT, i: 2 ** 63 },
            { name: 'ints', type: AT.INTS, ints: [0, -1, 2 ** 31, -(2 ** 31), 1.5, { low: 5, high: 7 }] },
            { name: 'floats', type: AT.FLOATS, floats: [0.1, 1e39, -1e-46] },
            { name: 's', type: AT.STRING, s: new Uint8Array(0) }, { name: 'strs', type: AT.STRINGS, strings: [new Uint8Array([1, 2]), new Uint8Array(0)] },
            { name: 'g', type: AT.GRAPH, g: { name: 'sub', node: [{ opType: 'Relu' }] } },
          ],
        }],
        initializer: [
          { name: 't', dims: [2, -1, 0], dataType: -7, floatData: [1, NaN, -0], int32Data: [-1, 0, 2 ** 31 - 1, -(2 ** 31)],
            int64Data: [-1, 2 ** 40], doubleData: [Math.PI, -Infinity], uint64Data: [2 ** 64 - 1, -1], rawData: new Uint8Array(300).fill(7),
            stringData: [new Uint8Array([255])], externalData: [{ key: 'location', value: 'x.bin' }], dataLocation: 1 },
          { name: 'empty', dims: [], floatData: [], rawData: new Uint8Array(0) },
        ],
        input: [{ name: 'x', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 3 }, {}, { dimValue: 0, dimParam: 'both' }] } } } }],
        output: [{ name: 'y', type: { denotation: 'IMAGE' } }],
        valueInfo: [{ name: 'v' }],
      },
    });
    expect(bytes.length).toBeGreaterThan(300);
  });

  it('skips null, undefined and inherited fields as protobufjs does; prototype-less objects work', () => {
    const proto = { producerName: 'inherited' };
    const m = Object.assign(Object.create(proto), { irVersion: 7, domain: null, docString: undefined });
    const bytes = same(m);
    expect(hex(bytes)).toBe('0807');
    same(Object.assign(Object.create(null), { irVersion: 8, graph: { name: 'n' } }));
    expect(encodeModel({}).length).toBe(0);
  });

  it('bench/make-onnx.mjs still writes the committed bench/mnist-cnn.onnx byte for byte', async () => {
    const { makeMnistCnnOnnx } = await import('../bench/make-onnx.mjs' as string);
    const committed = new Uint8Array(readFileSync(new URL('../bench/mnist-cnn.onnx', import.meta.url)));
    const made = makeMnistCnnOnnx() as Uint8Array;
    expect(made.length).toBe(committed.length);
    expect(Buffer.compare(Buffer.from(made), Buffer.from(committed))).toBe(0);
  });

  it('rejects values it cannot encode with a TypeError, not wrong bytes', () => {
    expect(() => encodeModel({ irVersion: 'seven' as never })).toThrow(TypeError);
    expect(() => encodeModel({ producerName: 5 as never })).toThrow(TypeError);
    expect(() => encodeModel({ graph: { initializer: [{ rawData: 'AAAA' as never }] } })).toThrow(TypeError);
  });
});
