#!/usr/bin/env node
// How loading and building scale with the size of a graph: loadOnnx of a fan-out graph (N Relu
// nodes all reading one value) and of a Conv -> Relu chain, building a Sequential and a graph
// model of N layers, and summary(). Prints process CPU time (user + system) and wall time per
// case, one run each (the cases take seconds; their growth with N is the point, not 5% noise).
// Usage: node bench/graph-scaling.mjs [--dist=dist] [--fanout=40000] [--chain=20000]
//                                     [--sequential=100000] [--graph=20000] [--only=fanout,chain,...]
// --dist points at another build (e.g. an older checkout's dist/) to compare.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const dist = resolve(args.dist ?? new URL('../dist', import.meta.url).pathname);
const W = await import(pathToFileURL(`${dist}/index.js`).href);
const { encodeModel } = await import(pathToFileURL(`${dist}/io/onnx/proto.js`).href);
await W.init({ wasm: readFileSync(`${dist}/wasm-cnn.wasm`) });
const only = args.only ? args.only.split(',') : ['fanout', 'chain', 'sequential', 'graph'];
const size = (k, dflt) => Number(args[k] ?? dflt);

const FLOAT = 1;
const node = (opType, input, output, attribute = []) => ({ opType, input, output, name: output[0], attribute });
const onnx = (nodes, inits, [inName, inDims], out) => encodeModel({
  irVersion: 7, opsetImport: [{ domain: '', version: 13 }], producerName: 'bench',
  graph: {
    name: 'g', node: nodes, initializer: inits,
    input: [{ name: inName, type: { tensorType: { elemType: FLOAT, shape: { dim: inDims.map((d) => ({ dimValue: d })) } } } }],
    output: [{ name: out, type: { tensorType: { elemType: FLOAT } } }],
  },
});

async function timed(what, fn) {
  const c0 = process.cpuUsage(), t0 = performance.now();
  const r = await fn();
  const c = process.cpuUsage(c0);
  console.log(`${what.padEnd(52)} ${((c.user + c.system) / 1000).toFixed(0).padStart(7)} ms CPU ${(performance.now() - t0).toFixed(0).padStart(7)} ms wall`);
  return r;
}

await W.loadOnnx(new Uint8Array(0)).catch(() => {}); // load the importer before timing
if (only.includes('fanout')) {
  const n = size('fanout', 40000);
  const bytes = onnx(Array.from({ length: n }, (_, i) => node('Relu', ['x'], [`r${i}`])), [], ['x', [1, 4]], `r${n - 1}`);
  (await timed(`loadOnnx: ${n}-node fan-out (${(bytes.length / 1024).toFixed(0)} KiB)`, () => W.loadOnnx(bytes))).dispose();
}
if (only.includes('chain')) {
  const n = size('chain', 20000);
  const nodes = [];
  let prev = 'x';
  for (let i = 0; i < n; i++) {
    nodes.push(node('Conv', [prev, 'w'], [`c${i}`], [{ name: 'kernel_shape', type: 7, ints: [1, 1] }]), node('Relu', [`c${i}`], [`r${i}`]));
    prev = `r${i}`;
  }
  const bytes = onnx(nodes, [{ name: 'w', dims: [1, 1, 1, 1], dataType: FLOAT, floatData: [1] }], ['x', [1, 1, 2, 2]], prev);
  (await timed(`loadOnnx: ${n}-layer Conv->Relu chain (${(bytes.length / 1024).toFixed(0)} KiB)`, () => W.loadOnnx(bytes))).dispose();
}
if (only.includes('sequential')) {
  const n = size('sequential', 100000);
  const layers = Array.from({ length: n }, () => W.nn.dense({ units: 2 }));
  const m = await timed(`new Sequential: ${n} dense layers`, () => new W.Sequential(layers, { inputShape: [2] }));
  await timed(`summary: ${n}-layer Sequential`, () => m.summary());
  m.dispose();
}
if (only.includes('graph')) {
  const n = size('graph', 20000);
  const input = W.nn.input({ shape: [2] });
  let y = input;
  for (let i = 0; i < n; i++) y = W.nn.dense({ units: 2 }).apply(y);
  const m = await timed(`new Model: ${n}-layer graph`, () => new W.Model({ inputs: input, outputs: y }));
  await timed(`summary: ${n}-layer graph model`, () => m.summary());
  m.dispose();
}
