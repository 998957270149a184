// How a convolution is cut into per-thread kernel calls: each part's geometry, pointer offsets,
// ConvArgs block and scratch. Parts split the OUTPUT: by whole images when the batch has at least
// two (a part's geometry has a smaller batch, its pointers move to its first image), else (batch
// 1) by output rows (outH shrinks, padTop moves up by the rows skipped: the kernels only use
// padTop through ih = oh*stride - padTop, so the taps, zero padding and bounds checks are unchanged).
import { argBlock, heapI32, workspace, align16, WorkspaceSlot } from '../../backend/wasm.js';
import type { OutputPart } from '../../backend/parallel.js';
import { ConvArgsLayout, writeConvArgs } from '../../backend/kernels.generated.js';
import type { ConvGeometry } from './geometry.js';

/** Writes `g` as ConvArgs block `index` of the argument scratch; returns its pointer. */
export function convArgs(g: ConvGeometry, index = 0): number {
  const ptr = argBlock(index, ConvArgsLayout.bytes);
  writeConvArgs(heapI32(), ptr, g);
  return ptr;
}

/** The geometry one part computes (the pointers move by partOffsets). */
function partGeometry(g: ConvGeometry, p: OutputPart): ConvGeometry {
  return { ...g, batch: p.n1 - p.n0, outH: p.oh1 - p.oh0, padTop: g.padTop - p.oh0 * g.strideH };
}

/** Float offsets of a part's first input and output element. */
export function partOffsets(g: ConvGeometry, p: OutputPart): [number, number] {
  return [p.n0 * g.inH * g.inW * g.inC, (p.n0 * g.outH + p.oh0) * g.outW * g.outC];
}

/** ConvArgs blocks for all parts, block t for part t. */
export function partArgs(g: ConvGeometry, parts: OutputPart[]): number[] {
  return parts.map((p, t) => convArgs(partGeometry(g, p), t));
}

/**
 * Scratch for n parallel parts: part t's column buffer (the Columns slot) and GEMM packing
 * workspace (the Work slot), each 16-byte aligned for the kernels' vector loads and stores.
 */
export function partScratch(n: number, colBytes: number, workBytes: number): { col(t: number): number; work(t: number): number } {
  const cb = align16(colBytes), wb = align16(workBytes);
  const col = workspace(cb * n, WorkspaceSlot.Columns), work = workspace(wb * n, WorkspaceSlot.Work);
  return { col: (t) => col + t * cb, work: (t) => work + t * wb };
}
