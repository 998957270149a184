// Layout of the control block that the main thread and kernel workers share (in wasm memory).
export const CTRL = {
  SEQ: 0,       // bumped for every job (workers wait on it)
  PENDING: 1,   // workers still running the current job
  FN: 2,        // index of the export to call
  NARGS: 3,     // arguments per thread
  STOP: 4,      // 1: workers exit
  THREADS: 5,   // threads taking part in the current job (thread 0 = main)
  ERROR: 6,     // 1 + index of a worker whose kernel threw
  SPIN: 7,      // microseconds a thread polls for the next job (or the job's end) before it sleeps
  WORDS: 16,
} as const;
export const MAX_ARGS = 24;
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
