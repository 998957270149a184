// Layout of the control block that the main thread and kernel workers share (in wasm memory).
export const CTRL = {
  SEQ: 0,       // bumped for every job (workers wait on it)
  PENDING: 1,   // parts of the current job not finished yet
  FN: 2,        // index of the export to call
  NARGS: 3,     // arguments per part
  STOP: 4,      // 1: workers exit
  PARTS: 5,     // parts of the current job (argument lists)
  ERROR: 6,     // 1 + index of a worker whose kernel threw
  SPIN: 7,      // microseconds a thread polls for the next job (or the job's end) before it sleeps
  CLAIM: 8,     // the job's generation << PART_BITS | its next unclaimed part (claimPart)
  WORDS: 16,
} as const;
/** Low bits of CLAIM holding the next part; all ones: the job is closed while the next one is written. */
export const PART_BITS = 12;
export const CLOSED = (1 << PART_BITS) - 1;
/** Generations wrap at 2^19, so CLAIM stays a positive int32. */
export const GENERATION_MASK = (1 << 19) - 1;
export const MAX_ARGS = 24;
/** Parts (argument lists) one job may have, and so threads taking part at once. */
export const MAX_THREADS = 64;
export const ARGS_BYTE_OFFSET = 64;
export const CTRL_BYTES = ARGS_BYTE_OFFSET + MAX_ARGS * MAX_THREADS * 8;

/**
 * Polls i32[index] while it equals `value`, for at most `micros` microseconds (and at least
 * `minPolls` reads); returns the last value read. A thread that polls sees a new job (or a job's
 * end) within a fraction of a microsecond, where Atomics.wait pays the wake-up of a sleeping
 * thread; the bound keeps an idle pool from holding a core.
 */
export function pollWhile(i32: Int32Array, index: number, value: number, micros: number, minPolls = 0): number {
  const deadline = micros > 0 ? performance.now() + micros / 1000 : 0;
  for (let polls = 1; ; polls++) {
    const v = Atomics.load(i32, index);
    if (v !== value) return v;
    if (polls >= minPolls && (polls & 63) === 0 && performance.now() >= deadline) return v;
  }
}

/**
 * Takes the next unclaimed part of the current job for the calling thread: its index, or -1 when
 * every part is taken. Parts go to whichever thread asks first, so a late or descheduled worker
 * leaves its share to the others instead of holding up the job. A thread that read CLAIM before
 * the main thread closed it for the next job fails its compare-exchange, as the generation
 * differs; a successful claim therefore sees the FN, NARGS and argument lists of its own job.
 */
export function claimPart(i32: Int32Array): number {
  for (;;) {
    const w = Atomics.load(i32, CTRL.CLAIM);
    const next = w & CLOSED;
    if (next >= Atomics.load(i32, CTRL.PARTS)) return -1;
    if (Atomics.compareExchange(i32, CTRL.CLAIM, w, w + 1) === w) return next;
  }
}

/** What a kernel instance imports: `env.abort` (a kernel assertion) and, for the threaded builds, the shared memory. */
export function kernelImports(memory?: WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      ...(memory ? { memory } : {}),
      abort(_msgPtr: number, _filePtr: number, line: number, col: number) {
        throw new Error(`wasm-cnn: kernel aborted at ${line}:${col}`);
      },
    },
  };
}

/** Whether a module's export names are a wasm-cnn kernel build's (it has the allocator and gemm). */
export function isKernelBuild(exportNames: readonly string[]): boolean {
  return exportNames.includes('gemm') && exportNames.includes('alloc');
}
