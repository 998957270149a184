// Runs the seeded image pipeline (seeded-images.js) on the built main entry (dist/index.js) with
// the kernel file given as a file: URL, and prints one JSON line. The image files are read with the
// runtime's own API (Deno's, or node:fs imported dynamically in Node and Bun).
//   node|bun seeded-images-cli.js <file:///.../wasm-cnn.wasm> [--perturb]
//   deno run --allow-read seeded-images-cli.js <url> [--perturb]
import * as W from '../../dist/index.js';
import { IMAGE_FILES, seededImagePipeline } from './seeded-images.js';

const g = globalThis;
const args = g.Deno ? g.Deno.args : g.process.argv.slice(2);
if (!args[0]) throw new Error('usage: seeded-images-cli.js <file: URL of the baseline kernel build> [--perturb]');
const fs = g.Deno ? null : await import('node:fs');
const read = (url) => (g.Deno ? g.Deno.readFileSync(url) : new Uint8Array(fs.readFileSync(url)));
await W.init({ wasm: new URL(args[0]), simd: 'baseline' });
const files = IMAGE_FILES.map((f) => read(new URL(`../fixtures/images/${f}`, import.meta.url)));
const images = seededImagePipeline(W, files, { perturb: args.includes('--perturb') });
const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${g.process.versions.node}`;
console.log(JSON.stringify({ runtime, variant: W.backendInfo().variant, images }));
