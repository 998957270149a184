// data.decodeImage against reference pixels of PNG/JPEG files written by PIL from known arrays
// (test/fixtures/fixtures_images.py), the channel conversions, corrupted and truncated files
// (FormatError or a valid image, in bounded time), a huge declared size refused before decoding,
// and toFloat / centerCrop / fromPixels against naive references.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { data, tensor, FormatError, getLimits, type Tensor } from '../src/index.js';
import { LimitError } from '../src/errors.js';
import { caseCounter, live, runs } from './harness/fuzz.js';

interface ImageCase { file: string; unsupported?: boolean; width: number; height: number; channels: number; pixels: string; grey?: string; jpeg?: boolean }
const fixtures: { cases: ImageCase[] } = JSON.parse(readFileSync(new URL('./fixtures/images.json', import.meta.url), 'utf8'));
const fileBytes = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/images/${name}`, import.meta.url)));
const pixels = (b64: string) => Array.from(Buffer.from(b64, 'base64'));
/** The decoded values, the tensor freed. */
function decoded(bytes: Uint8Array, channels?: 1 | 3 | 4): { shape: number[]; values: number[]; dtype: string } {
  const t = data.decodeImage(bytes, channels === undefined ? {} : { channels });
  const out = { shape: [...t.shape], values: Array.from(t.dataSync()), dtype: t.dtype };
  t.dispose();
  return out;
}
const maxAbsDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Naive channel conversion of 8-bit [H*W*from] values (decodeImage's documented rules). */
function convert(values: number[], from: number, to: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < values.length / from; p++) {
    const px = values.slice(p * from, (p + 1) * from);
    const [r, g, b] = from >= 3 ? px : [px[0], px[0], px[0]];
    const a = from === 2 || from === 4 ? px[from - 1] : 255;
    if (to === 1) out.push(from >= 3 ? Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000) : r);
    else out.push(r, g, b, ...(to === 4 ? [a] : []));
  }
  return out;
}

// libjpeg (PIL) and jpeg-js differ in IDCT rounding and in chroma upsampling (libjpeg's "fancy"
// triangular filter, jpeg-js replicates): grey and 4:4:4 files agree to a few levels, 4:2:0 colour
// to the size of a chroma step at the smooth test images' edges.
const JPEG_TOLERANCE = { grey: 2, colour444: 3, colour420: 12 };
const jpegTolerance = (file: string) => (file.includes('grey') ? JPEG_TOLERANCE.grey : file.includes('444') ? JPEG_TOLERANCE.colour444 : JPEG_TOLERANCE.colour420);

describe('decodeImage: reference pixels', () => {
  const pngs = fixtures.cases.filter((c) => !c.jpeg && !c.unsupported);
  const jpegs = fixtures.cases.filter((c) => c.jpeg);
  it('has the PNG variants and the JPEG kinds', () => {
    expect(pngs.length).toBeGreaterThanOrEqual(16);
    expect(jpegs.map((c) => c.file)).toEqual(expect.arrayContaining(['baseline-rgb420.jpg', 'progressive-rgb420.jpg', 'baseline-grey.jpg', 'progressive-grey.jpg']));
  });
  for (const c of pngs) {
    it(`${c.file}: exact, [${c.height}, ${c.width}, ${c.channels}]`, () => {
      const d = decoded(fileBytes(c.file));
      expect(d.dtype).toBe('int32');
      expect(d.shape).toEqual([c.height, c.width, c.channels]);
      expect(d.values).toEqual(pixels(c.pixels));
    });
  }
  for (const c of fixtures.cases.filter((x) => x.unsupported)) {
    it(`${c.file}: FormatError (interlaced 1 to 4-bit samples are not supported)`, () => {
      expect(() => data.decodeImage(fileBytes(c.file))).toThrow(/decodeImage: interlaced PNGs with [124]-bit samples are not supported/);
    });
  }
  for (const c of jpegs) {
    it(`${c.file}: within ${jpegTolerance(c.file)} of PIL's decode`, () => {
      const d = decoded(fileBytes(c.file));
      expect(d.shape).toEqual([c.height, c.width, c.channels]);
      const diff = maxAbsDiff(d.values, pixels(c.pixels));
      console.log(`${c.file}: max |decodeImage - PIL| = ${diff}`);
      expect(diff).toBeLessThanOrEqual(jpegTolerance(c.file));
    });
  }
  it('an ArrayBuffer works as the bytes', () => {
    const c = pngs[0], b = fileBytes(c.file);
    const t = data.decodeImage(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
    expect(Array.from(t.dataSync())).toEqual(pixels(c.pixels));
    t.dispose();
  });
});

describe('decodeImage: channel conversions', () => {
  it('RGB -> grey is BT.601 luma rounded (numpy reference)', () => {
    const c = fixtures.cases.find((x) => x.file === 'rgb8.png')!;
    expect(decoded(fileBytes(c.file), 1).values).toEqual(pixels(c.grey!));
  });
  for (const file of ['grey8.png', 'greyalpha8.png', 'rgb8.png', 'rgba8.png', 'palette8-trns.png', 'rgb16.png', 'grey4.png', 'greyalpha8-interlaced.png', 'baseline-grey.jpg']) {
    for (const to of [1, 3, 4] as const) {
      it(`${file} -> ${to} channels`, () => {
        const own = decoded(fileBytes(file));
        const conv = decoded(fileBytes(file), to);
        expect(conv.shape).toEqual([own.shape[0], own.shape[1], to]);
        expect(conv.values).toEqual(convert(own.values, own.shape[2], to));
      });
    }
  }
});

describe('decodeImage: corrupted and hostile files', () => {
  const count = caseCounter('decodeImage fuzz');
  const files = fixtures.cases.map((c) => c.file);
  /** Decodes or throws FormatError, never anything else, leaving no tensor behind. */
  function survives(bytes: Uint8Array, kind: string): void {
    const before = live();
    const t0 = performance.now();
    try {
      const t = data.decodeImage(bytes);
      expect(t.rank).toBe(3);
      t.dispose();
      count(`${kind}: decoded`);
    } catch (e) {
      if (!(e instanceof FormatError)) throw new Error(`${kind}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
      count(`${kind}: FormatError`);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(live()).toBe(before);
  }
  it('every file cut short at every few bytes: FormatError', () => {
    for (const f of files) {
      const b = fileBytes(f);
      for (let n = 0; n < b.length - 1; n += Math.max(1, Math.floor(b.length / runs(40)))) {
        const cut = b.slice(0, n);
        survives(cut, 'truncated');
        // A PNG without its IEND, or a JPEG cut inside the scan, must not pass silently as a full image.
        if (n < b.length - 12) expect(() => data.decodeImage(cut)).toThrow(FormatError);
      }
    }
  });
  it('random bit flips: a decoded image or FormatError', () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    for (const f of files) {
      const b = fileBytes(f);
      for (let i = 0; i < runs(60); i++) {
        const x = b.slice();
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++) x[Math.floor(rand() * x.length)] ^= 1 << Math.floor(rand() * 8);
        survives(x, f.endsWith('.png') ? 'png bit flips' : 'jpeg bit flips');
      }
    }
  });
  it('random bytes after a valid signature: FormatError', () => {
    let seed = 99;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    for (const head of [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [0xff, 0xd8, 0xff]]) {
      for (let i = 0; i < runs(100); i++) {
        const x = new Uint8Array(head.length + Math.floor(rand() * 300));
        x.set(head);
        for (let k = head.length; k < x.length; k++) x[k] = Math.floor(rand() * 256);
        survives(x, 'random body');
      }
    }
  });

  /** A PNG whose IHDR declares w x h (valid CRC), no pixel data. */
  function pngHeader(w: number, h: number): Uint8Array {
    const b = fileBytes('rgb8.png').slice(0, 33);
    const dv = new DataView(b.buffer);
    dv.setUint32(16, w); dv.setUint32(20, h);
    return b;
  }
  /** A baseline JPEG whose SOF0 declares w x h, followed by a valid file's remaining segments. */
  function jpegHeader(w: number, h: number): Uint8Array {
    const b = fileBytes('baseline-grey.jpg').slice();
    for (let p = 2; p < b.length;) {
      if (b[p + 1] === 0xc0) { b[p + 5] = h >> 8; b[p + 6] = h & 255; b[p + 7] = w >> 8; b[p + 8] = w & 255; return b; }
      p += 2 + ((b[p + 2] << 8) | b[p + 3]);
    }
    throw new Error('no SOF0');
  }
  it('a 100000x100000 PNG header and a 65535x65535 JPEG header are refused before any allocation', () => {
    const heapBefore = process.memoryUsage().arrayBuffers;
    for (const [bytes, dims] of [[pngHeader(100000, 100000), '100000x100000'], [jpegHeader(65535, 65535), '65535x65535']] as const) {
      const t0 = performance.now();
      let err: unknown;
      try { data.decodeImage(bytes); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(LimitError);
      expect(err).toBeInstanceOf(FormatError);
      expect((err as Error).message).toMatch(new RegExp(`decodeImage declares ${dims} = \\d+ pixels, above the limit maxImagePixels = ${getLimits().maxImagePixels}`));
      expect(performance.now() - t0).toBeLessThan(100);
    }
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(1 << 20);
  });
  it('header-level format errors name the problem', () => {
    expect(() => data.decodeImage(new TextEncoder().encode('hello'))).toThrow(/decodeImage: not a PNG or JPEG file \(starts with 68 65 6c 6c\)/);
    expect(() => data.decodeImage(new Uint8Array(0))).toThrow(/starts with nothing/);
    expect(() => data.decodeImage(pngHeader(0, 5))).toThrow(/declares an empty image 0x5/);
    const badDepth = pngHeader(4, 4); badDepth[24] = 3;
    expect(() => data.decodeImage(badDepth)).toThrow(/colour type 2 with bit depth 3/);
    expect(() => data.decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))).toThrow(/JPEG without a frame header/);
  });
});

// ---- preprocessing ------------------------------------------------------------------------------
function seededInts(n: number, seed: number): Int32Array {
  const out = new Int32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) out[i] = (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 256;
  return out;
}
const valuesOf = (t: Tensor) => { const v = Array.from(t.dataSync()); t.dispose(); return v; };

describe('toFloat', () => {
  const cases: [string, number[], Parameters<typeof data.toFloat>[1]][] = [
    ['[H,W,C] default scale', [4, 5, 3], {}],
    ['[N,H,W,C] ImageNet mean/std', [2, 4, 5, 3], { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }],
    ['scalar mean/std, scale 1', [3, 2, 1], { scale: 1, mean: 127.5, std: 127.5 }],
  ];
  for (const [name, shape, opts] of cases) {
    it(name, () => {
      const n = shape.reduce((a, b) => a * b, 1), C = shape[shape.length - 1];
      const ints = seededInts(n, n);
      const img = tensor(ints, shape, 'int32');
      const out = data.toFloat(img, opts);
      expect(out.dtype).toBe('float32');
      expect(out.shape).toEqual(shape);
      const scale = opts?.scale ?? 1 / 255;
      const per = (v: number | readonly number[] | undefined, d: number, c: number) => (v === undefined ? d : typeof v === 'number' ? v : v[c]);
      const want = Array.from(ints, (v, i) => Math.fround((v * scale - per(opts?.mean, 0, i % C)) / per(opts?.std, 1, i % C)));
      const got = valuesOf(out);
      for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
      img.dispose();
    });
  }
});

describe('centerCrop', () => {
  for (const [shape, size] of [[[7, 9, 3], [4, 5]], [[2, 6, 6, 1], [3, 3]], [[5, 5, 2], [5, 5]], [[2, 4, 7, 3], [1, 2]]] as [number[], [number, number]][]) {
    it(`[${shape}] -> [${size}]`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const ints = seededInts(n, 7);
      const img = tensor(ints, shape, 'int32');
      const out = data.centerCrop(img, size);
      const [N, H, W, C] = shape.length === 4 ? shape : [1, ...shape];
      const top = Math.floor((H - size[0]) / 2), left = Math.floor((W - size[1]) / 2);
      const want: number[] = [];
      for (let b = 0; b < N; b++) for (let y = 0; y < size[0]; y++) for (let x = 0; x < size[1]; x++) for (let c = 0; c < C; c++) want.push(ints[((b * H + y + top) * W + x + left) * C + c]);
      expect(out.shape).toEqual(shape.length === 4 ? [N, ...size, C] : [...size, C]);
      expect(out.dtype).toBe('int32');
      expect(valuesOf(out)).toEqual(want);
      img.dispose();
    });
  }
});

describe('fromPixels', () => {
  const width = 3, height = 2;
  const rgba = Uint8ClampedArray.from(seededInts(width * height * 4, 3));
  for (const channels of [1, 3, 4] as const) {
    it(`ImageData-like { data, width, height } -> ${channels} channels`, () => {
      const t = data.fromPixels({ data: rgba, width, height }, { channels });
      expect(t.shape).toEqual([height, width, channels]);
      expect(valuesOf(t)).toEqual(convert(Array.from(rgba), 4, channels));
    });
  }
  it('defaults to 3 channels', () => {
    expect(valuesOf(data.fromPixels({ data: rgba, width, height }))).toEqual(convert(Array.from(rgba), 4, 3));
  });
});
