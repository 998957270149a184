// One cold process, one prediction: imports wasm-cnn, init()s it (kernels read from the package's
// dist/), loads model/ from disk, answers one POST of sample-digit.json through handler.js, and
// prints the milestones as JSON, in ms since the process started (performance.now()).
// Runs unchanged in Node (`node first-prediction.js`), Deno (`deno run --allow-read
// first-prediction.js`) and Bun (`bun first-prediction.js`); cold-start.mjs runs it many times.
const started = performance.now();
const W = await import('wasm-cnn');
const { createHandler } = await import('./handler.js');
const image = (await import('./sample-digit.json', { with: { type: 'json' } })).default;
const imported = performance.now();
await W.init();
const initialised = performance.now();
const model = await W.Sequential.load(new URL('./model/', import.meta.url));
const loaded = performance.now();
const handle = createHandler(async () => ({ model }));
const response = await handle(new Request('http://localhost/', {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(image),
}));
const { digit } = await response.json();
const predicted = performance.now();
const g = globalThis;
const runtime = g.Deno ? `deno ${g.Deno.version.deno}` : g.Bun ? `bun ${g.Bun.version}` : `node ${g.process.versions.node}`;
console.log(JSON.stringify({
  runtime, variant: W.backendInfo().variant, status: response.status, digit,
  ms: { started, imported, initialised, loaded, predicted },
}));
