// A kernel worker: instantiates the threaded kernel build over the main thread's shared
// memory and runs slices of kernels on request. Jobs arrive through a control block in that
// memory (Atomics.wait / notify), not postMessage, so a dispatch costs microseconds.
// Runs in Node worker_threads and in browser Web Workers alike.
import { CTRL, MAX_ARGS, MAX_THREADS, ARGS_BYTE_OFFSET, claimPart, kernelImports, pollWhile } from './backend/protocol.js';
import { importNodeBuiltin } from './backend/node-builtin.js';

interface Start { module: WebAssembly.Module; memory: WebAssembly.Memory; ctrl: number; index: number; names: string[] }

async function main(post: (m: unknown) => void, onMessage: (fn: (m: any) => void) => void): Promise<void> {
  onMessage(async (msg: Start) => {
    const { module, memory, ctrl, index, names } = msg;
    const instance = await WebAssembly.instantiate(module, kernelImports(memory));
    const fns = names.map((n) => (instance.exports as any)[n] as (...a: number[]) => number);
    const i32 = new Int32Array(memory.buffer, ctrl, CTRL.WORDS);
    const args = new Float64Array(memory.buffer, ctrl + ARGS_BYTE_OFFSET, MAX_ARGS * MAX_THREADS);
    // Read the job counter before saying ready: a job sent right after 'ready' must not be missed.
    let seen = Atomics.load(i32, CTRL.SEQ);
    post('ready');
    let justRan = false;
    for (;;) {
      // A job is a change of SEQ, not a return from wait: a wake-up without a new SEQ (an
      // interrupt, a timeout) must not run the last job again. The timeout only re-checks.
      // Right after a job the worker polls a while first: the next layer's job usually follows
      // within microseconds, sooner than a sleeping thread wakes.
      const seq = justRan ? pollWhile(i32, CTRL.SEQ, seen, Atomics.load(i32, CTRL.SPIN)) : Atomics.load(i32, CTRL.SEQ);
      justRan = false;
      if (seq === seen) { Atomics.wait(i32, CTRL.SEQ, seen, 1000); continue; }
      seen = seq;
      justRan = true;
      if (Atomics.load(i32, CTRL.STOP)) break;
      // Take parts until none is left; this may be a later job than the one that woke us, whose
      // FN and arguments are complete once a part of it can be claimed.
      for (let part = claimPart(i32); part >= 0; part = claimPart(i32)) {
        try {
          const fn = fns[Atomics.load(i32, CTRL.FN)];
          const n = Atomics.load(i32, CTRL.NARGS);
          const base = part * MAX_ARGS;
          const a: number[] = [];
          for (let k = 0; k < n; k++) a.push(args[base + k]);
          fn(...a);
        } catch {
          Atomics.store(i32, CTRL.ERROR, index + 1);
        }
        if (Atomics.sub(i32, CTRL.PENDING, 1) === 1) Atomics.notify(i32, CTRL.PENDING);
      }
    }
    post('stopped');
  });
}

const g = globalThis as any;
if (typeof g.WorkerGlobalScope !== 'undefined' && typeof g.postMessage === 'function') {
  main((m) => g.postMessage(m), (fn) => { g.onmessage = (e: MessageEvent) => fn(e.data); });
} else {
  importNodeBuiltin('worker_threads').then(({ parentPort }) => {
    main((m) => parentPort.postMessage(m), (fn) => parentPort.once('message', fn));
  });
}
