// A Cloudflare Workers module worker that classifies handwritten digits with a wasm-cnn model.
// workerd forbids compiling WebAssembly from bytes at run time, so the kernels are imported as
// a precompiled module (wrangler's CompiledWasm rule for *.wasm) and handed to init(); the model
// is bundled too: model.json inlined as JSON, weights.bin as a Data module (an ArrayBuffer).
// `npm run demo:edge` bundles this file (build.mjs) and serves it with miniflare (workerd).
import { init, Sequential } from 'wasm-cnn';
import kernels from 'wasm-cnn/wasm';
import modelJson from './model/model.json';
import weights from './model/weights.bin';
import { createHandler } from './handler.js';

// Loaded once per isolate, on the first request, and shared by every request after it.
let loading = null;
let cold = true;

async function load() {
  const t0 = performance.now();
  await init({ wasm: kernels });
  const t1 = performance.now();
  const model = Sequential.fromJSON(modelJson, weights);
  return { model, timings: { init: t1 - t0, load: performance.now() - t1 } };
}

async function getModel() {
  if (!loading) {
    loading = load();
    loading.catch(() => { loading = null; }); // a failed load is retried by the next request
  }
  const loaded = await loading;
  if (!cold) return { model: loaded.model };
  cold = false;
  return loaded;
}

const handle = createHandler(getModel);

export default {
  async fetch(request) {
    try {
      return await handle(request);
    } catch (e) {
      return new Response(JSON.stringify({ error: String(e?.message ?? e) }), {
        status: 500, headers: { 'content-type': 'application/json' },
      });
    }
  },
};
