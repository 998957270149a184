// The seeded computation as a workerd (Cloudflare Workers) module worker: the prebuilt ESM bundle
// of the main entry, the baseline kernels imported as a CompiledWasm module (workerd cannot
// compile wasm from bytes), seeded.js and seeded-graph.js as they are. GET / answers with the results as JSON.
import * as W from '../../dist/wasm-cnn.browser.js';
import kernels from '../../dist/wasm-cnn.wasm';
import { seededComputation } from './seeded.js';
import { seededGraphComputation } from './seeded-graph.js';

export default {
  async fetch() {
    try {
      await W.init({ wasm: kernels, simd: 'baseline' });
      const result = seededComputation(W);
      const graph = seededGraphComputation(W);
      return Response.json({ runtime: 'workerd', variant: W.backendInfo().variant, result, graph });
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    }
  },
};
