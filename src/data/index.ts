export { parseIdx } from './idx.js';
export { augment } from './augment.js';
