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

/** Runs ONNX bytes on one input in onnxruntime-web; the first output's values and dims. */
export async function runOrt(ort: Ort, bytes: Uint8Array, x: { dataSync(): ArrayLike<number>; shape: readonly number[] }): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.dataSync()), x.shape.slice()) };
    const out = await session.run(feeds);
    const y = out[session.outputNames[0]];
    return { data: y.data as Float32Array, dims: y.dims };
  } finally {
    await session.release();
  }
}
