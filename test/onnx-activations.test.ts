// toOnnx of relu6, hardSigmoid, hardSwish, silu / swish and softplus: the ONNX ops each becomes
// (HardSwish itself from opset 14 on, x * HardSigmoid(x) before), onnxruntime-web on the opset-14
// graph within 1e-4 of ours, and loadOnnx reading it back. test/onnx-export.test.ts runs the
// opset-13 graph through the same checks as every exported model.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, nn, randu, setSeed, loadOnnx, type Tensor } from '../src/index.js';
import { sequentialToOnnxMessage } from '../src/io/onnx/export.js';
import { expectClose } from './harness/close.js';
import { loadOrt, type Ort } from './harness/ort.js';

describe('toOnnx of the mobile activations', () => {
  let ort: Ort;
  let model: Sequential;
  let x: Tensor;
  let ours: Float32Array;

  beforeAll(async () => {
    ort = await loadOrt();
    setSeed(11);
    model = new Sequential([
      nn.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu6' }),
      nn.activation('hardSwish'),
      nn.conv2d({ filters: 4, kernelSize: 1, activation: 'swish' }),
      nn.activation('hard_sigmoid'),
      nn.flatten(),
      nn.dense({ units: 5, activation: 'softplus' }),
    ], { inputShape: [5, 5, 2] });
    // inputs spread enough to reach every kink (-3, 0, 3, 6) somewhere in the net
    x = randu([2, 5, 5, 2], { low: -6, high: 6 });
    ours = model.predict(x).dataSync() as Float32Array;
  });

  const opTypes = (opset: number) => sequentialToOnnxMessage(model, { opset }).graph!.node!.map((n) => n.opType);

  it('writes Clip, HardSwish (opset >= 14) or x * HardSigmoid, x * Sigmoid, HardSigmoid, Softplus', () => {
    expect(opTypes(14)).toEqual(['Transpose', 'Conv', 'Clip', 'HardSwish', 'Conv', 'Sigmoid', 'Mul', 'HardSigmoid', 'Transpose', 'Flatten', 'Gemm', 'Softplus']);
    expect(opTypes(13)).toEqual(['Transpose', 'Conv', 'Clip', 'HardSigmoid', 'Mul', 'Conv', 'Sigmoid', 'Mul', 'HardSigmoid', 'Transpose', 'Flatten', 'Gemm', 'Softplus']);
    const hardSigmoid = sequentialToOnnxMessage(model, { opset: 14 }).graph!.node!.find((n) => n.opType === 'HardSigmoid')!;
    expect(hardSigmoid.attribute!.map((a) => [a.name, a.f])).toEqual([['alpha', 1 / 6], ['beta', 0.5]]);
  });

  it('onnxruntime-web runs the opset-14 graph within 1e-4 of ours, and loadOnnx reads it back', async () => {
    const bytes = model.toOnnx({ opset: 14 });
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const result = await session.run({ input: new ort.Tensor('float32', x.dataSync() as Float32Array, x.shape.slice()) });
    await session.release();
    expectClose(result.output.data as Float32Array, ours, { atol: 1e-4, what: 'onnxruntime-web vs ours' });
    const net = await loadOnnx(bytes);
    const y = net.predict(x);
    expectClose(y.dataSync(), ours, { atol: 1e-6, what: 'loadOnnx vs ours' });
    y.dispose();
    net.dispose();
  });
});
