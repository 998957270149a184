// Node side of the browser bit-identity test (test/browser.test.ts) for builds Node runs only
// behind a flag: `node --experimental-wasm-relaxed-simd test/runtimes/browser-node-seeded.js relaxed [threads]`.
// Loads dist/index.js (the same TypeScript host as the browser bundle) with the kernels from
// dist/ and prints the seeded computations' result (the graph model's under `graph`) as one JSON line.
import { readFileSync } from 'node:fs';
import * as W from '../../dist/index.js';
import { seededComputation } from './seeded.js';
import { seededGraphComputation } from './seeded-graph.js';

const simd = process.argv[2] ?? 'baseline';
const threads = Number(process.argv[3] ?? 1);
const file = new URL(`../../dist/wasm-cnn${simd === 'relaxed' ? '.relaxed' : ''}.wasm`, import.meta.url);
await W.init(threads > 1 ? { simd, threads } : { simd, wasm: readFileSync(file) });
const result = { ...seededComputation(W), graph: seededGraphComputation(W), info: W.backendInfo() };
process.stdout.write(JSON.stringify(result) + '\n');
await W.shutdown();
