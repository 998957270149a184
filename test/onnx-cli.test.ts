// The ONNX CLI subcommands (src/cli/onnx.ts), called in-process: export-onnx on a saved model
// directory, predict with the .onnx file, the directory and a PyTorch (NCHW) export, and their
// one-line errors and exit codes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { Sequential, nn, setSeed, tensor, loadOnnx } from '../src/index.js';
import { exportOnnxCommand, predictCommand } from '../src/cli/onnx.js';
import type { Io as CliIo } from '../src/cli/io.js';
import { expectClose } from './harness/close.js';

let dir: string;
const capture = (): CliIo & { lines: string[]; errors: string[] } => {
  const lines: string[] = [], errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
};

/** A 28x28 digit-like stroke: white on black. */
function digitPixels(): Uint8Array {
  const px = new Uint8Array(28 * 28);
  for (let y = 5; y < 23; y++) for (let x = 12; x < 16; x++) px[y * 28 + x] = 255;
  return px;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-onnx-cli-'));
  setSeed(11);
  const model = new Sequential([
    nn.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
    nn.maxPool2d({ poolSize: 2 }),
    nn.flatten(),
    nn.dense({ units: 10 }),
  ], { inputShape: [28, 28, 1] });
  await model.save(join(dir, 'model'));
  const gray = digitPixels();
  writeFileSync(join(dir, 'digit.png'), encode({ width: 28, height: 28, data: gray, channels: 1, depth: 8 }));
  const rgba = new Uint8Array(28 * 28 * 4);
  for (let i = 0; i < 28 * 28; i++) rgba.set([gray[i], gray[i], gray[i], 255], i * 4);
  writeFileSync(join(dir, 'digit-rgba.png'), encode({ width: 28, height: 28, data: rgba, channels: 4, depth: 8 }));
  writeFileSync(join(dir, 'small.png'), encode({ width: 12, height: 12, data: new Uint8Array(144).fill(90), channels: 1, depth: 8 }));
  writeFileSync(join(dir, 'not.png'), 'hello');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('wasm-cnn export-onnx', () => {
  it('writes an ONNX file equivalent to the saved model', async () => {
    const io = capture();
    const out = join(dir, 'model.onnx');
    expect(await exportOnnxCommand([join(dir, 'model'), out], io)).toBe(0);
    expect(io.lines[0]).toMatch(/^wrote .*model\.onnx \(\d+ bytes, opset 13, input 'input' \[N,28,28,1\] NHWC, output 'output' \[N,10\]\)$/);
    const model = await Sequential.load(join(dir, 'model'));
    const net = await loadOnnx(readFileSync(out));
    const x = tensor(Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 17) / 17), [2, 28, 28, 1]);
    const a = model.predict(x).dataSync(), b = net.predict(x).dataSync();
    expectClose(b, a, { atol: 1e-5, what: 'ONNX vs saved model' });
  });

  it('--layout NCHW and --opset', async () => {
    const io = capture();
    expect(await exportOnnxCommand([join(dir, 'model'), join(dir, 'nchw.onnx'), '--layout', 'nchw', '--opset', '17'], io)).toBe(0);
    expect(io.lines[0]).toMatch(/opset 17, input 'input' \[N,1,28,28\] NCHW/);
  });

  it('usage and load errors: one line, exit codes 2 and 1', async () => {
    let io = capture();
    expect(await exportOnnxCommand([join(dir, 'model')], io)).toBe(2);
    expect(io.errors[0]).toMatch(/^wasm-cnn export-onnx: expects <model-dir> <out.onnx>/);
    io = capture();
    expect(await exportOnnxCommand([join(dir, 'model'), 'x.onnx', '--layout', 'NWHC'], io)).toBe(2);
    io = capture();
    expect(await exportOnnxCommand([join(dir, 'missing'), join(dir, 'never.onnx')], io)).toBe(1);
    expect(io.errors[0]).toMatch(/^wasm-cnn export-onnx: error: /);
    expect(existsSync(join(dir, 'never.onnx'))).toBe(false);
    io = capture();
    expect(await exportOnnxCommand(['--help'], io)).toBe(0);
    expect(io.lines[0]).toMatch(/^Usage: wasm-cnn export-onnx/);
  });
});

describe('wasm-cnn predict', () => {
  it('the .onnx file and the model directory give the same class and probabilities', async () => {
    const viaOnnx = capture(), viaDir = capture(), viaRgba = capture();
    expect(await predictCommand([join(dir, 'model.onnx'), join(dir, 'digit.png')], viaOnnx)).toBe(0);
    expect(await predictCommand([join(dir, 'model'), join(dir, 'digit.png'), '--top', '2'], viaDir)).toBe(0);
    expect(await predictCommand([join(dir, 'nchw.onnx'), join(dir, 'digit-rgba.png')], viaRgba)).toBe(0);
    expect(viaOnnx.lines[0]).toMatch(/^predicted class: \d \(probability 0\.\d{4}\)$/);
    expect(viaOnnx.lines).toHaveLength(4);
    expect(viaDir.lines).toHaveLength(3);
    expect(viaDir.lines[0]).toBe(viaOnnx.lines[0]);
    expect(viaRgba.lines[0]).toBe(viaOnnx.lines[0]);
  });

  it('a PyTorch NCHW export with its own image size', async () => {
    const io = capture();
    const onnx = new URL('./fixtures/onnx/view_mlp.onnx', import.meta.url).pathname;
    expect(await predictCommand([onnx, join(dir, 'small.png')], io)).toBe(0);
    expect(io.lines[0]).toMatch(/^predicted class: [0-3] /);
  });

  it('wrong image size, a non-PNG and a corrupt model are clear one-line errors', async () => {
    let io = capture();
    expect(await predictCommand([join(dir, 'model.onnx'), join(dir, 'small.png')], io)).toBe(1);
    expect(io.errors).toHaveLength(1);
    expect(io.errors[0]).toMatch(/small\.png is 12x12 but the model expects 28x28 images \(resize it first\)/);
    io = capture();
    expect(await predictCommand([join(dir, 'model.onnx'), join(dir, 'not.png')], io)).toBe(1);
    expect(io.errors[0]).toMatch(/FormatError: .*not\.png is not a readable PNG/);
    io = capture();
    expect(await predictCommand([join(dir, 'not.png'), join(dir, 'digit.png')], io)).toBe(1);
    expect(io.errors[0]).toMatch(/FormatError: loadOnnx: /);
    io = capture();
    expect(await predictCommand([join(dir, 'model.onnx')], io)).toBe(2);
  });
});
