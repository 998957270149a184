// The seeded image pipeline every runtime must reproduce bit for bit: decode committed PNG and
// JPEG files (test/fixtures/images/), scale to floats, resize to 20x20, batch with a seeded
// shuffle, and augment each batch with every op of data.augment; reported as FNV-1a hashes. Plain
// JS (no Node built-ins): the caller reads the files with its runtime's own API. `W` is the
// wasm-cnn module namespace, already init()ed.
import { fnv1a } from './seeded.js';

/** The files, in the order their bytes are passed to seededImagePipeline. */
export const IMAGE_FILES = ['baseline-rgb420.jpg', 'progressive-rgb420.jpg', 'rgb8.png', 'palette8.png', 'rgba8.png', 'grey16.png'];

export const AUGMENT_OPTIONS = {
  flipHorizontal: true, flipVertical: true, randomCrop: { padding: 3 }, rotation: 25, zoom: 0.2,
  brightness: 0.1, contrast: 0.3, cutout: { size: 6 }, valueRange: [0, 1],
};

/**
 * `files`: the bytes of IMAGE_FILES. `perturb` adds one ulp to one resized value before the
 * augmentation (the test that shows a differing runtime is caught).
 */
export function seededImagePipeline(W, files, { epochs = 2, perturb = false } = {}) {
  const { data, ops } = W;
  W.setSeed(20261207);
  const decoded = [];
  const resized = W.tidy(() => {
    const each = files.map((bytes) => {
      const img = data.decodeImage(bytes, { channels: 3 });
      decoded.push(fnv1a(img.dataSync()));
      const [h, w, c] = img.shape;
      return ops.resize(data.toFloat(img).reshape([1, h, w, c]), [20, 20], { method: 'bilinear' });
    });
    return ops.concat(each, 0);
  });
  if (perturb) {
    const v = resized.dataSync();
    const bits = new Uint32Array(new Float32Array([v[7]]).buffer);
    bits[0] += 1;
    const changed = new Float32Array(v);
    changed[7] = new Float32Array(bits.buffer)[0];
    resized.view().set(changed);
  }
  const labels = W.tensor(new Int32Array(files.map((_, i) => i % 3)), [files.length], 'int32');
  const batches = [];
  let sum = 0;
  for (let e = 0; e < epochs; e++) {
    for (const [xb, yb] of data.batches(resized, labels, 4, { shuffle: true })) {
      const out = data.augment(xb, AUGMENT_OPTIONS);
      const v = out.dataSync();
      for (let i = 0; i < v.length; i++) sum += v[i];
      batches.push(`${fnv1a(v)}:${fnv1a(yb.dataSync())}`);
      out.dispose();
    }
  }
  const result = { decoded, resized: fnv1a(resized.dataSync()), batches, sum };
  resized.dispose();
  labels.dispose();
  return result;
}
