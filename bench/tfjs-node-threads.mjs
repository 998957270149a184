// tfjs-backend-wasm's multi-threaded (XNNPACK pthreads) build in Node. tfjs turns threads off in Node
// (the WASM_HAS_MULTITHREAD_SUPPORT flag is false when IS_NODE; tensorflow/tfjs#3830), because its
// Emscripten pthread workers are started from blob: URLs, which node:worker_threads rejects. The
// worker script itself supports Node, so this writes it to a file once and hands Emscripten that
// path instead, and lets each pthread worker take the Emscripten factory from its CommonJS module
// rather than from the blob the main thread posts.
import { createRequire } from 'node:module';
import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join, dirname } from 'node:path';

const require = createRequire(import.meta.url);

/** Writes the pthread worker script to a temporary file and returns its path. */
function writeWorkerScript() {
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
  const { wasmWorkerContents } = require(join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'));
  const factory = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  // The module keeps the script in a template literal, so its "\n" escapes arrive as newlines.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const patched = script.replace(
    'importScripts:function(f){',
    // A blob: URL names the factory the main thread posts; the worker already has it from require.
    'importScripts:function(f){if(String(f).startsWith("blob:"))return;',
  );
  if (patched === script) throw new Error('tfjs-backend-wasm worker script changed: cannot patch importScripts');
  const prelude = `global.WasmBackendModuleThreadedSimd = require(${JSON.stringify(factory)});\n`;
  const file = join(mkdtempSync(join(os.tmpdir(), 'tfjs-wasm-threads-')), 'pthread-worker.cjs');
  writeFileSync(file, prelude + patched);
  return file;
}

/**
 * Initialises tfjs-backend-wasm with `threads` XNNPACK threads in this Node thread (call before its
 * first setBackend('wasm')). Returns the thread count the backend reports.
 */
export async function initTfjsWasmThreads(tf, tfwasm, threads) {
  const workerFile = writeWorkerScript();
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  tfwasm.setThreadsCount(threads);
  const createObjectURL = URL.createObjectURL;
  // tfjs' locateFile wraps the worker script in a JavaScript blob; answer with the file instead.
  URL.createObjectURL = (blob) => (blob?.type === 'application/javascript' ? workerFile : createObjectURL(blob));
  // The backend caps its pool at half the logical cores (it assumes two hyperthreads per core), so on a
  // 2-vCPU machine it would run one thread: report 2 x `threads` cores while the module initialises.
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus()[i % cpus().length]);
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs-backend-wasm (threaded) failed to initialise');
    await tf.ready();
  } finally {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
  }
  return tfwasm.getThreadsCount();
}
