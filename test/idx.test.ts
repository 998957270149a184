// parseIdx: round trips of IDX files built here for every type code (plain and gzipped), the
// FormatError cases, and random corruption (which must parse or throw FormatError, nothing else).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { gzipSync } from 'fflate';
import { parseIdx, encodeIdx, type IdxValues } from '../src/data/idx.js';
import { FormatError } from '../src/errors.js';

/** An IDX file written byte by byte from the spec (independent of encodeIdx). */
function idxBytes(typeCode: number, shape: number[], body: number[]): Uint8Array {
  const head = [0, 0, typeCode, shape.length];
  for (const d of shape) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return new Uint8Array([...head, ...body]);
}

function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('expected a throw');
}

const TYPES: [string, number, (n: number) => IdxValues, number[]][] = [
  ['uint8', 0x08, (n) => new Uint8Array(n), [0, 1, 127, 128, 255, 42]],
  ['int8', 0x09, (n) => new Int8Array(n), [0, 1, -1, 127, -128, 42]],
  ['int16', 0x0b, (n) => new Int16Array(n), [0, -1, 32767, -32768, 258, -300]],
  ['int32', 0x0c, (n) => new Int32Array(n), [0, -1, 2147483647, -2147483648, 16909060, -5]],
  ['float32', 0x0d, (n) => new Float32Array(n), [0, -0.5, 1.5, 3.4028234663852886e38, -1e-38, Math.fround(0.1)]],
  ['float64', 0x0e, (n) => new Float64Array(n), [0, -0.5, 0.1, 1e300, -Number.MIN_VALUE, Math.PI]],
];

describe('parseIdx round trip', () => {
  it.each(TYPES)('type %s (0x%s) shape [2,3]: values and typed array class', (_name, code, make, sample) => {
    const values = make(6);
    values.set(sample);
    const file = encodeIdx([2, 3], values);
    const r = parseIdx(file);
    expect(r.shape).toEqual([2, 3]);
    expect(r.values.constructor).toBe(values.constructor);
    expect(Array.from(r.values)).toEqual(Array.from(values));
  });

  it('big-endian layout matches a hand-written int16 file', () => {
    const r = parseIdx(idxBytes(0x0b, [3], [0x01, 0x02, 0xff, 0xfe, 0x80, 0x00]));
    expect(r.values).toBeInstanceOf(Int16Array);
    expect(Array.from(r.values)).toEqual([258, -2, -32768]);
  });

  it('big-endian float32 from hand-written bytes (1.0 = 3f 80 00 00)', () => {
    const r = parseIdx(idxBytes(0x0d, [2], [0x3f, 0x80, 0, 0, 0xc0, 0x00, 0, 0]));
    expect(Array.from(r.values)).toEqual([1, -2]);
  });

  it('MNIST-like image file [4,28,28] uint8 and label file [4]', () => {
    const img = new Uint8Array(4 * 28 * 28).map((_, i) => (i * 31) & 255);
    const r = parseIdx(encodeIdx([4, 28, 28], img));
    expect(r.shape).toEqual([4, 28, 28]);
    expect(r.values).toEqual(img);
    const lab = parseIdx(idxBytes(0x08, [4], [7, 2, 1, 0]));
    expect(lab.shape).toEqual([4]);
    expect(Array.from(lab.values)).toEqual([7, 2, 1, 0]);
  });

  it('empty dimension [0,28,28] and a 0-d scalar', () => {
    expect(parseIdx(idxBytes(0x08, [0, 28, 28], [])).shape).toEqual([0, 28, 28]);
    const s = parseIdx(idxBytes(0x0c, [], [0, 0, 1, 0]));
    expect(s.shape).toEqual([]);
    expect(Array.from(s.values)).toEqual([256]);
  });

  it('accepts a Node Buffer / a Uint8Array at a non-zero byteOffset', () => {
    const file = encodeIdx([3], new Int32Array([1, -2, 3]));
    const big = new Uint8Array(file.length + 7);
    big.set(file, 5);
    const r = parseIdx(big.subarray(5, 5 + file.length));
    expect(Array.from(r.values)).toEqual([1, -2, 3]);
  });

  it('the result does not alias the input bytes', () => {
    const file = idxBytes(0x08, [2], [5, 6]);
    const r = parseIdx(file);
    file[8] = 99;
    expect(Array.from(r.values)).toEqual([5, 6]);
  });

  it.each(TYPES)('gzip: type %s round trip', (_name, _code, make, sample) => {
    const values = make(6);
    values.set(sample);
    const r = parseIdx(gzipSync(encodeIdx([3, 2], values)));
    expect(r.shape).toEqual([3, 2]);
    expect(r.values.constructor).toBe(values.constructor);
    expect(Array.from(r.values)).toEqual(Array.from(values));
  });

  it('gzip: stored (level 0) and maximal compression of a larger file', () => {
    const img = new Uint8Array(50 * 28 * 28).map((_, i) => (i % 28 < 10 ? 0 : (i * 13) & 255));
    const file = encodeIdx([50, 28, 28], img);
    for (const level of [0, 9] as const) {
      const r = parseIdx(gzipSync(file, { level }));
      expect(r.shape).toEqual([50, 28, 28]);
      expect(r.values).toEqual(img);
    }
  });
});

describe('parseIdx FormatError', () => {
  it('wrong magic number (a PNG file)', () => {
    const e = thrown(() => parseIdx(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.name).toBe('FormatError');
    expect(e.message).toMatch(/^parseIdx: not an IDX file: magic number 0x89504e47/);
  });

  it('fewer bytes than the magic number', () => {
    const e = thrown(() => parseIdx(new Uint8Array([0, 0])));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/2 bytes, fewer than the 4-byte magic number/);
  });

  it('unknown type 0x0a', () => {
    const e = thrown(() => parseIdx(idxBytes(0x0a, [1], [0])));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/unknown IDX data type 0x0a/);
    expect(e.message).toMatch(/0x08 uint8/);
  });

  it('truncated header', () => {
    const e = thrown(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 60])));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe('parseIdx: truncated: the header of 3 dimensions needs 16 bytes, file has 8');
  });

  it('truncated data says what the header promised and what the file has', () => {
    const e = thrown(() => parseIdx(idxBytes(0x08, [2, 3, 4], new Array(20).fill(1))));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe('parseIdx: truncated: header says 2x3x4 = 24 bytes of data, file has 20');
  });

  it('truncated multi-byte data names the type', () => {
    const e = thrown(() => parseIdx(idxBytes(0x0d, [3], new Array(10).fill(0))));
    expect(e.message).toBe('parseIdx: truncated: header says 3 float32 values = 12 bytes of data, file has 10');
  });

  it('size mismatch: expected vs actual bytes', () => {
    const e = thrown(() => parseIdx(idxBytes(0x08, [2, 2], [1, 2, 3, 4, 5, 6])));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toBe('parseIdx: size mismatch: expected 16 bytes (12-byte header + 2x2 = 4 bytes of data), file has 18 (2 bytes too many)');
  });

  it('a header promising more than 2^53 bytes', () => {
    const e = thrown(() => parseIdx(idxBytes(0x0e, [0xffffffff, 0xffffffff], [])));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/more than 2\^53 bytes/);
  });

  it('truncated gzip: still reports the IDX header and the inflated byte count', () => {
    const img = new Uint8Array(200 * 28 * 28).map((_, i) => (i * 7919) & 255);
    const gz = gzipSync(encodeIdx([200, 28, 28], img));
    const e = thrown(() => parseIdx(gz.subarray(0, Math.floor(gz.length / 2))));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/^parseIdx: truncated: header says 200x28x28 = 156800 bytes of data, file has \d+ \(after inflating; the gzip stream ends early\)$/);
  });

  it('gzip cut inside its own header', () => {
    const gz = gzipSync(encodeIdx([2], new Uint8Array([1, 2])));
    const e = thrown(() => parseIdx(gz.subarray(0, 6)));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/^parseIdx: truncated gzip stream/);
  });

  it('gzip with a damaged CRC', () => {
    const gz = gzipSync(encodeIdx([4], new Uint8Array([1, 2, 3, 4])));
    gz[gz.length - 8] ^= 0xff;
    const e = thrown(() => parseIdx(gz));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/CRC-32 mismatch/);
  });

  it('gzip whose trailer claims an impossible size does not allocate it', () => {
    const gz = gzipSync(encodeIdx([4], new Uint8Array([1, 2, 3, 4])));
    gz.set([0xff, 0xff, 0xff, 0xff], gz.length - 4);
    const e = thrown(() => parseIdx(gz));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/trailer claims 4294967295 inflated bytes/);
  });

  it('a non-IDX file inside gzip', () => {
    const e = thrown(() => parseIdx(gzipSync(new TextEncoder().encode('hello, world'))));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/^parseIdx: not an IDX file: magic number 0x68656c6c/);
  });

  it('not a Uint8Array', () => {
    const e = thrown(() => parseIdx([0, 0, 8, 1] as any));
    expect(e).toBeInstanceOf(FormatError);
    expect(e.message).toMatch(/Uint8Array, got Array/);
  });
});

describe('parseIdx random corruption (fast-check)', () => {
  const typeCodes = [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e];
  const makers: Record<number, (n: number) => IdxValues> = {
    0x08: (n) => new Uint8Array(n), 0x09: (n) => new Int8Array(n), 0x0b: (n) => new Int16Array(n),
    0x0c: (n) => new Int32Array(n), 0x0d: (n) => new Float32Array(n), 0x0e: (n) => new Float64Array(n),
  };
  const validFile = fc.record({
    code: fc.constantFrom(...typeCodes),
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 4 }),
    seed: fc.integer({ min: 0, max: 255 }),
    gzip: fc.boolean(),
  }).map(({ code, shape, seed, gzip }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = makers[code](n);
    for (let i = 0; i < n; i++) v[i] = ((i * 37 + seed) % 200) - (code === 0x08 ? 0 : 100);
    const raw = encodeIdx(shape, v);
    return { shape, values: v, bytes: gzip ? gzipSync(raw) : raw };
  });
  type Edit = { kind: 'truncate' | 'set' | 'flip' | 'append' | 'insert'; at: number; byte: number; len: number };
  const edit: fc.Arbitrary<Edit> = fc.record({
    kind: fc.constantFrom('truncate', 'set', 'flip', 'append', 'insert'),
    at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), len: fc.integer({ min: 1, max: 8 }),
  }) as fc.Arbitrary<Edit>;

  function corrupt(bytes: Uint8Array, edits: Edit[]): Uint8Array {
    let b = bytes.slice();
    for (const e of edits) {
      const at = b.length ? e.at % (b.length + 1) : 0;
      if (e.kind === 'truncate') b = b.slice(0, at);
      else if (e.kind === 'append') b = new Uint8Array([...b, ...new Array(e.len).fill(e.byte)]);
      else if (e.kind === 'insert') b = new Uint8Array([...b.slice(0, at), e.byte, ...b.slice(at)]);
      else if (at < b.length) b[at] = e.kind === 'set' ? e.byte : b[at] ^ (1 << (e.byte & 7));
    }
    return b;
  }

  it('valid files round-trip', () => {
    fc.assert(fc.property(validFile, ({ shape, values, bytes }) => {
      const r = parseIdx(bytes);
      expect(r.shape).toEqual(shape);
      expect(Array.from(r.values)).toEqual(Array.from(values));
    }), { numRuns: 200 });
  });

  it('corrupted files parse or throw FormatError, never anything else', () => {
    fc.assert(fc.property(validFile, fc.array(edit, { minLength: 1, maxLength: 3 }), ({ bytes }, edits) => {
      const bad = corrupt(bytes, edits);
      try {
        const r = parseIdx(bad);
        const n = r.shape.reduce((a, b) => a * b, 1);
        expect(r.values.length).toBe(n);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        expect(e.message).toMatch(/^parseIdx: /);
      }
    }), { numRuns: 1000 });
  });
});
