// Model.fromOnnx on the full-size torchvision exports in /work/zoo (bench/export-zoo.py: random weights,
// eval mode, batch 1, opset 13, batch norm folded into the convs as PyTorch's default export does): each
// imports as a graph Model of layers, runs on the export's wave input (NCHW, the graph's own layout) and
// is compared with PyTorch's output (<name>.out.f32). Prints one line per model: layers, parameter
// tensors, import time, the wasm memory its weights hold (backendInfo().liveBytes) against the file's
// size, max |Δ| (absolute and relative to max |output|) and whether the top-1 class agrees; a model with
// an op no layer expresses prints its FormatError.
//
// Run:  node bench/from-onnx-zoo.mjs [name ...]        (default: every model in /work/zoo/manifest.json)
//       ZOO=/other/dir node bench/from-onnx-zoo.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, Model, backendInfo, tensor, tidy } from 'wasm-cnn';

const dir = process.env.ZOO ?? '/work/zoo';
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(manifest);
await init();

/** The export's input x[i] = 2 sin(0.731 i + 0.1), NCHW. */
function wave(shape) {
  const out = new Float32Array(shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(2 * Math.sin(0.731 * i + 0.1));
  return tensor(out, shape);
}

const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

for (const name of names) {
  const e = manifest[name];
  if (e.task !== 'classification') { console.log(`${name}: skipped (${e.task})`); continue; }
  const raw = readFileSync(join(dir, `${name}.out.f32`));
  const want = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const bytes = readFileSync(join(dir, e.file));
  const live0 = backendInfo().liveBytes;
  const t0 = performance.now();
  let model;
  try {
    model = await Model.fromOnnx(bytes);
  } catch (err) {
    console.log(`${name}: ${err.name}: ${err.message.split(' (supported ops')[0]}`);
    continue;
  }
  const ms = performance.now() - t0;
  const memory = (backendInfo().liveBytes - live0) / bytes.length;
  const got = tidy(() => model.predict(wave(e.input)).dataSync());
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
  const scale = want.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  console.log(`${name}: ${model.layers.length} layers, ${model.parameters().length} parameter tensors, import ${ms.toFixed(0)} ms, weights ${memory.toFixed(3)}x the file; ` +
    `max |Δ| ${diff.toExponential(2)} (${(diff / scale).toExponential(2)} of max |output|), top-1 ${argmax(got) === argmax(want) ? 'same' : 'DIFFERENT'}`);
  model.dispose();
}
