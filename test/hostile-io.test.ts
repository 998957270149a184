// Hostile files against the loaders: each case is refused with a typed error within a bounded
// time (2 s) and bounded memory (no live tensor bytes left, wasm memory grown by at most 16 MiB,
// process RSS by at most 256 MB), the process carries on and the next valid load works. A weights
// file pointing outside the model's directory reads nothing there: the sentinel's content never
// appears in an error and its access time does not move. A table of the measured figures is
// printed at the end.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, symlinkSync, statSync, utimesSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'fflate';
import {
  nn, Sequential, Model, data, backendInfo, setLimits, getLimits, FormatError, LimitError, ValueError,
} from '../src/index.js';
import { loadIdxFile, loadIdxDataset } from '../src/node.js';
import { encodeIdx } from '../src/data/idx.js';

const MAX_MS = 2000;
const MAX_WASM_GROWTH = 16 << 20;
const MAX_RSS_GROWTH = 256e6;
const SENTINEL = 'SENTINEL-outside-the-model-7d1f';

const figures: string[] = [];
afterAll(() => { console.log(`hostile-io: time, RSS growth, wasm memory growth per case\n${figures.join('\n')}`); });

type ErrClass = new (...args: any[]) => Error;

/** Runs a hostile call: it must throw `cls` (message fragments `frags`) within the bounds above. */
async function refused(name: string, fn: () => unknown, cls: ErrClass, ...frags: (string | RegExp)[]): Promise<Error> {
  const live0 = backendInfo().liveBytes, wasm0 = backendInfo().memoryBytes, rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let err: unknown = null;
  try { await fn(); } catch (e) { err = e; }
  const ms = performance.now() - t0;
  const rss = process.memoryUsage().rss - rss0, wasm = backendInfo().memoryBytes - wasm0;
  figures.push(`  ${name.padEnd(58)} ${ms.toFixed(0).padStart(5)} ms  RSS +${(Math.max(0, rss) / 1e6).toFixed(1).padStart(5)} MB  wasm +${(wasm / 1e6).toFixed(1)} MB`);
  expect(err, `${name}: expected ${cls.name}`).toBeInstanceOf(cls);
  const e = err as Error;
  expect(e.name).toBe(cls.name);
  for (const f of frags) {
    if (typeof f === 'string') expect(e.message).toContain(f);
    else expect(e.message).toMatch(f);
  }
  expect(e.message).not.toContain(SENTINEL);
  expect(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(MAX_MS);
  expect(backendInfo().liveBytes).toBe(live0);
  expect(wasm).toBeLessThanOrEqual(MAX_WASM_GROWTH);
  expect(rss).toBeLessThan(MAX_RSS_GROWTH);
  return e;
}

let dir: string;
let good: string;
let goodJson: any;
let goodWeights: Uint8Array;
let sentinelFile: string;
const PAST = new Date('2020-01-01T00:00:00Z');

/** A model directory holding model.json whose weights.file is `file` (and nothing else unless made). */
function modelDir(name: string, file: string, json: any = goodJson): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'model.json'), JSON.stringify({ ...json, weights: { ...json.weights, file } }));
  return d;
}

/** The valid model still loads and predicts (the process carries on). */
async function validLoad(): Promise<void> {
  const m = await Sequential.load(good);
  expect(m.countParams()).toBe(8);
  m.dispose();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-hostile-'));
  good = join(dir, 'good');
  const m = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
  await m.save(good);
  m.dispose();
  goodJson = JSON.parse(readFileSync(join(good, 'model.json'), 'utf8'));
  goodWeights = new Uint8Array(readFileSync(join(good, 'weights.bin')));
  // The sentinel sits outside every model directory; its access time is set in the past, so any
  // read of it would move it (relatime updates an access time older than the modification).
  sentinelFile = join(dir, 'secret.bin');
  writeFileSync(sentinelFile, `WCNW${SENTINEL}`.repeat(4));
  utimesSync(sentinelFile, PAST, new Date());
  execFileSync('mkfifo', [join(dir, 'outside-fifo')]);
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const atime = (p: string) => statSync(p).atimeMs;

describe('hostile: weights.file never leaves the model directory', () => {
  it('the access-time check can see a read (control)', () => {
    const probe = join(dir, 'probe.bin');
    writeFileSync(probe, 'x');
    utimesSync(probe, PAST, new Date());
    const before = atime(probe);
    readFileSync(probe);
    expect(atime(probe)).toBeGreaterThan(before);
  });

  it('"../secret.bin", an absolute path, a "//host" path: refused by name, the sentinel is not read', async () => {
    const before = atime(sentinelFile);
    await refused('weights.file ../secret.bin', () => Sequential.load(modelDir('t1', '../secret.bin')), FormatError, "'..'", 'weights.file');
    await refused('weights.file absolute path', () => Sequential.load(modelDir('t2', sentinelFile)), FormatError, 'absolute');
    await refused('weights.file sub/../../secret.bin', () => Sequential.load(modelDir('t3', 'sub/../../secret.bin')), FormatError, "'..'");
    await refused('weights.file //evil.example/w.bin', () => Sequential.load(modelDir('t4', '//evil.example/w.bin')), FormatError, 'absolute');
    expect(atime(sentinelFile)).toBe(before);
    await validLoad();
  });

  it('a symbolic link inside the directory to a file or a FIFO outside: refused before opening', async () => {
    const before = atime(sentinelFile);
    const d1 = modelDir('link1', 'weights.bin');
    symlinkSync(sentinelFile, join(d1, 'weights.bin'));
    await refused('weights.bin -> symlink to ../secret.bin', () => Sequential.load(d1), FormatError, 'outside the model');
    // Opening this FIFO for reading without O_NONBLOCK would wait for a writer forever.
    const d2 = modelDir('link2', 'weights.bin');
    symlinkSync(join(dir, 'outside-fifo'), join(d2, 'weights.bin'));
    await refused('weights.bin -> symlink to a FIFO outside', () => Sequential.load(d2), FormatError, 'outside the model');
    expect(atime(sentinelFile)).toBe(before);
    await validLoad();
  });

  it('empty name, a directory, a FIFO, /dev/zero: FormatError at once, never a hang or a raw EISDIR', async () => {
    await refused('weights.file ""', () => Sequential.load(modelDir('e1', '')), FormatError, 'empty');
    const d2 = modelDir('e2', 'sub');
    mkdirSync(join(d2, 'sub'));
    await refused('weights.file a directory', () => Sequential.load(d2), FormatError, 'a directory');
    const d3 = modelDir('e3', 'fifo');
    execFileSync('mkfifo', [join(d3, 'fifo')]);
    await refused('weights.file a FIFO in the directory', () => Sequential.load(d3), FormatError, 'FIFO');
    const d4 = modelDir('e4', 'zero');
    symlinkSync('/dev/zero', join(d4, 'zero'));
    await refused('weights.file a link to /dev/zero', () => Sequential.load(d4), FormatError, 'outside the model');
    await refused("load('/dev/zero')", () => Sequential.load('/dev/zero'), FormatError, 'character device');
    await refused('load(a FIFO as model.json)', () => Sequential.load(join(dir, 'outside-fifo')), FormatError, 'FIFO');
    await validLoad();
  });

  it('a weights file far longer than the manifest: refused by its size before reading', async () => {
    const d = modelDir('long', 'weights.bin');
    const big = new Uint8Array(64 << 20);
    big.set(goodWeights);
    writeFileSync(join(d, 'weights.bin'), big);
    await refused('weights.bin 64 MB for 8 values', () => Sequential.load(d), FormatError, 'far more than the 48 bytes');
    await validLoad();
  });
});

describe('hostile: declared sizes above the limits', () => {
  it('setLimits checks its input, returns the previous limits, null restores a default', () => {
    const defaults = getLimits();
    expect(() => setLimits({ maxIdxBytes: -1 })).toThrow(ValueError);
    expect(() => setLimits({ maxIdxBytes: 1.5 })).toThrow(/positive integer/);
    expect(() => setLimits({ nope: 1 } as any)).toThrow(/unknown limit 'nope'/);
    expect(getLimits()).toEqual(defaults);
    const prev = setLimits({ maxClasses: 7 });
    expect(prev).toEqual(defaults);
    expect(getLimits().maxClasses).toBe(7);
    setLimits({ maxClasses: null });
    expect(getLimits()).toEqual(defaults);
  });

  it('fromJSON without weights: a 4 GB model is refused before any tensor memory is taken', async () => {
    const huge = JSON.parse(JSON.stringify(goodJson));
    huge.model.inputShape = [32768];
    huge.model.layers[0].config.units = 32768;
    huge.weights.tensors = []; huge.weights.floats = 0; // a manifest that lies about the size
    const e = await refused('Sequential.fromJSON 4 GB, no weights', () => Sequential.fromJSON(huge), LimitError, '1073774592 parameters', 'maxParameterBytes');
    expect((e as LimitError).limit).toBe('maxParameterBytes');
    // A graph model the same way.
    const input = nn.input({ shape: [4] });
    const g = new Model({ inputs: input, outputs: nn.dense({ units: 3, name: 'head' }).apply(input) });
    const gj = JSON.parse(JSON.stringify(g.toJSON()));
    g.dispose();
    gj.model.layers.find((l: any) => l.className === 'Dense').config.units = 1 << 30;
    await refused('Model.fromJSON graph 16 GB, no weights', () => Model.fromJSON(gj), LimitError, 'maxParameterBytes');
    // A manifest that disagrees with the topology is also found before allocating.
    const off = JSON.parse(JSON.stringify(goodJson));
    off.model.layers[0].config.units = 1 << 20;
    await refused('fromJSON manifest mismatch (12 MB layer)', () => Sequential.fromJSON(off), FormatError, 'does not match');
    await validLoad();
  });

  it('model.json above maxModelJsonBytes, as a file and as a string', async () => {
    const prev = setLimits({ maxModelJsonBytes: 4096 });
    try {
      const d = join(dir, 'bigjson');
      mkdirSync(d);
      writeFileSync(join(d, 'model.json'), JSON.stringify({ ...goodJson, pad: 'x'.repeat(1 << 20) }));
      await refused('model.json 1 MB, limit 4 KiB', () => Sequential.load(d), LimitError, 'maxModelJsonBytes');
      await refused('fromJSON string 1 MB, limit 4 KiB', () => Sequential.fromJSON(JSON.stringify({ ...goodJson, pad: 'x'.repeat(1 << 20) })), LimitError, 'maxModelJsonBytes');
    } finally {
      setLimits(prev);
    }
    await validLoad();
  });

  it('a packed model whose header declares gigabytes: refused from its 16 bytes', async () => {
    const head = new Uint8Array(16);
    head.set([0x57, 0x43, 0x4e, 0x4d]);
    const dv = new DataView(head.buffer);
    dv.setUint32(4, 1, true); dv.setUint32(8, 100, true); dv.setUint32(12, 0xfffffff0, true);
    const f = join(dir, 'lying.wcnn');
    writeFileSync(f, head);
    await refused('packed file declaring 4 GB of weights', () => Sequential.load(f), LimitError, 'maxParameterBytes');
  });
});

describe('hostile: URL models and responses', () => {
  let server: Server;
  let base: string;
  // An endless body: chunks until the client goes away.
  const forever = (res: any) => {
    const chunk = new Uint8Array(1 << 16).fill(0x20);
    const write = () => { while (res.write(chunk)) { /* fill the socket */ } };
    res.on('drain', write);
    res.on('close', () => res.off('drain', write));
    write();
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      const u = req.url ?? '';
      if (u === '/ok/model.json') { res.end(JSON.stringify(goodJson)); return; }
      if (u === '/ok/weights.bin') { res.end(goodWeights); return; }
      if (u === '/forever/model.json') { res.write('{"format":"wasm-cnn-model",'); forever(res); return; }
      if (u === '/endless-weights/model.json') { res.end(JSON.stringify(goodJson)); return; }
      if (u === '/endless-weights/weights.bin') { res.write(goodWeights); forever(res); return; }
      if (u === '/elsewhere/model.json') { res.end(JSON.stringify({ ...goodJson, weights: { ...goodJson.weights, file: 'http://127.0.0.2:1/w.bin' } })); return; }
      if (u === '/up/model.json') { res.end(JSON.stringify({ ...goodJson, weights: { ...goodJson.weights, file: '../ok/weights.bin' } })); return; }
      res.statusCode = 404; res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as any).port}`;
  });
  afterAll(() => { server.closeAllConnections(); server.close(); });

  it('a model.json that streams forever is read up to maxModelJsonBytes only', async () => {
    const prev = setLimits({ maxModelJsonBytes: 1 << 20 });
    try {
      await refused('model.json URL streaming forever (limit 1 MiB)', () => Sequential.load(`${base}/forever/model.json`), LimitError, 'maxModelJsonBytes', 'more than 1048576 bytes');
    } finally {
      setLimits(prev);
    }
  });

  it('a weights.bin that streams forever is read up to its size plus a little', async () => {
    await refused('weights.bin URL streaming forever', () => Sequential.load(`${base}/endless-weights/model.json`), FormatError, 'far more than the 48 bytes');
  });

  it('weights on another origin or above the model directory are not fetched', async () => {
    await refused('weights.file on another host', () => Sequential.load(`${base}/elsewhere/model.json`), FormatError, 'colon');
    await refused('weights.file ../ of the model URL', () => Sequential.load(`${base}/up/model.json`), FormatError, "'..'");
    const m = await Sequential.load(`${base}/ok/model.json`);
    expect(m.countParams()).toBe(8);
    m.dispose();
  });

  it('a Response whose body never ends is read only up to the cap', async () => {
    const prev = setLimits({ maxModelJsonBytes: 1 << 20 });
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull(c) { pulled += 1 << 16; c.enqueue(new Uint8Array(1 << 16).fill(0x20)); } });
    try {
      await refused('load(Response streaming forever)', () => Sequential.load(new Response(body)), LimitError, 'maxModelJsonBytes');
    } finally {
      setLimits(prev);
    }
    expect(pulled).toBeLessThan(4 << 20);
  });
});

describe('hostile: IDX files', () => {
  let bomb: Uint8Array;
  beforeAll(() => {
    // A header declaring one byte of data, then 64 MB of zeros: ~64 KB of gzip.
    const raw = new Uint8Array(64 << 20);
    raw.set(encodeIdx([1], new Uint8Array([7])));
    bomb = gzipSync(raw, { level: 9 });
  });

  it('a gzip bomb behind a small header stops inflating at the declared size', async () => {
    await refused('gzip bomb: header 1 byte, stream 64 MB', () => data.parseIdx(bomb), FormatError, 'size mismatch', 'the stream holds more');
  });

  it('a gzip trailer lying about the size does not make it inflate twice or more', async () => {
    const lie = bomb.slice();
    new DataView(lie.buffer).setUint32(lie.length - 4, 9, true);
    await refused('gzip bomb with a lying ISIZE', () => data.parseIdx(lie), FormatError, 'size mismatch');
  });

  it('a header declaring more than maxIdxBytes: LimitError before inflating the rest', async () => {
    const raw = encodeIdx([2, 2], new Uint8Array(4));
    new DataView(raw.buffer).setUint32(4, 0x7fffffff, false);
    await refused('IDX header 2^31 x 2 bytes (gzip)', () => data.parseIdx(gzipSync(raw)), LimitError, 'maxIdxBytes', 'parseIdx');
    await refused('IDX header 2^31 x 2 bytes (plain)', () => data.parseIdx(raw), LimitError, 'maxIdxBytes');
    const r = data.parseIdx(gzipSync(encodeIdx([2], new Uint8Array([1, 2]))));
    expect(Array.from(r.values)).toEqual([1, 2]);
  });

  it('loadIdxFile: /dev/zero, a FIFO, a file above maxIdxBytes', async () => {
    await refused('loadIdxFile(/dev/zero)', () => loadIdxFile('/dev/zero'), ValueError, 'character device');
    await refused('loadIdxFile(a FIFO)', () => loadIdxFile(join(dir, 'outside-fifo')), ValueError, 'FIFO');
    const f = join(dir, 'labels-idx1-ubyte');
    writeFileSync(f, encodeIdx([4096], new Uint8Array(4096)));
    const prev = setLimits({ maxIdxBytes: 1024 });
    try {
      await refused('loadIdxFile 4 KB file, limit 1 KiB', () => loadIdxFile(f), LimitError, 'maxIdxBytes', f);
    } finally {
      setLimits(prev);
    }
    expect(loadIdxFile(f).shape).toEqual([4096]);
  });

  it('labels at or above maxClasses: LimitError naming the label and the limit', async () => {
    const d = join(dir, 'labels');
    mkdirSync(d);
    const img = encodeIdx([2, 2, 2], new Uint8Array(8));
    for (const p of ['train', 't10k']) writeFileSync(join(d, `${p}-images-idx3-ubyte`), img);
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), encodeIdx([2], new Uint16Array([0, 30000]) as any));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), encodeIdx([2], new Uint8Array([0, 1])));
    await refused('IDX label 30000 (maxClasses 10000)', () => loadIdxDataset(d), LimitError, 'label 1 is 30000', 'maxClasses = 10000');
  });
});

describe('hostile: the CLI', () => {
  const BIN = fileURLToPath(new URL('../bin/wasm-cnn.js', import.meta.url));
  const cli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, WASM_CNN_NO_REEXEC: '1' } });

  it('predict: a PNG declaring 2147483647x1 pixels is refused before decoding', () => {
    const png = new Uint8Array(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    const dv = new DataView(png.buffer);
    dv.setUint32(16, 0x7fffffff, false); dv.setUint32(20, 1, false);
    png[24] = 8; png[25] = 0;
    const f = join(dir, 'huge.png');
    writeFileSync(f, png);
    const t0 = performance.now();
    const r = cli(['predict', good, f]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/LimitError: .*2147483647x1 = 2147483647 pixels, above the limit maxImagePixels/);
    expect(performance.now() - t0).toBeLessThan(20_000);
  });

  it('predict: an image path that is a FIFO is refused, not waited on', () => {
    const r = cli(['predict', good, join(dir, 'outside-fifo')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot read image .*FIFO/);
  });

  /** A dataset of 16x16 images whose labels are `labels`, the same for training and test. */
  function dataset(name: string, labels: number[]): string {
    const d = join(dir, name);
    mkdirSync(d);
    const n = labels.length;
    const img = encodeIdx([n, 16, 16], new Uint8Array(n * 256).map((_, i) => (i * 37) & 255));
    const lab = encodeIdx([n], new Int32Array(labels));
    for (const p of ['train', 't10k']) {
      writeFileSync(join(d, `${p}-images-idx3-ubyte`), img);
      writeFileSync(join(d, `${p}-labels-idx1-ubyte`), lab);
    }
    return d;
  }

  it('train --data: a label of 450 trains, saves, and reports without the matrix', () => {
    const save = join(dir, 'saved-450');
    const r = cli(['train', '--data', dataset('ds450', [0, 450, 3, 450, 0, 3, 450, 0]), '--epochs', '1', '--batch-size', '4', '--threads', '1', '--quiet', '--save', save]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/451 classes/);
    expect(r.stdout).toMatch(/confusion matrix: not shown for 451 classes/);
    expect(r.stdout).toMatch(/test accuracy: /);
    const saved = JSON.parse(readFileSync(join(save, 'model.json'), 'utf8'));
    expect(saved.weights.tensors.at(-1).shape).toEqual([451]);
  }, 60_000);

  it('train --data: a label of 30000 is refused with a message naming maxClasses', () => {
    const r = cli(['train', '--data', dataset('ds30000', [0, 1, 30000, 1]), '--epochs', '1', '--threads', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/label 2 is 30000; class indices must be below the limit maxClasses = 10000/);
  }, 60_000);
});
