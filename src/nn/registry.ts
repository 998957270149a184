// Layer classes by their Keras class name: how a saved model's layers are rebuilt from JSON.
import { Conv2D, DepthwiseConv2D, Conv2DTranspose } from './conv.js';
import { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D } from './pooling.js';
import { Dense, Flatten, Dropout, Activation, PReLU } from './core.js';
import { BatchNormalization } from './normalization.js';
import { UpSampling2D, Resizing } from './resizing.js';
import { Cropping2D, Reshape, Permute } from './reshaping.js';
import type { Layer, LayerJSON } from './layer.js';
import { Conv1D } from './conv1d.js';
import { SeparableConv2D } from './separable.js';
import { LayerNormalization, GroupNormalization } from './norms.js';
import { Add, Subtract, Multiply, Average, Maximum, Concatenate } from './merge.js';
import { ValueError, fmtValue } from '../errors.js';
import { RandomFlip, RandomRotation, RandomZoom, RandomContrast, RandomBrightness } from './preprocessing.js';

type LayerClass = new (config: any) => Layer;
const CLASSES: Record<string, LayerClass> = {
  Conv2D, DepthwiseConv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
  GlobalMaxPooling2D, ZeroPadding2D, BatchNormalization, Dropout, Flatten, Dense, Activation, PReLU,
  Conv1D,
  SeparableConv2D,
  UpSampling2D, Resizing, Cropping2D, Reshape,
  LayerNormalization,
  GroupNormalization,
  Add, Subtract, Multiply, Average, Maximum, Concatenate,
  RandomFlip, RandomRotation, RandomZoom, RandomContrast, RandomBrightness,
  Permute,
};

/** Rebuilds a layer from its toJSON() form; ValueError for an unknown class. */
export function layerFromJSON(json: LayerJSON): Layer {
  const cls = json && typeof json.className === 'string' && Object.prototype.hasOwnProperty.call(CLASSES, json.className)
    ? CLASSES[json.className] : undefined;
  if (!cls) {
    throw new ValueError(`unknown layer class ${fmtValue(json?.className)} (known: ${Object.keys(CLASSES).join(', ')})`);
  }
  return new cls({ ...(json.config ?? {}) });
}
