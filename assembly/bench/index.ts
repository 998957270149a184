// Entry of the bench-only build (build/bench/, made by scripts/build.mjs, not shipped): every
// library kernel, plus the register-only peak loops the benchmarks measure GEMM against.
export * from '../index';
export * from './peak';
