// The `ops` namespace: every op of API.md, one file per family (forward and gradient side by side).
// Each family file appends its own `export * from` line here.
export * from './conv.js';
export * from './pool.js';
