// Runs the seeded computations on the built main entry (dist/index.js) with the kernel file given
// as a file: URL argument, and prints one JSON line: seeded.js's under `result`, the graph model's
// (seeded-graph.js) under `graph`. Plain JS,
// no Node built-in imported by this file: runs unchanged in Node, Deno and Bun.
//   node|bun seeded-cli.js <file:///.../wasm-cnn.wasm>      deno run --allow-read seeded-cli.js <url>
import * as W from '../../dist/index.js';
import { seededComputation } from './seeded.js';
import { seededGraphComputation } from './seeded-graph.js';

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
if (!args[0]) throw new Error('usage: seeded-cli.js <file: URL of the baseline kernel build>');
await W.init({ wasm: new URL(args[0]), simd: 'baseline' });
const result = seededComputation(W);
const g = globalThis;
const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${g.process.versions.node}`;
const graph = seededGraphComputation(W);
console.log(JSON.stringify({ runtime, variant: W.backendInfo().variant, result, graph }));
