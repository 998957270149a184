// Loads and instantiates the kernel module once, detects SIMD / relaxed SIMD, and hands out
// pointers and fresh memory views. Everything here is runtime-neutral: no Node built-in is
// imported statically (Node's fs is loaded lazily only when no wasm source is given).
import { ValueError, fmtValue } from '../errors.js';
import { startPool, canBlock, hardwareThreads, setPoolSpin, type Pool } from './threads.js';
import { CTRL_BYTES, MAX_THREADS, isKernelBuild, kernelImports } from './protocol.js';
import { importNodeBuiltin } from './node-builtin.js';
import { engineHasRelaxedSimd, engineHasSimd } from './features.js';
import { KERNEL_EXPORT_NAMES, type KernelExports } from './kernels.generated.js';

/** The kernel module's exports (typed from assembly/ by scripts/gen-kernels.mjs) and its memory. */
export type Kernels = KernelExports & { memory: WebAssembly.Memory };

export type WasmSource = BufferSource | URL | string | WebAssembly.Module | Response;

export interface InitOptions {
  /** The kernel module: bytes, a URL/path, a compiled `WebAssembly.Module` or a fetch Response. */
  wasm?: WasmSource;
  /** Worker threads for kernels (1 = none). */
  threads?: number | 'auto';
  /** Which kernel build to use: 'auto' picks relaxed SIMD where the engine supports it. */
  simd?: 'auto' | 'relaxed' | 'baseline';
}

export interface BackendState {
  exports: Kernels;
  memory: WebAssembly.Memory;
  variant: 'baseline' | 'relaxed';
  relaxedSimd: boolean;
  threads: number;
  /** Why fewer threads than asked run, if so. */
  threadsNote?: string;
  pool: Pool | null;
}

let state: BackendState | null = null;
let pending: Promise<BackendState> | null = null;
let f32View = new Float32Array(0);
let i32View = new Int32Array(0);
let u8View = new Uint8Array(0);

export { engineHasRelaxedSimd, engineHasSimd } from './features.js';

function isNode(): boolean {
  const p = (globalThis as any).process;
  return !!(p && p.versions && p.versions.node) && typeof (globalThis as any).Deno === 'undefined';
}

export interface DefaultLocations {
  wasm(variant: 'baseline' | 'relaxed', threaded: boolean): URL | null;
  worker(): URL | null;
}
/** Default locations of the kernel builds and the worker script: next to the entry module (dist/). */
let defaults: DefaultLocations = { wasm: () => null, worker: () => null };
export function setDefaultLocations(d: DefaultLocations): void {
  defaults = d;
}

async function readUrl(url: URL | string): Promise<ArrayBuffer | Uint8Array | Response> {
  const u = typeof url === 'string' ? url : url.href;
  // A string without a URL scheme (data:, blob:, https:, ...) is a file path where there is a file
  // system: Node, Bun and Deno (which has node:fs too; its fetch cannot take a relative path).
  const hasFs = isNode() || typeof (globalThis as any).Deno !== 'undefined';
  if (u.startsWith('file:') || (hasFs && !/^[a-z][a-z0-9+.-]+:/i.test(u))) {
    // Where the runtime hands out built-ins synchronously (Node >= 20.16, Deno, Bun), one blocking
    // read of the ~90 KB kernels: at start-up, nothing else is waiting, and it saves two module
    // loads and the async file API's round trips (~1 ms of a cold start).
    const getBuiltin = (globalThis as any).process?.getBuiltinModule;
    const fsSync = typeof getBuiltin === 'function' ? getBuiltin('node:fs') : null;
    if (fsSync) return fsSync.readFileSync(u.startsWith('file:') ? new URL(u) : u) as Uint8Array;
    const fs = await importNodeBuiltin('fs/promises');
    const { fileURLToPath } = await importNodeBuiltin('url');
    const path = u.startsWith('file:') ? fileURLToPath(u) : u;
    const buf: Uint8Array = await fs.readFile(path);
    return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  }
  return fetch(u);
}

// How to load the kernels where compiling wasm from bytes is off (Cloudflare Workers, Vercel's edge runtime).
const IMPORT_HINT = "import the kernels as a module and pass it: `import kernels from 'wasm-cnn/wasm'; await init({ wasm: kernels })` (docs/EDGE.md)";

/**
 * A fetch Response, by its shape: touching the global `Response` in Node loads its whole fetch
 * implementation (undici, ~10 ms of a cold start), so never do that for bytes or paths.
 */
export function isResponse(x: unknown): x is Response {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer) &&
    !(x instanceof URL) && typeof (x as Response).arrayBuffer === 'function' && 'headers' in x;
}

async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (!isResponse(source) && typeof source !== 'string' && !(source instanceof URL) && !(source instanceof ArrayBuffer) && !ArrayBuffer.isView(source)) {
    throw new ValueError(`init: option 'wasm' must be the kernel bytes, a URL or path, a fetch Response or a WebAssembly.Module, got ${source === null ? 'null' : typeof source}`);
  }
  try {
    if (isResponse(source)) {
      if (typeof WebAssembly.compileStreaming === 'function' &&
          (source.headers.get('content-type') ?? '').includes('application/wasm')) {
        return await WebAssembly.compileStreaming(source);
      }
      return await WebAssembly.compile(await source.arrayBuffer());
    }
    if (typeof source === 'string' || source instanceof URL) {
      return await compile(await readUrl(source) as any);
    }
    // Node: compiling synchronously skips a round trip through the background compile tasks (the
    // kernels are small and compile lazily, function by function, on first call anyway).
    if (isNode()) return new WebAssembly.Module(source as BufferSource);
    return await WebAssembly.compile(source as BufferSource);
  } catch (e) {
    // workerd: "WebAssembly.compile(): Wasm code generation disallowed by embedder".
    if (e instanceof Error && !(e instanceof ValueError) && /code generation disallowed/i.test(e.message)) {
      throw new ValueError(`init: this runtime does not allow compiling WebAssembly from bytes (${e.message}); ${IMPORT_HINT}`);
    }
    if (e && typeof e === 'object' && ((e as { code?: string }).code === 'ENOENT' || (e as { code?: string }).code === 'EISDIR')) {
      throw new ValueError(`init: cannot read the wasm file ${fmtValue(String(source))} (${(e as Error).message})`);
    }
    if (e instanceof WebAssembly.CompileError) {
      throw new ValueError(`init: the wasm given is not a valid WebAssembly module (${e.message}); pass dist/wasm-cnn.wasm (wasm-cnn/wasm)`);
    }
    throw e;
  }
}

/** Compiles and instantiates the kernels once. Idempotent: later calls return the same state. */
export async function init(options: InitOptions = {}): Promise<BackendState> {
  // Options are checked on every call, also when already initialised (which then ignores them).
  if (options === null || typeof options !== 'object') throw new ValueError(`init: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkSimdOption(options.simd);
  checkThreadsOption(options.threads);
  if (pending) return pending;
  if (state && !(state.pool === null && restartPool && options.threads !== undefined)) return state;
  pending = state ? restartThreads(state, options.threads) : instantiate(options);
  try {
    return await pending;
  } finally {
    pending = null;
  }
}

function checkThreadsOption(threads: unknown): void {
  if (threads === undefined || threads === 'auto') return;
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new ValueError(`init: threads must be 'auto' or an integer from 1 to ${MAX_THREADS}, got ${typeof threads === 'number' ? threads : JSON.stringify(threads) ?? String(threads)}`);
  }
}

function checkSimdOption(simd: unknown): void {
  if (simd !== undefined && simd !== 'auto' && simd !== 'relaxed' && simd !== 'baseline') {
    throw new ValueError(`init: simd must be 'auto', 'relaxed' or 'baseline', got ${fmtValue(simd)}`);
  }
}

async function resolveThreads(threads: InitOptions['threads']): Promise<number> {
  checkThreadsOption(threads);
  if (threads === undefined) return 1;
  if (threads === 'auto') return Math.min(await hardwareThreads(), 8);
  return threads;
}

async function instantiate(options: InitOptions): Promise<BackendState> {
  checkSimdOption(options.simd);
  const simd = options.simd ?? 'auto';
  if (!engineHasSimd()) {
    throw new ValueError('init: this JavaScript engine has no WebAssembly SIMD; wasm-cnn needs it (Node >= 16.4, Chrome >= 91, Firefox >= 89, Safari >= 16.4)');
  }
  const relaxedAvailable = engineHasRelaxedSimd();
  if (simd === 'relaxed' && !relaxedAvailable) {
    throw new ValueError("init: simd 'relaxed' was asked but this engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)");
  }
  let threads = await resolveThreads(options.threads);
  let threadsNote: string | undefined;
  if (threads > 1 && !canBlock()) {
    threadsNote = 'threads need SharedArrayBuffer and a thread that may block: a Web Worker in a cross-origin isolated page (COOP/COEP), Node, Deno or Bun';
    threads = 1;
  }
  if (threads > 1 && options.wasm !== undefined && !(options.wasm instanceof WebAssembly.Module && importsMemory(options.wasm))) {
    threadsNote = 'threads need the threaded kernel build (dist/wasm-cnn.threads.wasm); the wasm given is single-threaded';
    threads = 1;
  }
  const variant: 'baseline' | 'relaxed' = simd === 'baseline' ? 'baseline' : relaxedAvailable ? 'relaxed' : 'baseline';
  let source = options.wasm;
  if (source === undefined) {
    const url = defaults.wasm(variant, threads > 1);
    if (!url) throw new ValueError(`init: no wasm given and this runtime gives no module URL to find it next to; pass init({ wasm }) (bytes, a URL, a fetch Response or a WebAssembly.Module); in Cloudflare Workers ${IMPORT_HINT}`);
    source = url;
  }
  const module = await compile(source);
  const exportNames = WebAssembly.Module.exports(module).map((e) => e.name);
  if (!isKernelBuild(exportNames)) {
    throw new ValueError('init: the given wasm module is not a wasm-cnn kernel build (no gemm/alloc exports)');
  }
  const threaded = importsMemory(module);
  let memory: WebAssembly.Memory | undefined;
  if (threaded) memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
  const instance = isNode() ? new WebAssembly.Instance(module, kernelImports(memory)) : await WebAssembly.instantiate(module, kernelImports(memory));
  if (!memory) memory = instance.exports.memory as WebAssembly.Memory;
  const exports = { ...instance.exports, memory } as unknown as Kernels;
  const built = exports.buildVariant() === 1 ? 'relaxed' : 'baseline';
  state = { exports, memory, variant: built, relaxedSimd: relaxedAvailable, threads: 1, threadsNote, pool: null };
  refreshViews();
  if (threads > 1 && threaded) {
    const workerUrl = defaults.worker();
    if (!workerUrl) {
      state.threadsNote = 'no worker script location is known';
    } else {
      const ctrl = exports.alloc(CTRL_BYTES) >>> 0;
      const names = KERNEL_EXPORT_NAMES.filter((n) => typeof exports[n] === 'function');
      const start = (n: number): Promise<Pool> => {
        new Uint8Array(memory!.buffer, ctrl, CTRL_BYTES).fill(0);
        return startPool(n, module, memory!, ctrl, names, (name) => exports[name as keyof Kernels], workerUrl);
      };
      state.pool = await start(threads);
      state.threads = threads;
      poolStarter = start;
    }
  }
  return state;
}

function importsMemory(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.imports(module).some((i) => i.kind === 'memory');
}

/** Starts a pool of workers over the kernels' shared memory (set once init has started one). */
let poolStarter: ((threads: number) => Promise<Pool>) | null = null;
/** Set by shutdown(): a later init({ threads }) starts the pool again. */
let restartPool = false;

async function restartThreads(b: BackendState, requested: InitOptions['threads']): Promise<BackendState> {
  const threads = await resolveThreads(requested);
  if (threads > 1 && b.pool === null) {
    b.pool = await poolStarter!(threads);
    b.threads = threads;
    restartPool = false;
  }
  return b;
}

/**
 * Stops the worker threads (a Node process exits on its own without this: workers are unref'd).
 * Kernels then run on the calling thread; a later `init({ threads })` starts the workers again.
 */
export async function shutdown(): Promise<void> {
  if (state?.pool) {
    await state.pool.terminate();
    state.pool = null;
    state.threads = 1;
    restartPool = poolStarter !== null;
  }
}

/** Threads available to split a kernel over (1 without a pool). */
export function threadCount(): number {
  return state ? state.threads : 1;
}

/**
 * Uses n of the threads init({ threads }) started, from now on (like torch.set_num_threads):
 * n = 1 runs every kernel on the calling thread. Results do not depend on n (work is split by
 * output rows). Throws a ValueError outside 1 .. the pool's size.
 */
export function setNumThreads(n: number): void {
  const b = backend();
  const max = b.pool ? b.pool.threads : 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new ValueError(`setNumThreads: n must be an integer from 1 to ${max} (the threads init() started${max === 1 ? '; pass init({ threads }) for more' : ''}), got ${fmtValue(n)}`);
  }
  b.threads = n;
}

/** Longest poll setThreadSpin accepts: one second. */
const MAX_SPIN_MICROS = 1_000_000;

/**
 * How many microseconds kernel threads poll for the next job (a worker) or for the workers' end
 * of a job (the calling thread) before they sleep; default 5000. Polling keeps the next layer's
 * dispatch at a fraction of a microsecond instead of a sleeping thread's wake-up; 0 makes idle
 * threads sleep at once, which suits a machine whose cores other processes need. Results do not
 * depend on it. Throws a ValueError for anything but an integer from 0 to 1,000,000.
 */
export function setThreadSpin(micros: number): void {
  if (typeof micros !== 'number' || !Number.isInteger(micros) || micros < 0 || micros > MAX_SPIN_MICROS) {
    throw new ValueError(`setThreadSpin: micros must be an integer from 0 to ${MAX_SPIN_MICROS}, got ${fmtValue(micros)}`);
  }
  setPoolSpin(micros);
}

export function backend(): BackendState {
  if (!state) throw new ValueError('wasm-cnn is not initialised: call `await init()` first');
  return state;
}

/** The kernel exports (throws if `init` has not run). */
export function kernels(): Kernels {
  return backend().exports;
}

function refreshViews(): void {
  const buf = state!.memory.buffer;
  f32View = new Float32Array(buf);
  i32View = new Int32Array(buf);
  u8View = new Uint8Array(buf);
}

/** A Float32Array over all of linear memory, fresh after any growth. Index = pointer >> 2. */
export function heapF32(): Float32Array {
  if (f32View.buffer !== state!.memory.buffer) refreshViews();
  return f32View;
}
export function heapI32(): Int32Array {
  if (i32View.buffer !== state!.memory.buffer) refreshViews();
  return i32View;
}
export function heapU8(): Uint8Array {
  if (u8View.buffer !== state!.memory.buffer) refreshViews();
  return u8View;
}

let liveBlocks = 0;
let liveBytes = 0;
// The largest block the kernels' heap (AssemblyScript's TLSF allocator) hands out: 1 GiB less its
// 4-byte block header, so one tensor holds at most 268,435,455 float32 values. All tensors
// together share wasm32 linear memory, which tops out at 4 GiB.
const MAX_ALLOC_BYTES = (1 << 30) - 4;
const fmtMiB = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

// Largest single block handed out; lowered by tests that run hostile inputs (fuzzing) so a
// damaged graph asking for gigabytes fails fast instead of growing wasm memory for good.
let allocLimit = MAX_ALLOC_BYTES;
/** @internal sets the largest single allocation (bytes, capped at the wasm32 maximum); returns the previous limit. */
export function setAllocLimit(bytes: number): number {
  const prev = allocLimit;
  allocLimit = Math.min(Math.max(16, bytes), MAX_ALLOC_BYTES);
  return prev;
}

/** Allocates a 16-byte aligned block; throws a clear RangeError when memory is exhausted. */
export function alloc(bytes: number): number {
  const k = kernels();
  const n = Math.max(16, bytes);
  if (!(n <= allocLimit)) {
    throw new RangeError(`wasm-cnn: out of memory: cannot allocate ${bytes} bytes (${allocLimit === MAX_ALLOC_BYTES
      ? `one tensor holds at most ${MAX_ALLOC_BYTES} bytes, 1 GiB: ${MAX_ALLOC_BYTES >>> 2} float32 values`
      : `the allocation limit is ${allocLimit} bytes`})`);
  }
  let ptr: number;
  try {
    ptr = k.alloc(n) >>> 0;
  } catch (e) {
    const size = k.memory.buffer.byteLength;
    throw new RangeError(`wasm-cnn: out of memory: cannot allocate ${bytes} bytes (wasm memory is ${fmtMiB(size)} with ${fmtMiB(liveBytes)} in live tensors, and the engine refused to grow it by the ${fmtMiB(n)} needed; wasm32 memory is at most 4 GiB)`);
  }
  if (ptr === 0) throw new RangeError(`wasm-cnn: out of memory: cannot allocate ${bytes} bytes`);
  liveBlocks++;
  liveBytes += bytes;
  return ptr;
}

export function free(ptr: number, bytes: number): void {
  kernels().free(ptr);
  liveBlocks--;
  liveBytes -= bytes;
}

export function allocStats(): { blocks: number; bytes: number } {
  return { blocks: liveBlocks, bytes: liveBytes };
}

/** n rounded up to a multiple of 16 bytes: where one part's scratch ends and the next begins. */
export const align16 = (n: number): number => (n + 15) & ~15;

/**
 * The scratch slots of `workspace`. A slot holds one block, reused (and grown) by the next request
 * for that slot, so buffers that must be live at the same time take different slots.
 */
export enum WorkspaceSlot {
  /** GEMM packing panels and other per-call kernel work areas (the default). */
  Work = 0,
  /** A second buffer live with Work: im2col columns, depthwise gradient rows, reduction partial sums. */
  Columns = 1,
  /** Transformed weights live with Work and Columns: flipped depthwise kernels, Winograd U. */
  Weights = 2,
  /** Small int arrays and argument blocks passed to kernels (`int32Args`, `argBlock`); INT_ARGS_BYTES long. */
  IntArgs = 3,
  /** An input and weights rearranged into a cheaper conv (space-to-depth), live with Work, Columns and Weights. */
  Rearranged = 4,
  /** A conv's weights without its dead taps (live-taps.ts): live through the smaller conv's own use of the slots above. */
  LiveTaps = 5,
  /** Batch-norm statistics of the layers, live across their own kernel calls. */
  BatchNorm = 6,
  /** A batch's sample indices, live while the batch is gathered. */
  BatchIndices = 7,
}

// Scratch blocks by slot, reused across kernel calls. A pointer into one is never held across a
// call that may request the same slot again.
const scratch: { ptr: number; bytes: number }[] = [];

/** A scratch block of at least `bytes` bytes in `slot`; valid until the next request for that slot. */
export function workspace(bytes: number, slot: WorkspaceSlot = WorkspaceSlot.Work): number {
  const s = scratch[slot];
  if (s && s.bytes >= bytes) return s.ptr;
  const k = kernels();
  // Forget the old block before allocating: if the allocation fails, the slot must not keep
  // pointing at freed memory.
  if (s) { k.free(s.ptr); scratch[slot] = undefined as never; }
  let grow = Math.max(bytes, s ? s.bytes * 2 : 0, 256);
  const tryAlloc = (n: number): number => {
    try { return n <= allocLimit ? k.alloc(n) >>> 0 : 0; } catch { return 0; }
  };
  let ptr = tryAlloc(grow);
  if (ptr === 0 && grow > Math.max(bytes, 256)) { grow = Math.max(bytes, 256); ptr = tryAlloc(grow); }
  if (ptr === 0) {
    throw new RangeError(`wasm-cnn: out of memory: cannot allocate ${bytes} bytes of kernel workspace (wasm memory is ${k.memory.buffer.byteLength} bytes, live tensor bytes ${liveBytes})`);
  }
  scratch[slot] = { ptr, bytes: grow };
  return ptr;
}

/** Bytes of the IntArgs slot: 256 ints, e.g. 16 conv argument blocks of 64 bytes. */
const INT_ARGS_BYTES = 256 * 4;

/** Copies a small int array into the IntArgs slot at int `offset` (for shapes/strides passed to kernels). */
export function int32Args(values: ArrayLike<number>, offset = 0): number {
  const base = workspace(INT_ARGS_BYTES, WorkspaceSlot.IntArgs);
  heapI32().set(values as any, (base >>> 2) + offset);
  return base + offset * 4;
}

/** Byte pointer of argument block `index` of `bytes` bytes each in the IntArgs slot (one block per thread's part). */
export function argBlock(index: number, bytes: number): number {
  return workspace(INT_ARGS_BYTES, WorkspaceSlot.IntArgs) + index * bytes;
}
