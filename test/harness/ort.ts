// onnxruntime-web in Node as the tests use it: the wasm execution provider on one thread, its
// binaries from the package's own dist/ folder (nothing is downloaded), warnings off.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Ort = typeof import('onnxruntime-web');

export async function loadOrt(): Promise<Ort> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.logLevel = 'error';
  const require = createRequire(import.meta.url);
  ort.env.wasm.wasmPaths = join(dirname(require.resolve('onnxruntime-web')), '/');
  return ort;
}
