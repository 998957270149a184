// An application bundled by esbuild the way a user would (test/browser.test.ts builds it into
// test-results/browser-app/): the package's main entry and its `wasm-cnn/wasm` export, whose
// file the bundler copies next to the bundle (--loader:.wasm=file).
import * as W from 'wasm-cnn';
import wasmUrl from 'wasm-cnn/wasm';
import { seededComputation } from './seeded.js';
import { seededGraphComputation } from './seeded-graph.js';

export async function run() {
  await W.init({ wasm: new URL(wasmUrl, import.meta.url), simd: 'baseline' });
  return { ...seededComputation(W), graph: seededGraphComputation(W), info: W.backendInfo() };
}
