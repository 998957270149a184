// The model presets of `wasm-cnn train` (layers plus their training defaults) and the names the
// optimizer and schedule options accept.
import { nn, Model, Sequential } from '../index.js';
import type { Layer, SymbolicTensor } from '../nn/index.js';

export interface Preset {
  description: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  schedule: string;
  augment: string;
  /** Builds the layer list for `numClasses` outputs (logits) of a Sequential preset. */
  layers?: (numClasses: number) => Layer[];
  /** Builds a graph model for images of `inputShape` [h, w, c] and `numClasses` outputs (logits). */
  graph?: (inputShape: number[], numClasses: number) => Model;
}

/** The preset's model for images of `inputShape` [h, w, c] and `numClasses` classes. */
export function buildPreset(p: Preset, inputShape: number[], numClasses: number): Model {
  return p.graph ? p.graph(inputShape, numClasses) : new Sequential(p.layers!(numClasses), { inputShape });
}

/**
 * A small CIFAR-style ResNet (examples/node/architectures.mjs at one block per stage): stem
 * conv3x3-BN-relu, three stages of one residual block (conv3x3-BN-relu-conv3x3-BN plus the skip,
 * 1x1 conv+BN projection where the width or stride changes, then relu) of 16, 32 and 64 channels,
 * stages 2 and 3 at stride 2; global average pool; dense logits.
 */
function smallResnet(inputShape: number[], classes: number): Model {
  const bn = (name: string) => nn.batchNorm({ epsilon: 1e-3, momentum: 0.9, name });
  const conv = (name: string, filters: number, kernelSize: number, strides = 1) =>
    nn.conv2d({ filters, kernelSize, strides, padding: kernelSize === 3 ? 1 : 0, useBias: false, name });
  const relu = (name: string) => nn.activation({ activation: 'relu', name });
  const input = nn.input({ shape: inputShape, name: 'image' });
  let x: SymbolicTensor = relu('stem_relu').apply(bn('stem_bn').apply(conv('stem_conv', 16, 3).apply(input)));
  let cin = 16;
  [16, 32, 64].forEach((width, stage) => {
    const stride = stage > 0 ? 2 : 1;
    const name = `block${stage}`;
    let y = relu(`${name}_relu1`).apply(bn(`${name}_bn1`).apply(conv(`${name}_conv1`, width, 3, stride).apply(x)));
    y = bn(`${name}_bn2`).apply(conv(`${name}_conv2`, width, 3).apply(y));
    const skip = stride !== 1 || cin !== width ? bn(`${name}_project_bn`).apply(conv(`${name}_project_conv`, width, 1, stride).apply(x)) : x;
    x = relu(`${name}_out`).apply(nn.add({ name: `${name}_add` }).apply([y, skip]));
    cin = width;
  });
  const logits = nn.dense({ units: classes, name: 'head' }).apply(nn.globalAvgPool2d({ name: 'pool' }).apply(x));
  return new Model({ inputs: input, outputs: logits, name: 'resnet' });
}

export const PRESETS: Record<string, Preset> = {
  lenet: {
    description: 'LeNet-style CNN (the default): conv 5x5 16 relu - maxpool 2 - conv 5x5 32 relu - maxpool 2 - dense 128 relu - dropout 0.25 - dense',
    // With these defaults, seeds 1-5 score 98.45-98.80% on the 2,000 held-out MNIST digits.
    epochs: 12,
    batchSize: 64,
    optimizer: 'adam',
    lr: 0.003,
    schedule: 'cosine',
    augment: 'crop:2',
    layers: (k) => [
      nn.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
      nn.maxPool2d({ poolSize: 2 }),
      nn.conv2d({ filters: 32, kernelSize: 5, activation: 'relu' }),
      nn.maxPool2d({ poolSize: 2 }),
      nn.flatten(),
      nn.dense({ units: 128, activation: 'relu' }),
      nn.dropout({ rate: 0.25 }),
      nn.dense({ units: k }),
    ],
  },
  bn: {
    description: "'2 Conv + pooling + BN' of Fashion-MNIST's benchmark table: conv 3x3 32 - batch norm - relu - maxpool 2 - conv 3x3 64 - batch norm - relu - maxpool 2 - dense 128 relu - dropout 0.3 - dense",
    epochs: 8,
    batchSize: 64,
    optimizer: 'adam',
    lr: 0.001,
    schedule: 'cosine',
    augment: 'none',
    layers: (k) => [
      nn.conv2d({ filters: 32, kernelSize: 3, padding: 'same', useBias: false }),
      nn.batchNorm(),
      nn.activation('relu'),
      nn.maxPool2d({ poolSize: 2 }),
      nn.conv2d({ filters: 64, kernelSize: 3, padding: 'same', useBias: false }),
      nn.batchNorm(),
      nn.activation('relu'),
      nn.maxPool2d({ poolSize: 2 }),
      nn.flatten(),
      nn.dense({ units: 128, activation: 'relu' }),
      nn.dropout({ rate: 0.3 }),
      nn.dense({ units: k }),
    ],
  },
  resnet: {
    description: 'a small ResNet (graph model): stem conv 3x3 16 - BN - relu, three residual blocks of 16, 32, 64 channels (the last two at stride 2, with 1x1 projections) - global average pool - dense',
    epochs: 10,
    batchSize: 64,
    optimizer: 'adam',
    lr: 0.002,
    schedule: 'cosine',
    augment: 'none',
    graph: smallResnet,
  },
};

export const SCHEDULES = ['constant', 'cosine', 'step'];
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta'];
