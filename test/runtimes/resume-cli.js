// One resume slice in Node, Deno or Bun: reads the checkpoints (JSON of base64 strings per case,
// resume.js) from a file, trains every case on to epoch <until>, writes the next checkpoints and
// the weights' hashes as JSON to <out>. Files go through the runtime's own API (Deno's, or
// node:fs imported dynamically in Node and Bun).
//   node|bun resume-cli.js <file: URL of the kernels> <in.json | -> <out.json> <until>
//   deno run --allow-read --allow-write resume-cli.js ...
import * as W from '../../dist/index.js';
import { trainSlices } from './resume.js';

const g = globalThis;
const args = g.Deno ? g.Deno.args : g.process.argv.slice(2);
if (args.length !== 4) throw new Error('usage: resume-cli.js <kernels file: URL> <in.json | -> <out.json> <until>');
const [wasm, inFile, outFile, until] = args;
const fs = g.Deno ? null : await import('node:fs');
const read = (p) => (g.Deno ? g.Deno.readTextFileSync(p) : fs.readFileSync(p, 'utf8'));
const write = (p, text) => (g.Deno ? g.Deno.writeTextFileSync(p, text) : fs.writeFileSync(p, text));
await W.init({ wasm: new URL(wasm), simd: 'baseline' });
const input = inFile === '-' ? {} : JSON.parse(read(inFile));
const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${g.process.versions.node}`;
write(outFile, JSON.stringify({ runtime, cases: await trainSlices(W, input, Number(until)) }));
