// Worker for bench.html: times the demo's training steps (trainer.js benchmark) in the browser.
import * as W from '../../dist/wasm-cnn.browser.js';
import { decodeDigits, benchmark } from './trainer.js';

self.onmessage = async (e) => {
  const { threads, simd, batches, warmup } = e.data;
  try {
    await W.init({ threads, simd });
    const res = await fetch(new URL('./data/mnist-digits.bin', import.meta.url));
    const ds = decodeDigits(W, await res.arrayBuffer());
    self.postMessage(await benchmark(W, ds, { batches, warmup }));
  } catch (err) {
    self.postMessage({ error: String((err && err.stack) || err) });
  }
};
