// One resume slice in workerd (resume.js): POST { input, until } (input: base64 checkpoints per
// case) answers { runtime, cases } with the next checkpoints and the weights' hashes. The prebuilt
// browser bundle, the baseline kernels as a CompiledWasm module (workerd compiles no wasm from bytes).
import * as W from '../../dist/wasm-cnn.browser.js';
import kernels from '../../dist/wasm-cnn.wasm';
import { trainSlices } from './resume.js';

export default {
  async fetch(request) {
    try {
      const { input, until } = await request.json();
      await W.init({ wasm: kernels, simd: 'baseline' });
      return Response.json({ runtime: 'workerd', cases: await trainSlices(W, input, until) });
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    }
  },
};
