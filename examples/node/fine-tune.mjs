// Fine-tuning an imported network: a small ResNet is trained here on five Fashion-MNIST classes
// (T-shirt, trouser, pullover, dress, coat) and exported to ONNX in PyTorch's NCHW layout — or any
// .onnx CNN is given with --onnx — then Model.fromOnnx turns the file back into a trainable graph
// Model: its classifier is replaced by a new dense head for the five other classes (sandal, shirt,
// sneaker, bag, ankle boot), the imported backbone is frozen, and only the head is trained on 1,000
// images of those classes. Prints the test accuracy on the new classes before and after, and checks
// that the backbone's weights did not move.
//
// The imported model takes the file's own layout, NCHW here as from PyTorch: [n, 1, 28, 28] images (with
// one channel the same values as the [n, 28, 28, 1] the backbone was trained on), and its parameters keep
// the file's initializer names.
//
// Run:  node examples/node/fine-tune.mjs                      (1-3 minutes on one core of a shared machine)
//       node examples/node/fine-tune.mjs --onnx net.onnx      (a backbone exported elsewhere: 1x28x28 input)
// Flags: --threads N, --pretrain N (images of the first five classes), --finetune N (images of the
//        other five), --epochs E (of fine-tuning), --onnx FILE, --data DIR (default
//        /usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, setSeed, backendInfo, tidy, noGrad, nn, ops, optim, data, tensor, Model, shutdown } from 'wasm-cnn';
import { parseFlags, FASHION_MNIST } from './train-loop.mjs';

const flags = parseFlags({ threads: 1, pretrain: 6000, finetune: 1000, epochs: 10, onnx: '', data: FASHION_MNIST });
await init({ threads: flags.threads });
setSeed(1);

/** The images (float32 [n, 28, 28, 1] in [0, 1]) and labels (int32, minus `offset`) of classes offset..offset+4, the first `limit`. */
function split(kind, offset, limit) {
  const images = data.parseIdx(readFileSync(join(flags.data, `${kind}-images-idx3-ubyte.gz`)));
  const labels = data.parseIdx(readFileSync(join(flags.data, `${kind}-labels-idx1-ubyte.gz`))).values;
  const picked = [];
  for (let i = 0; i < labels.length && picked.length < limit; i++) if (labels[i] >= offset && labels[i] < offset + 5) picked.push(i);
  const x = new Float32Array(picked.length * 784);
  picked.forEach((i, k) => { for (let p = 0; p < 784; p++) x[k * 784 + p] = images.values[i * 784 + p] / 255; });
  return { x: tensor(x, [picked.length, 28, 28, 1]), y: tensor(Int32Array.from(picked, (i) => labels[i] - offset), [picked.length], 'int32') };
}

/** Test accuracy in percent. */
function accuracy(model, { x, y }) {
  const truth = y.dataSync();
  const predicted = noGrad(() => tidy(() => ops.argMax(model.predict(x, { batchSize: 500 }), -1).dataSync()));
  return (100 * predicted.reduce((n, p, i) => n + (p === truth[i] ? 1 : 0), 0)) / truth.length;
}

/** A small ResNet (conv-BN-relu stem, three residual stages of 16/32/64 channels, global pool, dense). */
function smallResNet(classes) {
  const bn = () => nn.batchNorm({ momentum: 0.9, epsilon: 1e-5 });
  const conv = (filters, kernelSize, strides = 1) => nn.conv2d({ filters, kernelSize, strides, padding: kernelSize === 3 ? 1 : 0, useBias: false });
  const relu = () => nn.activation('relu');
  const input = nn.input({ shape: [28, 28, 1] });
  let x = relu().apply(bn().apply(conv(16, 3).apply(input)));
  for (const [width, stride] of [[16, 1], [32, 2], [64, 2]]) {
    let y = relu().apply(bn().apply(conv(width, 3, stride).apply(x)));
    y = bn().apply(conv(width, 3).apply(y));
    const skip = stride === 1 ? x : bn().apply(conv(width, 1, stride).apply(x));
    x = relu().apply(nn.add().apply([y, skip]));
  }
  const logits = nn.dense({ units: classes }).apply(nn.globalAvgPool2d().apply(x));
  return new Model({ inputs: input, outputs: logits, name: 'backbone' });
}

/** A split as NCHW [n, 1, 28, 28] images: one channel, so the same values in another shape. */
const nchw = ({ x, y }) => ({ x: x.reshape([x.shape[0], 1, 28, 28]), y });
const newClasses = { train: nchw(split('train', 5, flags.finetune)), test: nchw(split('t10k', 5, Infinity)) };
console.log(`${backendInfo().threads} thread(s); fine-tuning on ${newClasses.train.x.shape[0]} images of sandal/shirt/sneaker/bag/ankle boot, ` +
  `testing on ${newClasses.test.x.shape[0]}`);

let t0 = performance.now();
let onnxBytes;
if (flags.onnx) {
  onnxBytes = new Uint8Array(readFileSync(flags.onnx));
  console.log(`backbone: ${flags.onnx} (${onnxBytes.length} bytes)`);
} else {
  const oldClasses = { train: split('train', 0, flags.pretrain), test: split('t10k', 0, Infinity) };
  const backbone = smallResNet(5);
  backbone.compile({ optimizer: optim.adam({ lr: 3e-3 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
  await backbone.fit(oldClasses.train.x, oldClasses.train.y, { epochs: 2, batchSize: 64, shuffle: true, verbose: 0 });
  console.log(`backbone: trained on ${oldClasses.train.x.shape[0]} images of t-shirt/trouser/pullover/dress/coat in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
    `test accuracy ${accuracy(backbone, oldClasses.test).toFixed(2)}% on those classes`);
  onnxBytes = backbone.toOnnx({ layout: 'NCHW' }); // the layout of a PyTorch export
  console.log(`backbone exported to ONNX (NCHW): ${onnxBytes.length} bytes`);
  backbone.dispose();
}

// The imported network as a graph Model taking the file's NCHW images; its last dense layer is the old head.
const imported = await Model.fromOnnx(onnxBytes);
console.log(`imported: input ${JSON.stringify(imported.inputShape)}, parameters ${imported.parameters().slice(0, 2).map((p) => p.name).join(', ')}, ...`);
const oldHead = imported.layers.findLast((l) => l.className === 'Dense');
const features = oldHead.inboundNodes[0].inputs[0];
const head = nn.dense({ units: 5, name: 'new_head' }).apply(features);
const model = new Model({ inputs: imported.inputs, outputs: head, name: 'fine_tuned' });
for (const layer of model.layers) if (layer.name !== 'new_head') layer.trainable = false;
const frozen = model.weights().filter((w) => !w.name.startsWith('new_head/')).map((w) => [w, w.dataSync().slice()]);
console.log(`imported ${imported.layers.length} layers; ${model.parameters().length} trainable tensors (the new head), ${frozen.length} frozen`);

const before = accuracy(model, newClasses.test);
t0 = performance.now();
model.compile({ optimizer: optim.adam({ lr: 1e-2 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
await model.fit(newClasses.train.x, newClasses.train.y, { epochs: flags.epochs, batchSize: 50, shuffle: true, verbose: 0 });
const after = accuracy(model, newClasses.test);
const moved = frozen.filter(([w, v]) => w.dataSync().some((x, i) => !Object.is(x, v[i]))).length;
console.log(`fine-tuning: test accuracy ${before.toFixed(2)}% before, ${after.toFixed(2)}% after ${flags.epochs} epochs ` +
  `(${((performance.now() - t0) / 1000).toFixed(1)} s); frozen weights changed: ${moved}`);

// The fine-tuned model saves and loads like any model.
const reloaded = await Model.load(await model.save());
console.log(`saved and reloaded: test accuracy ${accuracy(reloaded, newClasses.test).toFixed(2)}%`);
shutdown();
