// The `nn` namespace: Keras-style layer factories (API.md "Layers"), the layer classes, and the
// initialisers. Shapes are inferred on first call (or from a model's inputShape).
import { Conv2D, DepthwiseConv2D, Conv2DTranspose, type Conv2DOptions, type DepthwiseConv2DOptions, type Conv2DTransposeOptions } from './conv.js';
import {
  MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D,
  type Pool2DOptions, type ZeroPadding2DOptions,
} from './pooling.js';
import { Dense, Flatten, Dropout, Activation, PReLU, type DenseOptions, type DropoutOptions, type ActivationOptions, type PReLUOptions } from './core.js';
import { BatchNormalization, type BatchNormOptions } from './normalization.js';
import type { LayerOptions } from './layer.js';
import { Conv1D, type Conv1DOptions } from './conv1d.js';
import { SeparableConv2D, type SeparableConv2DOptions } from './separable.js';
import type { ActivationSpec } from './activations.js';
import { Add, Subtract, Multiply, Average, Maximum, Concatenate, type ConcatenateOptions } from './merge.js';

export { Layer, type LayerOptions, type ApplyOptions, type LayerJSON } from './layer.js';
export type { ActivationName, ActivationSpec } from './activations.js';
export {
  Conv2D, DepthwiseConv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
  GlobalMaxPooling2D, ZeroPadding2D, Dense, Flatten, Dropout, Activation, PReLU, BatchNormalization,
};
export type {
  Conv2DOptions, DepthwiseConv2DOptions, Conv2DTransposeOptions, Pool2DOptions, ZeroPadding2DOptions,
  DenseOptions, DropoutOptions, ActivationOptions, PReLUOptions, BatchNormOptions,
};
export { Conv1D, SeparableConv2D, type Conv1DOptions, type SeparableConv2DOptions };
import {
  glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, zeros, ones, constant,
  randomNormal, randomUniform, truncatedNormal,
} from './initializers.js';
export type { Initializer, InitializerSpec } from './initializers.js';

/** Keras' weight initialisers, for a layer's `kernelInitializer` / `biasInitializer`. */
export const initializers = {
  glorotUniform, glorotNormal, heUniform, heNormal, lecunUniform, lecunNormal, zeros, ones, constant,
  randomNormal, randomUniform, truncatedNormal,
};

export const conv2d = (opts: Conv2DOptions): Conv2D => new Conv2D(opts);
export const depthwiseConv2d = (opts: DepthwiseConv2DOptions): DepthwiseConv2D => new DepthwiseConv2D(opts);
export const conv2dTranspose = (opts: Conv2DTransposeOptions): Conv2DTranspose => new Conv2DTranspose(opts);
export const maxPool2d = (opts?: Pool2DOptions): MaxPooling2D => new MaxPooling2D(opts);
export const avgPool2d = (opts?: Pool2DOptions): AveragePooling2D => new AveragePooling2D(opts);
export const globalAvgPool2d = (opts?: GlobalPool2DOptions): GlobalAveragePooling2D => new GlobalAveragePooling2D(opts);
export const globalMaxPool2d = (opts?: GlobalPool2DOptions): GlobalMaxPooling2D => new GlobalMaxPooling2D(opts);
export const zeroPadding2d = (opts?: ZeroPadding2DOptions): ZeroPadding2D => new ZeroPadding2D(opts);
export const batchNorm = (opts?: BatchNormOptions): BatchNormalization => new BatchNormalization(opts);
export const dropout = (opts: DropoutOptions): Dropout => new Dropout(opts);
export const flatten = (opts?: LayerOptions): Flatten => new Flatten(opts);
export const dense = (opts: DenseOptions): Dense => new Dense(opts);
/** nn.activation('relu') or nn.activation({ activation: 'relu', name? }). */
export const activation = (opts: ActivationSpec | ActivationOptions): Activation => new Activation(opts);
export const prelu = (opts?: PReLUOptions): PReLU => new PReLU(opts);
export const conv1d = (opts: Conv1DOptions): Conv1D => new Conv1D(opts);
export const separableConv2d = (opts: SeparableConv2DOptions): SeparableConv2D => new SeparableConv2D(opts);
export { UpSampling2D, Resizing, upSampling2d, resizing, type UpSampling2DOptions, type ResizingOptions, type Interpolation } from './resizing.js';
export { Cropping2D, Reshape, cropping2d, reshape, type Cropping2DOptions, type ReshapeOptions } from './reshaping.js';
import { LayerNormalization, GroupNormalization, type LayerNormalizationOptions, type GroupNormalizationOptions } from './norms.js';
import type { GlobalPool2DOptions } from './pooling.js';
export { LayerNormalization, GroupNormalization, type LayerNormalizationOptions, type GroupNormalizationOptions, type GlobalPool2DOptions };
export const layerNormalization = (opts?: LayerNormalizationOptions): LayerNormalization => new LayerNormalization(opts);
export const groupNormalization = (opts: GroupNormalizationOptions): GroupNormalization => new GroupNormalization(opts);
export { Merge, Add, Subtract, Multiply, Average, Maximum, Concatenate, type ConcatenateOptions } from './merge.js';
export const add = (opts?: LayerOptions): Add => new Add(opts);
export const subtract = (opts?: LayerOptions): Subtract => new Subtract(opts);
export const multiply = (opts?: LayerOptions): Multiply => new Multiply(opts);
export const average = (opts?: LayerOptions): Average => new Average(opts);
export const maximum = (opts?: LayerOptions): Maximum => new Maximum(opts);
export const concatenate = (opts?: ConcatenateOptions): Concatenate => new Concatenate(opts);
export { input, InputLayer, type InputOptions } from './input.js';
export { SymbolicTensor } from './symbolic.js';
import { l1, l2, l1l2 } from './regularizers.js';
export type { Regularizer, RegularizerJSON, RegularizerSpec } from './regularizers.js';
/** Keras' weight regularisers, for a layer's `kernelRegularizer` / `biasRegularizer`. */
export const regularizers = { l1, l2, l1l2 };
export * from './preprocessing.js';
export { Permute, permute, type PermuteOptions } from './reshaping.js';
