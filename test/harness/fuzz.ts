// What the property tests share: the case budget (WASM_CNN_FUZZ_SCALE=10 runs ten times as many
// cases, a deeper run than CI's), deterministic values, and a per-file summary of the cases run,
// printed when the file ends.
import { afterAll } from 'vitest';
import { backendInfo } from '../../src/index.js';

export const SCALE = Number(process.env.WASM_CNN_FUZZ_SCALE ?? 1);
export const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
export const live = () => backendInfo().liveTensors;
export const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Deterministic float32 values in [lo, hi). */
export function vals(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return out;
}

/** A counter of cases by kind; its table is printed after the file's tests. */
export function caseCounter(title: string): (kind: string) => void {
  const counts: Record<string, number> = {};
  afterAll(() => {
    const width = Math.max(...Object.keys(counts).map((k) => k.length));
    const lines = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
    // Kinds named '... of the above ...' count a subset of other cases again.
    const total = Object.entries(counts).filter(([k]) => !k.includes('of the above')).reduce((a, [, v]) => a + v, 0);
    console.log(`${title} (scale ${SCALE}):\n${lines.join('\n')}\n  ${'total'.padEnd(width)}  ${total}`);
  });
  return (kind) => { counts[kind] = (counts[kind] ?? 0) + 1; };
}
