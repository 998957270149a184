// The kernel worker pool: N-1 workers plus the calling thread run the parts (argument lists) of
// one kernel over the shared wasm memory, each part claimed by whichever thread asks first. Work
// is always split by output, and a part's result does not depend on the thread that runs it, so
// results are bit-identical for any thread count. Jobs go through a control block in shared
// memory (see protocol.ts).
import { CTRL, MAX_ARGS, MAX_THREADS, ARGS_BYTE_OFFSET, CLOSED, GENERATION_MASK, PART_BITS, claimPart, pollWhile } from './protocol.js';
import { importNodeBuiltin } from './node-builtin.js';
import type { KernelFunction } from './parallel.js';

/**
 * How long a thread polls before it sleeps: a worker for the next job after finishing one, the
 * calling thread for the workers' end of a job (docs/DESIGN-NOTES.md, "Waking the pool"). A
 * sleeping thread's wake-up costs tens to hundreds of microseconds (more inside a virtual
 * machine), which a batch-1 network's many small kernels would pay at every layer.
 */
export const poolTuning = { spinMicros: 5000 };

/** Sets poolTuning.spinMicros (validated by the public setThreadSpin). */
export function setPoolSpin(micros: number): void {
  poolTuning.spinMicros = micros;
}

export interface Pool {
  threads: number;
  /**
   * Runs `kernel`, one of the exports the pool was started with, once per entry of argsPerThread:
   * the calling thread and the workers claim entries until none is left, then the call returns
   * when every entry has run.
   */
  run(kernel: KernelFunction, argsPerThread: readonly (readonly number[])[]): void;
  terminate(): Promise<void>;
}

interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
  unref?: () => void;
}

function isNode(): boolean {
  const p = (globalThis as any).process;
  return !!(p && p.versions && p.versions.node);
}

/** True where the calling thread may block on Atomics.wait (not a browser's main thread). */
export function canBlock(): boolean {
  const g = globalThis as any;
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  if (isNode() || typeof g.Deno !== 'undefined' || typeof g.Bun !== 'undefined') return true;
  return typeof g.WorkerGlobalScope !== 'undefined' && g.crossOriginIsolated === true;
}

export async function hardwareThreads(): Promise<number> {
  const g = globalThis as any;
  if (g.navigator?.hardwareConcurrency) return g.navigator.hardwareConcurrency;
  if (isNode()) {
    const os = await importNodeBuiltin('os');
    return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  }
  return 1;
}

/**
 * Starts threads - 1 workers. `names` are the kernel exports in the protocol's order (a kernel's
 * index there is what a job names); `exportOf` gives the calling thread's instance of each.
 */
export async function startPool(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory,
                                ctrl: number, names: readonly string[], exportOf: (name: string) => unknown,
                                workerUrl: URL): Promise<Pool> {
  const workers: AnyWorker[] = [];
  const ready: Promise<void>[] = [];
  let NodeWorker: any = null;
  if (isNode()) {
    NodeWorker = (await importNodeBuiltin('worker_threads')).Worker;
  }
  for (let i = 1; i < threads; i++) {
    let w: AnyWorker;
    if (NodeWorker) {
      const nw = new NodeWorker(workerUrl);
      ready.push(new Promise((res, rej) => { nw.once('message', () => res()); nw.once('error', rej); }));
      w = nw;
    } else {
      const bw = new (globalThis as any).Worker(workerUrl, { type: 'module' });
      ready.push(new Promise((res, rej) => {
        bw.addEventListener('message', () => res(), { once: true });
        bw.addEventListener('error', (e: any) => rej(new Error(`wasm-cnn: kernel worker failed to start: ${e.message ?? e}`)), { once: true });
      }));
      w = bw;
    }
    w.postMessage({ module, memory, ctrl, index: i, names });
    workers.push(w);
  }
  await Promise.all(ready);
  // Idle workers sleep in Atomics.wait; let a Node process exit without an explicit shutdown.
  for (const w of workers) w.unref?.();
  const i32 = () => new Int32Array(memory.buffer, ctrl, CTRL.WORDS);
  const f64 = () => new Float64Array(memory.buffer, ctrl + ARGS_BYTE_OFFSET, MAX_ARGS * MAX_THREADS);
  const jobs = new Map(names.map((name, index) => [exportOf(name), { name, index }]));
  let generation = 0;
  return {
    threads,
    run(kernel, argsPerThread) {
      const n = argsPerThread.length;
      if (n === 1) { kernel(...argsPerThread[0]); return; }
      const job = jobs.get(kernel);
      if (!job) throw new Error('wasm-cnn: parallel() was given a function that is not a kernel export');
      if (n > MAX_THREADS) throw new Error(`wasm-cnn: parallel() was given ${n} parts, more than ${MAX_THREADS}`);
      const c = i32();
      const a = f64();
      // Close the last job's claims first: a worker that read them must not take a part of this
      // job before its arguments are written.
      Atomics.store(c, CTRL.CLAIM, (generation << PART_BITS) | CLOSED);
      const nargs = argsPerThread[0].length;
      for (let t = 0; t < n; t++) for (let k = 0; k < nargs; k++) a[t * MAX_ARGS + k] = argsPerThread[t][k];
      Atomics.store(c, CTRL.FN, job.index);
      Atomics.store(c, CTRL.NARGS, nargs);
      Atomics.store(c, CTRL.PARTS, n);
      Atomics.store(c, CTRL.ERROR, 0);
      Atomics.store(c, CTRL.PENDING, n);
      Atomics.store(c, CTRL.SPIN, poolTuning.spinMicros);
      generation = (generation + 1) & GENERATION_MASK;
      Atomics.store(c, CTRL.CLAIM, generation << PART_BITS);
      Atomics.add(c, CTRL.SEQ, 1);
      Atomics.notify(c, CTRL.SEQ);
      let error: unknown = null;
      for (let part = claimPart(c); part >= 0; part = claimPart(c)) {
        try { kernel(...argsPerThread[part]); } catch (e) { error ??= e; }
        Atomics.sub(c, CTRL.PENDING, 1);
      }
      for (let p = Atomics.load(c, CTRL.PENDING); p !== 0; p = Atomics.load(c, CTRL.PENDING)) {
        if (pollWhile(c, CTRL.PENDING, p, poolTuning.spinMicros, 2000) === p) Atomics.wait(c, CTRL.PENDING, p, 50);
      }
      if (error) throw error;
      const failed = Atomics.load(c, CTRL.ERROR);
      if (failed) throw new Error(`wasm-cnn: kernel ${job.name} failed in worker ${failed - 1}`);
    },
    async terminate() {
      const c = i32();
      Atomics.store(c, CTRL.STOP, 1);
      Atomics.add(c, CTRL.SEQ, 1);
      Atomics.notify(c, CTRL.SEQ);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
