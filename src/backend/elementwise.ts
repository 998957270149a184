// Elementwise kernels over the worker pool: contiguous element ranges, one per thread. Each
// element is computed by the same operations whatever range holds it, so the bits do not depend
// on the thread count. Below splitTuning.elements elements one thread runs the whole range.
import { splitParts, splitRows, splitThreads, splitTuning } from './parallel.js';

/** The element ranges [i0, i1) of [0, n) one elementwise pass is split into (whole 64-byte lines): one when n is small. */
export function elementRanges(n: number): [number, number][] {
  const threads = splitThreads();
  return threads < 2 || n < splitTuning.elements ? [[0, n]] : splitRows(n, splitParts(), 16);
}

/** Ranges [r0, r1) of `rows` rows of `cols` elements, split like elementRanges by their element count. */
export function rowRanges(rows: number, cols: number): [number, number][] {
  const threads = splitThreads();
  return threads < 2 || rows * cols < splitTuning.elements ? [[0, rows]] : splitRows(rows, splitParts());
}
