// ops.resize: nearest / bilinear resampling of NHWC images ([N, H, W, C] or one [H, W, C]), with
// its gradient right below the forward. Geometry: ./geometry.ts; kernels: assembly/resize/.
import { Tensor, record } from '../../tensor.js';
import { heapU8, kernels, workspace, align16, WorkspaceSlot } from '../../backend/wasm.js';
import { parallel, splitOutput } from '../../backend/parallel.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../errors.js';
import { asFloat } from '../util.js';
import { reshape } from '../shape.js';
import { resolveResizeOptions, resizeTable, RESIZE_ENTRY_BYTES, type ResizeMode, type ResizeOptions } from './geometry.js';

export type { ResizeOptions };

interface ResizePlan { N: number; inH: number; inW: number; C: number; outH: number; outW: number; mode: ResizeMode }

/** Copies the row and column tables into wasm memory; returns their pointers. */
function writeTables(p: ResizePlan): [number, number] {
  const rows = new Uint8Array(resizeTable(p.inH, p.outH, p.mode));
  const cols = new Uint8Array(resizeTable(p.inW, p.outW, p.mode));
  const base = workspace(rows.length + cols.length, WorkspaceSlot.Columns);
  heapU8().set(rows, base);
  heapU8().set(cols, base + rows.length);
  return [base, base + rows.length];
}

/** Scratch of one thread's kernel call: two cached rows and their row numbers. */
const workBytes = (p: ResizePlan): number => align16(16 + 8 * p.outW * p.C);

/** Runs the forward (split by images, or by output rows for one image) or the backward (by images). */
function runResize(p: ResizePlan, forward: boolean, inPtr: number, outPtr: number): void {
  const taps = p.mode.method === 'nearest' ? 1 : 2;
  const [rows, cols] = writeTables(p);
  const parts = splitOutput(p.N, p.outH, p.N * p.outH * p.outW * p.C * 2 * taps, forward);
  const work = workspace(workBytes(p) * parts.length, WorkspaceSlot.Work);
  const inImage = 4 * p.inH * p.inW * p.C, outRow = 4 * p.outW * p.C;
  if (forward) {
    parallel(kernels().resizeForward, parts.map((q, t) => [
      inPtr + q.n0 * inImage, outPtr + (q.n0 * p.outH + q.oh0) * outRow, rows + q.oh0 * RESIZE_ENTRY_BYTES, cols,
      work + t * workBytes(p), q.n1 - q.n0, p.inH, p.inW, p.C, q.oh1 - q.oh0, p.outW, taps,
    ]));
  } else {
    parallel(kernels().resizeBackward, parts.map((q, t) => [
      outPtr + q.n0 * p.outH * outRow, inPtr + q.n0 * inImage, rows, cols,
      work + t * workBytes(p), q.n1 - q.n0, p.inH, p.inW, p.C, p.outH, p.outW, taps,
    ]));
  }
}

/**
 * Resizes images to [outH, outW]. method 'nearest' (default) or 'bilinear'; coordinates follow
 * halfPixelCenters (default true) or alignCorners (see ./geometry.ts for the exact rules).
 * Gradient: each output pixel's gradient goes back to its source pixels with the same weights.
 */
export function resize(x: Tensor, size: readonly [number, number] | readonly number[], options?: ResizeOptions): Tensor {
  const op = 'resize';
  const t = asFloat(x, op);
  if (t.rank !== 4 && t.rank !== 3) {
    throw new ShapeError(`${op}: x must be rank 4 (NHWC) or rank 3 (HWC), got shape ${fmtShape(t.shape)}`);
  }
  if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new ValueError(`${op}: size must be [outH, outW], two integers >= 1, got ${fmtValue(size)}`);
  }
  const mode = resolveResizeOptions(options, op);
  if (t.rank === 3) return reshape(resize(reshape(t, [1, ...t.shape]), size, options), [size[0], size[1], t.shape[2]]);
  const [N, inH, inW, C] = t.shape;
  if ((inH === 0 || inW === 0) && N * C > 0) {
    throw new ShapeError(`${op}: input ${fmtShape(t.shape)} has no pixels to resize to ${fmtValue(size)}`);
  }
  const plan: ResizePlan = { N, inH, inW, C, outH: size[0], outW: size[1], mode };
  const y = Tensor.empty([N, plan.outH, plan.outW, C]);
  if (y.size > 0) runResize(plan, true, t.ptr, y.ptr);
  return record(op, y, [t], (dy) => {
    const dx = Tensor.empty(t.shape);
    if (dx.size > 0) runResize(plan, false, dx.ptr, dy.ptr);
    return [dx];
  });
}
