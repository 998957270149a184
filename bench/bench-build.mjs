// The bench-only kernel build: the library kernels plus the register-only peak loops (peakMadd,
// peakMaddChains, peakMaddIntHeavy, assembly/bench/peak.ts) that the shipped builds leave out.
// scripts/build.mjs writes it to build/bench/ in the baseline and relaxed-SIMD variants; it is not
// part of the package.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kernelImports } from '../dist/backend/protocol.js';

/** Path of the bench build of `variant` ('baseline' | 'relaxed'). */
export function benchWasmPath(variant) {
  return fileURLToPath(new URL(`../build/bench/wasm-cnn${variant === 'relaxed' ? '.relaxed' : ''}.wasm`, import.meta.url));
}

/**
 * The exports of a standalone instance of the bench build of `variant` (pick the variant the
 * library runs, backendInfo().variant, so the peak is that build's). Its peak loops touch no
 * memory, so timing them here is timing them next to the library's kernels.
 */
export function benchKernels(variant) {
  const path = benchWasmPath(variant);
  if (!existsSync(path)) throw new Error(`the bench kernel build ${path} is missing: run node scripts/build.mjs`);
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), kernelImports()).exports;
}
