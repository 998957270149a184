// A Cloudflare Workers module worker that trains a small CNN in slices (trainer.js): each
// `POST /train` runs one epoch from the last checkpoint and stores the next one, so no request
// comes near the CPU limit and the run ends with the weights an uninterrupted run would have.
// Checkpoints go to the KV namespace bound as CHECKPOINTS (wrangler.toml) when there is one, else
// to a Map in the isolate's memory (fine for a demo: lost when the isolate is recycled).
// workerd compiles no WebAssembly from bytes: the kernels are imported as a module (wasm-cnn/wasm).
import { init } from 'wasm-cnn';
import kernels from 'wasm-cnn/wasm';
import { createHandler, kvStore, mapStore } from './trainer.js';

const memory = mapStore();
let ready = null;

const handle = createHandler(async (env) => {
  ready ??= init({ wasm: kernels });
  await ready;
  return env?.CHECKPOINTS ? kvStore(env.CHECKPOINTS) : memory;
});

export default {
  async fetch(request, env) {
    try {
      return await handle(request, env);
    } catch (e) {
      return new Response(JSON.stringify({ error: String(e?.message ?? e) }), { status: 500, headers: { 'content-type': 'application/json' } });
    }
  },
};
