// The ops the layers call, in one place.
export * as ops from '../ops/index.js';
