// Elementwise kernels over the worker pool: contiguous element ranges, one per thread. Each
// element is computed by the same operations whatever range holds it, so the bits do not depend
// on the thread count.
import { splitRows, splitThreads } from './parallel.js';

/**
 * Below this many elements one thread runs the whole range: waking a worker costs a few
 * microseconds, which a pass over 64K floats (~10-30 µs) only just repays.
 */
export const ELEMENTWISE_MIN_PARALLEL = 1 << 16;

/** The element ranges [i0, i1) of [0, n) one elementwise pass is split into (whole 64-byte lines): one when n is small. */
export function elementRanges(n: number): [number, number][] {
  const threads = splitThreads();
  return threads < 2 || n < ELEMENTWISE_MIN_PARALLEL ? [[0, n]] : splitRows(n, threads, 16);
}

/** Ranges [r0, r1) of `rows` rows of `cols` elements, split like elementRanges by their element count. */
export function rowRanges(rows: number, cols: number): [number, number][] {
  const threads = splitThreads();
  return threads < 2 || rows * cols < ELEMENTWISE_MIN_PARALLEL ? [[0, rows]] : splitRows(rows, threads);
}
