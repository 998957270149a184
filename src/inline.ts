// Entry of the self-contained bundle dist/wasm-cnn.inline.js: the baseline kernel build is
// inlined (base64), so `init()` needs no fetch and no file next to the script.
// (Runtimes that forbid compiling wasm from bytes, like Cloudflare Workers, should import
// `wasm-cnn/wasm` as a module and pass it to init({ wasm }) instead.)
// @ts-ignore esbuild's binary loader turns the .wasm import into a Uint8Array
import wasmBytes from '../dist/wasm-cnn.wasm';
import { init as initMain, type InitOptions } from './index.js';

export * from './index.js';

export async function init(options: InitOptions = {}): Promise<void> {
  await initMain({ wasm: wasmBytes as Uint8Array, ...options });
}
