export { parseIdx } from './idx.js';
export { augment } from './augment.js';
export { batches, type BatchesOptions } from './batches.js';
export { decodeImage, type DecodeImageOptions } from './decode-image.js';
export { toFloat, centerCrop, fromPixels, type ToFloatOptions, type PixelData } from './preprocess.js';
export { dataset, Dataset, type DatasetSource, type ShuffleOptions, type BatchOptions, type Batched } from './dataset.js';
export { decodeImageBatch, type ImageBatchOptions } from './image-folder-batch.js';
