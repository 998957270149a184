// wasm-cnn/node loaders: IDX files and directories from disk (errors name the file), and the
// fixed 8,000 / 2,000 split of the `mnist` package's digits.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'fflate';
import { encodeIdx } from '../src/data/idx.js';
import { loadIdxFile, loadIdxDataset, loadMnistDigits, findIdxFiles } from '../src/node.js';
import { FormatError, ValueError } from '../src/errors.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-node-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function writeSet(to: string, names: Partial<Record<'ti' | 'tl' | 'si' | 'sl', string>> = {}, gz = false): void {
  mkdirSync(to, { recursive: true });
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(to, name), gz ? gzipSync(bytes) : bytes);
  put(names.ti ?? 'train-images-idx3-ubyte', encodeIdx([3, 2, 2], new Uint8Array([0, 51, 102, 255, 1, 2, 3, 4, 5, 6, 7, 8])));
  put(names.tl ?? 'train-labels-idx1-ubyte', encodeIdx([3], new Uint8Array([4, 0, 1])));
  put(names.si ?? 't10k-images-idx3-ubyte', encodeIdx([1, 2, 2], new Uint8Array([255, 0, 0, 255])));
  put(names.sl ?? 't10k-labels-idx1-ubyte', encodeIdx([1], new Uint8Array([2])));
}

describe('loadIdxFile', () => {
  it('reads plain and gzipped files', () => {
    const f = join(dir, 'a-idx1-ubyte');
    writeFileSync(f, encodeIdx([2], new Int16Array([-3, 300])));
    writeFileSync(f + '.gz', gzipSync(encodeIdx([2], new Int16Array([-3, 300]))));
    for (const path of [f, f + '.gz']) {
      const r = loadIdxFile(path);
      expect(r.shape).toEqual([2]);
      expect(Array.from(r.values)).toEqual([-3, 300]);
    }
  });

  it('a parse error names the file instead of parseIdx', () => {
    const f = join(dir, 'train-images-idx3-ubyte.gz');
    writeFileSync(f, gzipSync(new Uint8Array([...encodeIdx([60000, 28, 28], new Uint8Array(0)), ...new Uint8Array(1234)])));
    let e: unknown;
    try { loadIdxFile(f); } catch (err) { e = err; }
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toBe(`${f}: truncated: header says 60000x28x28 = 47040000 bytes of data, file has 1234 (after inflating)`);
  });

  it('a missing file is a ValueError naming it', () => {
    expect(() => loadIdxFile(join(dir, 'missing'))).toThrow(ValueError);
    expect(() => loadIdxFile(join(dir, 'missing'))).toThrow(/missing: cannot read the file \(no such file\)/);
  });
});

describe('loadIdxDataset', () => {
  it('images float32 NHWC in [0, 1], labels int32, class count', () => {
    const d = join(dir, 'set');
    writeSet(d);
    const ds = loadIdxDataset(d);
    expect(ds.train.x.shape).toEqual([3, 2, 2, 1]);
    expect(ds.train.x.dtype).toBe('float32');
    expect(Array.from(ds.train.x.dataSync().slice(0, 4))).toEqual([0, Math.fround(0.2), Math.fround(0.4), 1]);
    expect(ds.train.y.dtype).toBe('int32');
    expect(Array.from(ds.train.y.dataSync())).toEqual([4, 0, 1]);
    expect(ds.test.x.shape).toEqual([1, 2, 2, 1]);
    expect(ds.numClasses).toBe(5);
    for (const t of [ds.train.x, ds.train.y, ds.test.x, ds.test.y]) t.dispose();
  });

  it('gzipped files and the dotted spelling; the uncompressed file wins', () => {
    const d = join(dir, 'dotted');
    writeSet(d, { ti: 'train-images.idx3-ubyte.gz', tl: 'train-labels.idx1-ubyte.gz', si: 't10k-images.idx3-ubyte.gz', sl: 't10k-labels.idx1-ubyte.gz' }, true);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), encodeIdx([1], new Uint8Array([7])));
    const files = findIdxFiles(d);
    expect(files.trainImages).toBe(join(d, 'train-images.idx3-ubyte.gz'));
    expect(files.testLabels).toBe(join(d, 't10k-labels-idx1-ubyte'));
    const ds = loadIdxDataset(d);
    expect(Array.from(ds.test.y.dataSync())).toEqual([7]);
  });

  it('label count not matching the images is a FormatError naming both files', () => {
    const d = join(dir, 'bad-count');
    writeSet(d);
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), encodeIdx([2], new Uint8Array([1, 2])));
    expect(() => loadIdxDataset(d)).toThrow(/train-labels-idx1-ubyte: has 2 labels but .*train-images-idx3-ubyte has 3 images/);
  });

  it('labels of the wrong rank, images of the wrong rank', () => {
    const d = join(dir, 'bad-rank');
    writeSet(d);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), encodeIdx([1, 1], new Uint8Array([1])));
    expect(() => loadIdxDataset(d)).toThrow(/t10k-labels-idx1-ubyte: expected labels of shape \[N\], the header says \[1,1\]/);
    writeSet(d);
    writeFileSync(join(d, 'train-images-idx3-ubyte'), encodeIdx([3, 4], new Uint8Array(12)));
    expect(() => loadIdxDataset(d)).toThrow(FormatError);
  });

  it('a missing file names the directory and lists what is there', () => {
    const d = join(dir, 'partial');
    writeSet(d);
    rmSync(join(d, 't10k-images-idx3-ubyte'));
    expect(() => loadIdxDataset(d)).toThrow(/partial: no t10k-images-idx3-ubyte\(\.gz\) file \(the directory holds: /);
  });
});

describe('loadMnistDigits', () => {
  it('the fixed split: 8,000 / 2,000, the last fifth of each digit held out, digits interleaved', () => {
    const ds = loadMnistDigits();
    expect(ds.train.x.shape).toEqual([8000, 28, 28, 1]);
    expect(ds.test.x.shape).toEqual([2000, 28, 28, 1]);
    expect(ds.numClasses).toBe(10);
    const yTrain = ds.train.y.dataSync(), yTest = ds.test.y.dataSync();
    expect(Array.from(yTrain.slice(0, 20))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const count = (y: ArrayLike<number>) => { const c = new Array(10).fill(0); for (let i = 0; i < y.length; i++) c[y[i]]++; return c; };
    // The package holds 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 images of the digits 0-9.
    expect(count(yTest)).toEqual([200, 225, 198, 206, 196, 173, 203, 214, 189, 196]);
    expect(count(yTrain)).toEqual([801, 902, 793, 826, 784, 690, 811, 856, 755, 782]);
    const x = ds.train.x.dataSync();
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < x.length; i++) { const v = x[i]; if (v < lo) lo = v; if (v > hi) hi = v; }
    expect(lo).toBe(0);
    expect(hi).toBeLessThanOrEqual(1);
    expect(hi).toBeGreaterThan(0.99);
    // The same images every time.
    const again = loadMnistDigits();
    const bytes = (t: typeof ds.test.x) => Buffer.from(t.dataSync().buffer);
    expect(bytes(again.test.x).equals(bytes(ds.test.x))).toBe(true);
    expect(bytes(again.train.y).equals(bytes(ds.train.y))).toBe(true);
    for (const t of [ds.train.x, ds.train.y, ds.test.x, ds.test.y, again.train.x, again.train.y, again.test.x, again.test.y]) t.dispose();
  });
});
