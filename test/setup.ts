// Every test file starts with the kernels loaded from dist/ (built by `npm test` first).
import { readFileSync } from 'node:fs';
import { init } from '../src/index.js';

const relaxed = process.env.WASM_CNN_SIMD === 'relaxed';
const file = new URL(relaxed ? '../dist/wasm-cnn.relaxed.wasm' : '../dist/wasm-cnn.wasm', import.meta.url);
await init({ wasm: readFileSync(file) });
