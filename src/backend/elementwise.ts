// Elementwise kernels over the worker pool: contiguous element ranges, one per thread. Each
// element is computed by the same operations whatever range holds it, so the bits do not depend
// on the thread count.
import { splitRows, splitThreads } from './parallel.js';

/**
 * Below this many elements one thread runs the whole range: waking a sleeping worker costs tens
 * of microseconds, which a pass over 1 MB of floats (~50-100 µs) repays.
 */
export const ELEMENTWISE_MIN_PARALLEL = 1 << 18;

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
