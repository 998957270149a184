import { defineConfig } from 'vitest/config';

// WASM_CNN_SIMD=relaxed runs the suite on the relaxed-SIMD (FMA) build; Node 20 needs the flag.
const relaxed = process.env.WASM_CNN_SIMD === 'relaxed';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    execArgv: relaxed ? ['--experimental-wasm-relaxed-simd'] : [],
  },
});
