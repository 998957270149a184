// Save / load (docs/FORMAT.md): round trips through a directory, bytes, JSON + weights, a custom
// target and HTTP give bit-identical predictions; corrupt or mismatched files throw FormatError
// saying what is wrong; the main entry bundles for browsers with no Node built-in.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, statSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer, type Server } from 'node:http';
import {
  Sequential, nn, optim, tensor, randn, randu, setSeed, tidy, FormatError, Tensor,
} from '../src/index.js';
import { crc32 } from '../src/io/crc32.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-io-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

/** A model touching every kind of weight: conv, depthwise, BN (trained moving stats), prelu, dense. */
async function trainedModel(): Promise<{ model: Sequential; x: Tensor }> {
  setSeed(11);
  const model = new Sequential([
    nn.zeroPadding2d({ padding: 1 }),
    nn.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: 'heNormal' }),
    nn.batchNorm({ momentum: 0.9 }),
    nn.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
    nn.prelu({ sharedAxes: [1, 2] }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.conv2dTranspose({ filters: 4, kernelSize: 2, strides: 2 }),
    nn.globalAvgPool2d(),
    nn.dropout({ rate: 0.2 }),
    nn.dense({ units: 3, activation: 'softmax' }),
  ], { inputShape: [8, 8, 2], name: 'io_model' });
  model.compile({ optimizer: optim.sgd({ lr: 0.05, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = randn([24, 8, 8, 2]);
  const y = tensor(Int32Array.from({ length: 24 }, (_, i) => i % 3), [24], 'int32');
  await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  return { model, x };
}

const bits = (t: Tensor) => Buffer.from(t.dataSync().buffer);
const predictBits = (m: Sequential, x: Tensor) => tidy(() => bits(m.predict(x, { batchSize: 10 })));

describe('round trips give bit-identical predictions', () => {
  it('directory (Node path): model.json + weights.bin', async () => {
    const { model, x } = await trainedModel();
    const target = join(dir, 'a', 'nested');
    const packed = await model.save(target);
    expect(readdirSync(target).sort()).toEqual(['model.json', 'weights.bin']);
    const n = model.weights().reduce((a, w) => a + w.size, 0);
    expect(statSync(join(target, 'weights.bin')).size).toBe(16 + 4 * n);
    const json = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8'));
    expect(json.format).toBe('wasm-cnn-model');
    expect(json.weights.floats).toBe(n);
    expect(json.weights.tensors.map((t: { name: string }) => t.name)).toEqual([
      'conv2d/kernel', 'conv2d/bias',
      'batch_normalization/gamma', 'batch_normalization/beta', 'batch_normalization/moving_mean', 'batch_normalization/moving_variance',
      'depthwise_conv2d/depthwise_kernel', 'depthwise_conv2d/bias', 'p_re_lu/alpha', 'conv2d_transpose/kernel', 'conv2d_transpose/bias',
      'dense/kernel', 'dense/bias',
    ]);
    const bin = readFileSync(join(target, 'weights.bin'));
    expect(bin.subarray(0, 4).toString('latin1')).toBe('WCNW');
    expect(bin.readUInt32LE(12)).toBe(crc32(bin.subarray(16)));
    expect(packed.subarray(0, 4)).toEqual(new Uint8Array([0x57, 0x43, 0x4e, 0x4d])); // WCNM

    const loaded = await Sequential.load(target);
    expect(predictBits(loaded, x).equals(predictBits(model, x))).toBe(true);
    expect(loaded.summary()).toBe(model.summary());
    expect(bits(loaded.layers[2].weights()[2]).equals(bits(model.layers[2].weights()[2]))).toBe(true); // moving mean
    // also through the model.json path and a file: URL
    const viaJson = await Sequential.load(join(target, 'model.json'));
    const viaUrl = await Sequential.load(pathToFileURL(target));
    expect(predictBits(viaJson, x).equals(predictBits(model, x))).toBe(true);
    expect(predictBits(viaUrl, x).equals(predictBits(model, x))).toBe(true);
    for (const m of [model, loaded, viaJson, viaUrl]) m.dispose();
  });

  it('packed bytes, toJSON/fromJSON (object and string), { modelJson, weights }, custom target', async () => {
    const { model, x } = await trainedModel();
    const want = predictBits(model, x);
    const packed = await model.save();
    const fromBytes = await Sequential.load(packed);
    const fromBuffer = await Sequential.load(packed.slice().buffer);
    const fromJson = Sequential.fromJSON(model.toJSON(), model.weightsBytes());
    const fromString = Sequential.fromJSON(JSON.stringify(model.toJSON()), model.weightsBytes().buffer as ArrayBuffer);
    let got: { modelJson: unknown; weights: Uint8Array } | null = null;
    await model.save({ save: async (a) => { got = a as any; } });
    const fromArtifacts = await Sequential.load(got! as any);
    for (const m of [fromBytes, fromBuffer, fromJson, fromString, fromArtifacts]) {
      expect(predictBits(m, x).equals(want)).toBe(true);
      m.dispose();
    }
    model.dispose();
  });

  it('HTTP: POST to a URL, then load from the model.json URL and from the packed bytes', async () => {
    const { model, x } = await trainedModel();
    const files = new Map<string, Buffer>();
    let posted: string[] = [];
    const server: Server = createServer(async (req, res) => {
      if (req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': req.headers['content-type']! } }).formData();
        posted = [...form.keys()];
        for (const [k, v] of form) files.set(`/m/${k}`, Buffer.from(await (v as Blob).arrayBuffer()));
        res.end('ok');
        return;
      }
      const body = files.get(req.url!);
      if (!body) { res.statusCode = 404; res.end(); return; }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const packed = await model.save(`${base}/upload`);
      expect(posted).toEqual(['model.json', 'weights.bin']);
      files.set('/m/model.wcnn', Buffer.from(packed));
      const a = await Sequential.load(`${base}/m/model.json`);
      const b = await Sequential.load(`${base}/m/`);
      const c = await Sequential.load(`${base}/m/model.wcnn`);
      const d = await Sequential.load(await fetch(`${base}/m/model.wcnn`));
      for (const m of [a, b, c, d]) {
        expect(predictBits(m, x).equals(predictBits(model, x))).toBe(true);
        m.dispose();
      }
      await expect(Sequential.load(`${base}/missing/model.json`)).rejects.toThrow(/HTTP 404/);
    } finally {
      server.close();
    }
    model.dispose();
  });

  it('the training setup comes back: the loaded model is compiled and can keep training', async () => {
    const { model, x } = await trainedModel();
    const loaded = await Sequential.load(await model.save());
    expect(loaded.optimizer?.name).toBe('sgd');
    const y = tensor(Int32Array.from({ length: 24 }, (_, i) => i % 3), [24], 'int32');
    const r = loaded.evaluate(x, y);
    expect(Object.keys(r).sort()).toEqual(['accuracy', 'loss']);
    expect(r.loss).toBe(model.evaluate(x, y).loss);
    const h = await loaded.fit(x, y, { epochs: 1, verbose: 0 });
    expect(Number.isFinite(h.loss[0])).toBe(true);
    model.dispose(); loaded.dispose();
  });

  it('loading does not move the seeded generator', async () => {
    const { model } = await trainedModel();
    const packed = await model.save();
    setSeed(9);
    const a = randu([8]).dataSync();
    setSeed(9);
    const m = await Sequential.load(packed);
    const b = randu([8]).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    model.dispose(); m.dispose();
  });

  it('fromJSON without weights builds a freshly initialised model of the same topology', async () => {
    const { model } = await trainedModel();
    const m = Sequential.fromJSON(model.toJSON());
    expect(m.countParams()).toBe(model.countParams());
    model.dispose(); m.dispose();
  });
});

describe('corrupt or mismatched files throw FormatError saying what is wrong', () => {
  let json: any;
  let weights: Uint8Array;
  let packed: Uint8Array;
  beforeAll(async () => {
    const { model } = await trainedModel();
    json = model.toJSON();
    weights = model.weightsBytes();
    packed = await model.save();
    model.dispose();
  });
  const clone = () => JSON.parse(JSON.stringify(json));
  const expectFormat = (f: () => unknown, msg: RegExp) => {
    let err: unknown;
    try { f(); } catch (e) { err = e; }
    expect(err, `expected FormatError ${msg}`).toBeInstanceOf(FormatError);
    expect((err as Error).name).toBe('FormatError');
    expect((err as Error).message).toMatch(msg);
  };

  it('truncated weights', () => {
    expectFormat(() => Sequential.fromJSON(json, weights.subarray(0, weights.length - 7)), /weights.bin is truncated: its header announces \d+ float32 values \(\d+ bytes\) but only \d+ bytes follow/);
    expectFormat(() => Sequential.fromJSON(json, weights.subarray(0, 10)), /weights.bin is truncated: 10 bytes/);
  });
  it('wrong magic and wrong version', () => {
    const w = weights.slice(); w.set([0x50, 0x4b, 0x03, 0x04], 0);
    expectFormat(() => Sequential.fromJSON(json, w), /not a wasm-cnn weights file \(starts with "PK\\u0003\\u0004", expected "WCNW"\)/);
    const v = weights.slice(); new DataView(v.buffer).setUint32(4, 2, true);
    expectFormat(() => Sequential.fromJSON(json, v), /weights.bin has format version 2; this build reads version 1/);
    const j = clone(); j.formatVersion = 3;
    expectFormat(() => Sequential.fromJSON(j, weights), /model.json has format version 3; this build reads version 1/);
    const k = clone(); k.format = 'keras';
    expectFormat(() => Sequential.fromJSON(k, weights), /is not a wasm-cnn model \(format "keras"/);
  });
  it('corrupted values (checksum) and trailing bytes', () => {
    const w = weights.slice(); w[100] ^= 0x10;
    expectFormat(() => Sequential.fromJSON(json, w), /weights.bin is corrupt: CRC-32 of the values is 0x[0-9a-f]{8}, the header says 0x[0-9a-f]{8}/);
    const t = new Uint8Array(weights.length + 4); t.set(weights);
    expectFormat(() => Sequential.fromJSON(json, t), /4 unexpected trailing bytes/);
  });
  it('topology that does not match the weights', () => {
    const j = clone();
    const dense = j.model.layers.find((l: any) => l.className === 'Dense');
    dense.config.units = 4; // the layers now build dense/kernel [4,4], the manifest says [4,3]
    expectFormat(() => Sequential.fromJSON(j, weights), /does not match its topology: weight "dense\/kernel" has shape \[4,3\] in the manifest but the layers build \[4,4\]/);
    const k = clone();
    k.model.layers = k.model.layers.filter((l: any) => l.className !== 'PReLU');
    expectFormat(() => Sequential.fromJSON(k, weights), /does not match its topology: weight 8 is "p_re_lu\/alpha" in the manifest but the layers define "conv2d_transpose\/kernel"/);
    const m = clone();
    m.weights.tensors.pop(); m.weights.floats -= 3;
    expectFormat(() => Sequential.fromJSON(m, weights), /weights.bin holds \d+ float32 values but model.json lists tensors totalling \d+/);
    const n = clone(); n.weights.floats += 1;
    expectFormat(() => Sequential.fromJSON(n, weights), /weights.floats is \d+ but the tensors listed hold \d+ values/);
  });
  it('invalid JSON, unknown layers, invalid layer options, a model that cannot be built', () => {
    expectFormat(() => Sequential.fromJSON('{"format": "wasm-cnn-model", ', weights), /model.json is not valid JSON/);
    const j = clone(); j.model.layers[1].className = 'Conv3D';
    expectFormat(() => Sequential.fromJSON(j, weights), /invalid layer: unknown layer class "Conv3D"/);
    const k = clone(); k.model.layers[1].config.filters = -2;
    expectFormat(() => Sequential.fromJSON(k, weights), /invalid layer: conv2d: option 'filters' must be an integer >= 1, got -2/);
    const m = clone(); m.model.inputShape = [1, 1, 2];
    expectFormat(() => Sequential.fromJSON(m, weights), /cannot be built: max_pooling2d: input 1x1 is smaller than the 2x2 pool window/);
    expectFormat(() => Sequential.fromJSON({ ...clone(), model: undefined }, weights), /has no "model" object/);
  });
  it('packed buffers: truncated, wrong magic, a weights.bin alone', async () => {
    await expect(Sequential.load(packed.subarray(0, packed.length - 1))).rejects.toThrow(/the model file is truncated/);
    await expect(Sequential.load(new TextEncoder().encode('{"not": "a model"}'))).rejects.toThrow(FormatError);
    await expect(Sequential.load(weights)).rejects.toThrow(/a weights.bin file alone/);
  });
  it('files on disk: missing directory, missing weights.bin, corrupt weights.bin', async () => {
    await expect(Sequential.load(join(dir, 'does-not-exist'))).rejects.toThrow(/load: nothing found at/);
    const d = join(dir, 'partial');
    const { model } = await trainedModel();
    await model.save(d);
    model.dispose();
    const w = readFileSync(join(d, 'weights.bin'));
    writeFileSync(join(d, 'weights.bin'), w.subarray(0, 100));
    await expect(Sequential.load(d)).rejects.toThrow(/weights.bin is truncated/);
    rmSync(join(d, 'weights.bin'));
    await expect(Sequential.load(d)).rejects.toThrow(/weights.bin not found at/);
    expect(existsSync(join(d, 'model.json'))).toBe(true);
  });
  it('after a failed load the library keeps working', async () => {
    await expect(Sequential.load(packed.subarray(0, 20))).rejects.toThrow(FormatError);
    const m = await Sequential.load(packed);
    expect(m.countParams()).toBeGreaterThan(0);
    m.dispose();
  });
});

describe('runtime neutrality', () => {
  it('the main entry bundles for browsers: no static Node built-in import', async () => {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      entryPoints: [new URL('../src/index.ts', import.meta.url).pathname], bundle: true, write: false, format: 'esm',
      platform: 'browser', target: 'es2022', logLevel: 'silent', loader: { '.wasm': 'binary' },
    });
    const text = r.outputFiles[0].text;
    expect(text).not.toMatch(/from\s*["']node:|require\(["'](node:)?(fs|path|url)["']\)/);
    expect(text).toContain('WCNW');
  });
});
