// The `ops` namespace: every op of API.md, one file per family (forward and gradient side by side).
// Each family file appends its own `export * from` line here.
export * from './conv/index.js';
export * from './pool.js';
export * from './elementwise.js';
export * from './activations.js';
export * from './reduce.js';
export * from './shape.js';
export * from './normalization.js';
export * from './matmul.js';
