#!/usr/bin/env node
// Writes bench/mnist-cnn.onnx: the benchmark's MNIST CNN as an ONNX graph (NCHW input
// [N,1,28,28], opset 13, seeded random weights) for onnxruntime-web, independent of `model.toOnnx()`.
// Usage: node bench/make-onnx.mjs [out.onnx]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// The library's own ONNX codec (static code generated from scripts/onnx.proto), not a second schema.
import { encodeModel } from '../dist/io/onnx/proto.js';

const FLOAT = 1; // TensorProto.DataType.FLOAT
const ATTR = { INT: 2, INTS: 7 };

// Deterministic weights (xorshift32, uniform in +-limit) so the committed file is reproducible.
function uniform(count, limit, state) {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state.s ^= state.s << 13; state.s >>>= 0;
    state.s ^= state.s >>> 17;
    state.s ^= state.s << 5; state.s >>>= 0;
    out[i] = (state.s / 4294967296 * 2 - 1) * limit;
  }
  return out;
}

function tensor(name, dims, values) {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}
const intAttr = (name, i) => ({ name, type: ATTR.INT, i });
const intsAttr = (name, ints) => ({ name, type: ATTR.INTS, ints });
const node = (opType, input, output, attribute = []) => ({ opType, input, output, name: output[0], attribute });
const valueInfo = (name, dims) => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

/** The MNIST CNN of bench/models.mjs as ONNX bytes: conv3x3x32 relu, maxpool2, conv3x3x64 relu,
 *  maxpool2, flatten, dense128 relu, dense10 softmax; 'same' padding; input NCHW [N,1,28,28]. */
export function makeMnistCnnOnnx({ seed = 1234 } = {}) {
  const state = { s: seed >>> 0 || 1 };
  // Glorot-uniform limits: sqrt(6 / (fanIn + fanOut)).
  const glorot = (fanIn, fanOut) => Math.sqrt(6 / (fanIn + fanOut));
  const init = [
    tensor('conv1.W', [32, 1, 3, 3], uniform(32 * 9, glorot(9, 32 * 9), state)),
    tensor('conv1.B', [32], new Float32Array(32)),
    tensor('conv2.W', [64, 32, 3, 3], uniform(64 * 32 * 9, glorot(32 * 9, 64 * 9), state)),
    tensor('conv2.B', [64], new Float32Array(64)),
    tensor('fc1.W', [3136, 128], uniform(3136 * 128, glorot(3136, 128), state)),
    tensor('fc1.B', [128], new Float32Array(128)),
    tensor('fc2.W', [128, 10], uniform(128 * 10, glorot(128, 10), state)),
    tensor('fc2.B', [10], new Float32Array(10)),
  ];
  const same3x3 = [intsAttr('kernel_shape', [3, 3]), intsAttr('pads', [1, 1, 1, 1]), intsAttr('strides', [1, 1])];
  const pool2 = [intsAttr('kernel_shape', [2, 2]), intsAttr('strides', [2, 2])];
  const nodes = [
    node('Conv', ['input', 'conv1.W', 'conv1.B'], ['conv1'], same3x3),
    node('Relu', ['conv1'], ['relu1']),
    node('MaxPool', ['relu1'], ['pool1'], pool2),
    node('Conv', ['pool1', 'conv2.W', 'conv2.B'], ['conv2'], same3x3),
    node('Relu', ['conv2'], ['relu2']),
    node('MaxPool', ['relu2'], ['pool2'], pool2),
    node('Flatten', ['pool2'], ['flat'], [intAttr('axis', 1)]),
    node('Gemm', ['flat', 'fc1.W', 'fc1.B'], ['fc1']),
    node('Relu', ['fc1'], ['relu3']),
    node('Gemm', ['relu3', 'fc2.W', 'fc2.B'], ['logits']),
    node('Softmax', ['logits'], ['probs'], [intAttr('axis', 1)]),
  ];
  const model = {
    irVersion: 8,
    producerName: 'wasm-cnn bench/make-onnx.mjs',
    producerVersion: '1',
    modelVersion: 1,
    docString: 'MNIST CNN benchmark network, random weights',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'mnist_cnn',
      node: nodes,
      initializer: init,
      input: [valueInfo('input', ['N', 1, 28, 28])],
      output: [valueInfo('probs', ['N', 10])],
    },
  };
  return encodeModel(model);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = process.argv[2] ?? fileURLToPath(new URL('./mnist-cnn.onnx', import.meta.url));
  const bytes = makeMnistCnnOnnx();
  writeFileSync(out, bytes);
  console.log(`wrote ${out} (${bytes.length} bytes)`);
}
