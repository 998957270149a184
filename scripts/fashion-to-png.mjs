// Writes Fashion-MNIST (Debian's IDX files) as folders of PNG files, one folder per class, for
// `wasm-cnn train --data DIR` and data.imageFolder:
//   DIR/train/<label>_<name>/<index>.png   and   DIR/test/<label>_<name>/<index>.png
// Folder names start with the label, so their sorted order is the label order; <index> is the
// image's position in the IDX file (zero-padded). Files are 28x28 8-bit grey PNGs, lossless.
//
//   node scripts/fashion-to-png.mjs [--out DIR] [--src DIR] [--train N] [--test N]
//
// --out     where to write (default /tmp/fashion-png); existing files are overwritten
// --src     the IDX directory (default /usr/share/datasets/fashion-mnist)
// --train N / --test N   write only the first N images of each split (a subset; default all)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import { loadIdxFile, findIdxFiles } from '../dist/pkg-node.js';

const NAMES = ['tshirt-top', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

const { values } = parseArgs({ options: { out: { type: 'string' }, src: { type: 'string' }, train: { type: 'string' }, test: { type: 'string' } } });
const out = values.out ?? '/tmp/fashion-png';
const src = values.src ?? '/usr/share/datasets/fashion-mnist';
const limit = (v) => (v === undefined ? Infinity : Number.isInteger(Number(v)) && Number(v) > 0 ? Number(v) : fail(`expected a positive integer, got '${v}'`));
function fail(message) { console.error(`fashion-to-png: ${message}`); process.exit(2); }

const files = findIdxFiles(src);
for (const [split, images, labels, max] of [
  ['train', files.trainImages, files.trainLabels, limit(values.train)],
  ['test', files.testImages, files.testLabels, limit(values.test)],
]) {
  const x = loadIdxFile(images), y = loadIdxFile(labels);
  const [n, h, w] = x.shape;
  const count = Math.min(n, max);
  const digits = String(n - 1).length;
  for (const [label, name] of NAMES.entries()) mkdirSync(join(out, split, `${label}_${name}`), { recursive: true });
  for (let i = 0; i < count; i++) {
    const label = y.values[i];
    const png = encode({ width: w, height: h, channels: 1, depth: 8, data: x.values.subarray(i * h * w, (i + 1) * h * w) });
    writeFileSync(join(out, split, `${label}_${NAMES[label]}`, `${String(i).padStart(digits, '0')}.png`), png);
  }
  console.log(`${split}: wrote ${count} PNG files (${w}x${h} grey) to ${join(out, split)}`);
}
