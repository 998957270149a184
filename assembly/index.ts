// The module's whole ABI in one place: every export the host may call.
// Conventions: pointers are byte offsets into linear memory (usize), sizes are element counts,
// all float data is f32 little-endian, images are NHWC, conv weights HWIO.
export { alloc, free, memoryBytes } from './memory';
export * from './gemm';
export * from './core';
export * from './random';
export * from './loss';
export * from './optim';
export * from './batches';
export * from './metrics';
export * from './augment';
export * from './conv/im2col';
export * from './conv/direct';
export * from './conv/depthwise';
export * from './conv/depthwise-backward';
export * from './conv/epilogue';
export * from './conv/winograd';
export * from './conv/winograd-filter';
export * from './pool/max-forward';
export * from './pool/max-backward';
export * from './pool/avg';
export * from './pool/global';
export * from './elementwise/binary';
export * from './elementwise/unary';
export * from './dropout';
export * from './reduce';
export * from './shape';
export * from './batch-norm/statistics';
export * from './batch-norm/forward';
export * from './batch-norm/backward';
export * from './resize/forward';
export * from './resize/backward';
export * from './norm/statistics';
export * from './norm/forward';
export * from './norm/backward';
export * from './augment-affine';
export * from './augment-color';
export * from './gemv';
