// The BatchNormalization layer's kernel calls, split over the worker pool: the per-channel sums
// (moments, and dgamma / dbeta in backward) by ranges of channels, the elementwise passes
// (normalising, dx) by ranges of rows. Every value is computed by the same operations as on one
// thread, so any thread count gives the same bits.
import { kernels, workspace, WorkspaceSlot } from '../backend/wasm.js';
import { parallel, splitRows, splitThreads } from '../backend/parallel.js';

/** Scratch slot for the f64 per-channel accumulators. */
const SCRATCH_SLOT = WorkspaceSlot.BatchNorm;

/** Below this many values a batch-norm pass runs on one thread (a dispatch costs more than it saves). */
const PARALLEL_MIN_VALUES = 1 << 17;

function parts(rows: number, c: number, n: number, align: number): [number, number][] {
  const threads = splitThreads();
  return threads > 1 && rows * c >= PARALLEL_MIN_VALUES ? splitRows(n, threads, align) : [[0, n]];
}

/** mean, variance [c] (biased) of x [rows, c]. */
export function bnMomentsInto(x: number, rows: number, c: number, mean: number, variance: number): void {
  const k = kernels();
  const scratch = workspace(c * 24, SCRATCH_SLOT);
  parallel(k.bnMoments, parts(rows, c, c, 4).map(([j0, j1]) => [x, rows, c, mean, variance, scratch, j0, j1]));
}

/** out = gamma * (x - mean) * invstd + beta, with invstd [c] written for the backward pass. */
export function bnForwardInto(x: number, rows: number, c: number, mean: number, variance: number, gamma: number,
                              beta: number, eps: number, out: number, invstd: number): void {
  const k = kernels();
  k.bnInvStd(variance, c, eps, invstd);
  parallel(k.bnNormalize, parts(rows, c, rows, 1).map(([r0, r1]) =>
    [x + 4 * r0 * c, r1 - r0, c, mean, invstd, gamma, beta, out + 4 * r0 * c]));
}

/** dx, dgamma, dbeta from the output gradient g; `training`: mean and variance were the batch's own. */
export function bnBackwardInto(x: number, g: number, rows: number, c: number, mean: number, invstd: number, gamma: number,
                               dx: number, dgamma: number, dbeta: number, training: boolean): void {
  const k = kernels();
  const scratch = workspace(c * 16, SCRATCH_SLOT);
  parallel(k.bnBackwardSums, parts(rows, c, c, 4).map(([j0, j1]) => [x, g, rows, c, mean, invstd, dgamma, dbeta, scratch, j0, j1]));
  parallel(k.bnBackwardInput, parts(rows, c, rows, 1).map(([r0, r1]) =>
    [x + 4 * r0 * c, g + 4 * r0 * c, r1 - r0, c, rows, mean, invstd, gamma, dgamma, dbeta, dx + 4 * r0 * c, training ? 1 : 0]));
}
