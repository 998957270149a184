// The model presets of `wasm-cnn train` (layers plus their training defaults) and the names the
// optimizer and schedule options accept.
import { nn } from '../index.js';
import type { Layer } from '../nn/index.js';

export interface Preset {
  description: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  schedule: string;
  augment: string;
  /** Builds the layer list for images of `inputShape` and `numClasses` outputs (logits). */
  layers: (numClasses: number) => Layer[];
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
};

export const SCHEDULES = ['constant', 'cosine', 'step'];
export const OPTIMIZERS = ['sgd', 'momentum', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta'];
