// Model.fromOnnx on the full-size torchvision exports in /work/zoo (bench/export-zoo.py: random weights,
// eval mode, batch 1, opset 13, batch norm folded into the convs as PyTorch's default export does): each
// imports as a graph Model of layers, runs on the export's wave input (in NHWC) and is compared with
// PyTorch's output (<name>.out.f32). Prints one line per model: layers, parameter tensors, import time,
// max |Δ| (absolute and relative to max |output|) and whether the top-1 class agrees; a model with an op
// no layer expresses prints its FormatError.
//
// Run:  node bench/from-onnx-zoo.mjs [name ...]        (default: every model in /work/zoo/manifest.json)
//       ZOO=/other/dir node bench/from-onnx-zoo.mjs
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { init, Model, tensor, tidy } from 'wasm-cnn';

const dir = process.env.ZOO ?? '/work/zoo';
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(manifest);
await init();

/** The export's input x[i] = 2 sin(0.731 i + 0.1) over NCHW indices, laid out NHWC. */
function waveNhwc([n, c, h, w]) {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) {
    for (let ci = 0; ci < c; ci++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ci] = Math.fround(2 * Math.sin(0.731 * (((b * c + ci) * h + y) * w + x) + 0.1));
      }
    }
  }
  return tensor(out, [n, h, w, c]);
}

const argmax = (v) => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);

for (const name of names) {
  const e = manifest[name];
  if (e.task !== 'classification') { console.log(`${name}: skipped (${e.task})`); continue; }
  const raw = readFileSync(join(dir, `${name}.out.f32`));
  const want = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
  const t0 = performance.now();
  let model;
  try {
    model = await Model.fromOnnx(readFileSync(join(dir, e.file)));
  } catch (err) {
    console.log(`${name}: ${err.name}: ${err.message.split(' (supported ops')[0]}`);
    continue;
  }
  const ms = performance.now() - t0;
  const got = tidy(() => model.predict(waveNhwc(e.input)).dataSync());
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
  const scale = want.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
  console.log(`${name}: ${model.layers.length} layers, ${model.parameters().length} parameter tensors, import ${ms.toFixed(0)} ms; ` +
    `max |Δ| ${diff.toExponential(2)} (${(diff / scale).toExponential(2)} of max |output|), top-1 ${argmax(got) === argmax(want) ? 'same' : 'DIFFERENT'}`);
  model.dispose();
}
