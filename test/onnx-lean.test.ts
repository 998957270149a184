// How loadOnnx holds an imported network (API.md "ONNX"): each float weight once in wasm memory
// (liveBytes after loading equals the float32 bytes of the graph's initializers and the constants its
// steps read, conv weights included though they are transposed), no reference to the caller's
// bytes (overwriting them after loading changes nothing), raw data at any byte offset, and the
// warm-up run at load leaves no tensor behind and changes no output.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadOnnx, tensor, backendInfo } from '../src/index.js';
import { onnx } from '../src/io/onnx/pb.js';
import { maxAbsDiff } from './harness/close.js';

const dir = new URL('./fixtures/onnx/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('zoo_expected.json', dir), 'utf8')) as {
  models: Record<string, { inputShape: number[]; outputShape: number[]; output: number[] }>;
};
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`${name}.onnx`, dir)));

interface Decoded { graph: { initializer: { dataType: number; dims: number[]; rawData?: Uint8Array }[] } }
const codec = onnx as unknown as { ModelProto: { decode(b: Uint8Array): Decoded } };

/** The bytes of the float32 initializers of a model. */
function floatInitializerBytes(bytes: Uint8Array): number {
  return codec.ModelProto.decode(bytes).graph.initializer
    .filter((t) => t.dataType === 1)
    .reduce((n, t) => n + 4 * t.dims.reduce((a, d) => a * Number(d), 1), 0);
}

function waveInput(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => Math.fround(2 * Math.sin(0.731 * i + 0.1)));
}

async function checkOutput(net: Awaited<ReturnType<typeof loadOnnx>>, name: string): Promise<void> {
  const e = expected.models[name];
  const x = tensor(waveInput(e.inputShape), e.inputShape);
  const y = net.predict(x);
  const scale = Math.max(...e.output.map(Math.abs));
  expect(maxAbsDiff(y.dataSync(), e.output)).toBeLessThanOrEqual(1e-4 * scale);
  x.dispose(); y.dispose();
}

describe('each weight once', () => {
  it.each(['mobilenet_v3_large', 'mnasnet', 'shufflenet_v2', 'deeplabv3_mobilenet_v3', 'convnext'])('%s: liveBytes after loading = the float initializers, at most 1.1x the file', async (name) => {
    const bytes = fixture(name);
    const before = backendInfo().liveBytes;
    const net = await loadOnnx(bytes);
    const live = backendInfo().liveBytes - before;
    const weights = floatInitializerBytes(bytes);
    console.log(`onnx lean ${name}: live ${live} bytes, float initializers ${weights}, file ${bytes.length}`);
    expect(live).toBeGreaterThanOrEqual(weights);
    // Above the initializers: only the small float constants of Constant nodes (scalars, shapes).
    expect(live).toBeLessThanOrEqual(weights + 4096);
    expect(live).toBeLessThanOrEqual(1.1 * bytes.length);
    net.dispose();
    expect(backendInfo().liveBytes).toBe(before);
  });
});

describe('the loaded model does not read the file again', () => {
  it.each([true, false])('overwriting the bytes after loading (warmUp %s) leaves the outputs as they were', async (warmUp) => {
    const bytes = fixture('mobilenet_v3_small');
    const net = await loadOnnx(bytes, { warmUp });
    bytes.fill(0x7f);
    await checkOutput(net, 'mobilenet_v3_small');
    net.dispose();
  });

  it.each([1, 2, 3])('the file at byte offset %i of a larger buffer (float raw data unaligned) loads the same weights', async (offset) => {
    const file = fixture('shufflenet_v2');
    const buffer = new Uint8Array(file.length + 8);
    buffer.set(file, offset);
    const net = await loadOnnx(buffer.subarray(offset, offset + file.length));
    buffer.fill(0);
    await checkOutput(net, 'shufflenet_v2');
    net.dispose();
  });
});

describe('warm-up at load', () => {
  it('leaves no tensor behind and gives the outputs a load without it gives', async () => {
    const bytes = fixture('lraspp_mobilenet_v3');
    const e = expected.models.lraspp_mobilenet_v3;
    const tensorsBefore = backendInfo().liveTensors;
    const cold = await loadOnnx(bytes, { warmUp: false });
    const coldTensors = backendInfo().liveTensors - tensorsBefore;
    cold.dispose();
    const warm = await loadOnnx(bytes);
    expect(backendInfo().liveTensors - tensorsBefore).toBe(coldTensors);
    const x = tensor(waveInput(e.inputShape), e.inputShape);
    const a = warm.predict(x);
    const b = (await loadOnnx(bytes, { warmUp: false })).predict(x);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    x.dispose(); a.dispose(); b.dispose();
    warm.dispose();
  });
});
