// What one imported graph may allocate. Float tensors live in wasm memory, where one block holds
// at most 1 GiB; integer tensors (shapes, axes, indices) live on the JS heap as arrays of numbers
// (8 bytes each), so they get a lower cap, checked before any array is made, plus a budget for
// everything integer one load or one run creates: a tiny file cannot exhaust the heap.
import { sizeOf, fmtShape } from '../../fmt.js';

/** The largest float tensor the importer makes, in elements (1 GiB of float32). */
export const MAX_ELEMENTS = 1 << 28;
/** The largest integer tensor, in elements (32 MiB as JS numbers). */
export const MAX_INT_ELEMENTS = 1 << 22;
/** Integer elements one load (constant folding) or one run may create in all (128 MiB). */
export const MAX_INT_ELEMENTS_PER_RUN = 1 << 24;

/** Whether every dim is a non-negative safe integer. */
export function validDims(dims: readonly number[]): boolean {
  return dims.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/**
 * The element count of `dims`, or an explanation of why no tensor of that shape can be made
 * (a dim that is not a non-negative integer, or more than `limit` elements).
 */
export function checkedSize(dims: readonly number[], limit: number): number | string {
  if (!validDims(dims)) return `shape ${fmtShape(dims)} is not a list of non-negative integers`;
  const n = sizeOf(dims);
  if (n > limit) return `shape ${fmtShape(dims)} has ${n} elements, over the limit of ${limit}`;
  return n;
}
