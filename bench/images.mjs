#!/usr/bin/env node
// Decode + resize throughput: 640x480 JPEGs to 224x224 float RGB, images/s, one thread.
//   wasm-cnn:  data.decodeImage (jpeg-js inside) -> data.toFloat -> ops.resize (bilinear, half-pixel) -> dataSync
//   tfjs:      jpeg-js decode -> floats / 255 -> tf.tensor3d -> tf.image.resizeBilinear (half-pixel) -> dataSync,
//              on tfjs-backend-wasm and tfjs-backend-cpu (tfjs-node, whose decodeJpeg is libjpeg, is
//              not installable here)
// Also the two halves alone: decode (bytes -> pixels) and resize (pixels already decoded -> 224x224 floats).
// The JPEGs are made here (jpeg-js encoder, quality 90) from smooth synthetic scenes with noise, so
// the entropy-coded data is like a photo's. Medians of round-robin repeats (bench/README.md).
//   node bench/images.mjs [--quick]
import jpeg from 'jpeg-js';
import { isQuick, log, median, fmt, ratio, mdTable, measureRoundRobin, rateCell, loadTf, tfBackend, loadWasmCnn, shutdownWasmCnn, machineInfo } from './models.mjs';

const W_IN = 640, H_IN = 480, SIDE = 224, IMAGES = 8;

/** A 640x480 RGB scene (gradients, circles, seeded noise) encoded as a JPEG. */
export function syntheticJpeg(k, quality = 90) {
  const data = new Uint8Array(W_IN * H_IN * 4);
  let s = 0x9e3779b9 ^ (k * 0x85ebca6b);
  for (let y = 0; y < H_IN; y++) {
    for (let x = 0; x < W_IN; x++) {
      s ^= s << 13; s ^= s >>> 17; s ^= s << 5;
      const noise = ((s >>> 0) % 25) - 12;
      const cx = x - 320 - 80 * Math.sin(k), cy = y - 240 - 60 * Math.cos(k);
      const ring = Math.sin(Math.sqrt(cx * cx + cy * cy) / (8 + k)) * 60;
      const o = 4 * (y * W_IN + x);
      data[o] = Math.max(0, Math.min(255, 110 + ring + (x * 80) / W_IN + noise));
      data[o + 1] = Math.max(0, Math.min(255, 90 + 0.6 * ring + (y * 120) / H_IN + noise));
      data[o + 2] = Math.max(0, Math.min(255, 140 - ring + ((x + y) * 40) / (W_IN + H_IN) + noise));
      data[o + 3] = 255;
    }
  }
  return new Uint8Array(jpeg.encode({ data, width: W_IN, height: H_IN }, quality).data);
}

export async function benchImages({ quick = false, repeats = quick ? 5 : 9 } = {}) {
  const files = Array.from({ length: IMAGES }, (_, k) => syntheticJpeg(k));
  log(`images: ${IMAGES} JPEGs ${W_IN}x${H_IN}, ${Math.round(files.reduce((a, f) => a + f.length, 0) / IMAGES / 1024)} KiB each on average`);
  const w = await loadWasmCnn();
  const { tf } = await loadTf();
  let next = 0;
  const file = () => files[next++ % IMAGES];
  const jpegOptions = { useTArray: true, formatAsRGBA: false };

  const cases = [];
  const pixels = files.map((f) => jpeg.decode(f, jpegOptions).data);
  if (w.mod) {
    const { data, ops, tidy } = w.mod;
    const resize = (img) => ops.resize(data.toFloat(img).reshape([1, H_IN, W_IN, 3]), [SIDE, SIDE], { method: 'bilinear' }).dataSync();
    const decoded = [];
    cases.push(
      { name: 'wasm-cnn decode+resize', work: 1, run: () => tidy(() => resize(data.decodeImage(file()))) },
      { name: 'wasm-cnn decode', work: 1, run: () => tidy(() => { data.decodeImage(file()); }) },
      { name: 'wasm-cnn resize', work: 1, setup: () => { for (const p of pixels) decoded.push(w.mod.keep(w.mod.tensor(Int32Array.from(p), [H_IN, W_IN, 3], 'int32'))); },
        run: () => tidy(() => resize(decoded[next++ % IMAGES])), teardown: () => decoded.forEach((t) => t.dispose()) },
    );
  } else {
    for (const n of ['decode+resize', 'decode', 'resize']) cases.push({ name: `wasm-cnn ${n}`, error: w.error });
  }
  cases.push({ name: 'jpeg-js decode', work: 1, run: () => { jpeg.decode(file(), jpegOptions); } });
  for (const be of ['wasm', 'cpu']) {
    // The fastest way in found: scale to floats in a JS loop, then one float32 tensor (an int32
    // tensor divided by 255 in tfjs is several times slower on both backends).
    const resize = (px) => tf.tidy(() => {
      const f = new Float32Array(px.length);
      for (let i = 0; i < px.length; i++) f[i] = px[i] / 255;
      return tf.image.resizeBilinear(tf.tensor3d(f, [H_IN, W_IN, 3]), [SIDE, SIDE], false, true).dataSync();
    });
    // tfjs keeps one current backend: switch before every repeat (untimed).
    const before = () => tfBackend(tf, be);
    cases.push(
      { name: `tfjs-${be} decode+resize`, work: 1, before, run: () => resize(jpeg.decode(file(), jpegOptions).data) },
      { name: `tfjs-${be} resize`, work: 1, before, run: () => resize(pixels[next++ % IMAGES]) },
    );
  }
  const res = await measureRoundRobin(cases, { repeats, minMs: quick ? 300 : 600, label: 'images: ' });
  const r = (n) => res.get(n);
  const rate = (n) => r(n)?.rate;
  const rows = [
    ['decode + resize (the pipeline)', rateCell(r('wasm-cnn decode+resize')), rateCell(r('tfjs-wasm decode+resize')), rateCell(r('tfjs-cpu decode+resize')),
      ratio(rate('wasm-cnn decode+resize'), rate('tfjs-wasm decode+resize')), ratio(rate('wasm-cnn decode+resize'), rate('tfjs-cpu decode+resize'))],
    ['decode alone (both jpeg-js)', rateCell(r('wasm-cnn decode')), rateCell(r('jpeg-js decode')), rateCell(r('jpeg-js decode')),
      ratio(rate('wasm-cnn decode'), rate('jpeg-js decode')), ratio(rate('wasm-cnn decode'), rate('jpeg-js decode'))],
    ['resize alone (to float, 640x480 -> 224x224)', rateCell(r('wasm-cnn resize')), rateCell(r('tfjs-wasm resize')), rateCell(r('tfjs-cpu resize')),
      ratio(rate('wasm-cnn resize'), rate('tfjs-wasm resize')), ratio(rate('wasm-cnn resize'), rate('tfjs-cpu resize'))],
  ];
  const spread = (n) => (r(n)?.samples?.length ? `${fmt(Math.min(...r(n).samples))}–${fmt(Math.max(...r(n).samples))}` : 'n/a');
  return [
    `### Decode + resize: ${W_IN}x${H_IN} JPEG -> ${SIDE}x${SIDE} float RGB, images/s (one thread)`,
    '',
    mdTable(['step', 'wasm-cnn', 'tfjs-wasm', 'tfjs-cpu', 'wasm-cnn ÷ tfjs-wasm', 'wasm-cnn ÷ tfjs-cpu'], rows),
    '',
    `wasm-cnn: \`data.decodeImage\` -> \`data.toFloat\` -> \`ops.resize(bilinear)\` -> \`dataSync\`; tfjs: jpeg-js \`decode\` -> floats / 255 in a JS loop -> \`tensor3d\` -> `
      + `\`image.resizeBilinear(halfPixelCenters)\` -> \`dataSync\`. ${IMAGES} synthetic JPEGs (jpeg-js encoder, quality 90, 4:2:0), cycled. `
      + `Medians of ${repeats} round-robin repeats (spread of the pipeline: wasm-cnn ${spread('wasm-cnn decode+resize')}, tfjs-wasm ${spread('tfjs-wasm decode+resize')}).`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await benchImages({ quick: isQuick() });
  const w = await loadWasmCnn();
  console.log(`${machineInfo(w.info)}\n\n${text}`);
  await shutdownWasmCnn();
}
