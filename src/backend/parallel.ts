// Running one kernel over the worker pool, and how work is split for it. Work is split by OUTPUT
// only, so every output element is computed by exactly the operations of the single-threaded
// kernel and results are bit-identical for any thread count.
import { backend, threadCount } from './wasm.js';

/** A kernel export (a function of `kernels()`) taking the argument list A. */
export type KernelFunction<A extends number[] = number[]> = (...args: A) => unknown;

/**
 * Runs `kernel` (a function of `kernels()`) once per argument list, in parallel when a pool is
 * running: list 0 on the calling thread, the others on workers. Each list is typed as the
 * kernel's parameters, so a kernel whose arguments change fails to compile here.
 */
export function parallel<A extends number[]>(kernel: KernelFunction<A>, argsPerThread: NoInfer<A>[]): void {
  const b = backend();
  if (b.pool && argsPerThread.length > 1) b.pool.run(kernel as KernelFunction, argsPerThread);
  else for (const a of argsPerThread) kernel(...a);
}

/** Threads one kernel is split over at most (the pool size, capped where splitting stops paying). */
export function splitThreads(): number {
  return Math.min(threadCount(), 16);
}

/** Parts of one split at most: a conv's parts each take a 64-byte argument block of the 1 KB IntArgs slot. */
const MAX_PARTS = 16;

/**
 * Parts a kernel that splits over the pool is cut into: splitTuning.partsPerThread per thread.
 * The pool hands parts to whichever thread asks first, so with more parts than threads a core
 * slowed by its neighbours (a busy SMT sibling on the host) takes fewer of them.
 */
export function splitParts(): number {
  const threads = splitThreads();
  return threads < 2 ? 1 : Math.min(MAX_PARTS, threads * splitTuning.partsPerThread);
}

/** Splits rows [0, rows) into `parts` contiguous ranges aligned to `align` rows. */
export function splitRows(rows: number, parts: number, align = 1): [number, number][] {
  const units = Math.ceil(rows / align);
  const n = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let t = 0; t < n; t++) {
    const u0 = Math.floor((units * t) / n), u1 = Math.floor((units * (t + 1)) / n);
    out.push([Math.min(rows, u0 * align), Math.min(rows, u1 * align)]);
  }
  return out;
}

/**
 * Work below which a kernel runs on one thread, per kind of kernel (docs/DESIGN-NOTES.md, "Work
 * floors"): a parallel region costs a dispatch plus the threads meeting at its end, which small
 * work does not repay.
 */
export const splitTuning = {
  /** Parts per thread of a split kernel (splitParts). */
  partsPerThread: 1,
  /** Convolution, pooling and resize: multiply-adds (or window reads). */
  work: 1 << 20,
  /** GEMM (dense, pointwise conv): multiply-adds. */
  gemmMacs: 1 << 21,
  /** Elementwise passes: elements. */
  elements: 1 << 18,
  /**
   * GEMM over threads: split the output columns instead of the rows when there are more columns
   * than rows (a batch-1 pointwise conv on a 7x7 or 14x14 map). Each thread then packs only its
   * columns of B and all of A (of the two, A is the smaller); false: rows unless too few of them.
   */
  gemmColumnsWhenWider: true,
  /**
   * One-row products with B stored [N, K] (batch-1 dense layers on ONNX Gemm weights, transB)
   * stream B four rows at a time (assembly/gemv-t.ts) instead of gemm's packed path: same bits.
   */
  gemvTransposedB: true,
};

/** One thread's share of an NHWC output: images [n0, n1) or (batch 1) output rows [oh0, oh1). */
export interface OutputPart { n0: number; n1: number; oh0: number; oh1: number }

/**
 * Splits [batch, outH] output over the pool: by images when batch > 1, by output rows (aligned to
 * rowAlign) for one image unless allowRows is false. One part when work is below the threshold.
 */
export function splitOutput(batch: number, outH: number, work: number, allowRows = true, rowAlign = 1): OutputPart[] {
  const threads = splitThreads();
  if (threads < 2 || work < splitTuning.work) return [{ n0: 0, n1: batch, oh0: 0, oh1: outH }];
  const parts = splitParts();
  if (batch > 1) return splitRows(batch, parts).map(([n0, n1]) => ({ n0, n1, oh0: 0, oh1: outH }));
  if (batch === 1 && allowRows) return splitRows(outH, parts, rowAlign).map(([oh0, oh1]) => ({ n0: 0, n1: 1, oh0, oh1 }));
  return [{ n0: 0, n1: batch, oh0: 0, oh1: outH }];
}
