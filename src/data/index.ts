export { parseIdx } from './idx.js';
export { augment } from './augment.js';
export { batches, type BatchesOptions } from './batches.js';
