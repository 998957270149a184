// The seeded image pipeline (seeded-images.js) as a workerd module worker: POST a JSON array of
// the image files' bytes (arrays of numbers, in IMAGE_FILES order); answers the hashes as JSON.
// The prebuilt browser bundle, the baseline kernels as a CompiledWasm module.
import * as W from '../../dist/wasm-cnn.browser.js';
import kernels from '../../dist/wasm-cnn.wasm';
import { seededImagePipeline } from './seeded-images.js';

export default {
  async fetch(request) {
    try {
      const files = (await request.json()).map((bytes) => Uint8Array.from(bytes));
      await W.init({ wasm: kernels, simd: 'baseline' });
      return Response.json({ runtime: 'workerd', variant: W.backendInfo().variant, images: seededImagePipeline(W, files) });
    } catch (e) {
      return new Response(String(e?.stack ?? e), { status: 500 });
    }
  },
};
