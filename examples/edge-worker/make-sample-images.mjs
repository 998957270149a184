#!/usr/bin/env node
// Writes sample-digit.png and sample-digit.jpg from sample-digit.json (a real MNIST 7): the digit
// drawn dark on white paper, 4x larger (112x112, each pixel a 4x4 block), as a photo or a scan
// of a handwritten digit would arrive. The worker must invert, shrink and classify it.
//   node examples/edge-worker/make-sample-images.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { encode as encodePng } from 'fast-png';
import jpeg from 'jpeg-js';

const here = new URL('.', import.meta.url);
const digit = JSON.parse(readFileSync(new URL('sample-digit.json', here), 'utf8'));
const SCALE = 4, SIDE = 28 * SCALE;
const grey = new Uint8Array(SIDE * SIDE);
for (let y = 0; y < SIDE; y++) {
  for (let x = 0; x < SIDE; x++) grey[y * SIDE + x] = 255 - Math.round(255 * digit[Math.floor(y / SCALE) * 28 + Math.floor(x / SCALE)]);
}
writeFileSync(new URL('sample-digit.png', here), encodePng({ width: SIDE, height: SIDE, data: grey, channels: 1, depth: 8 }));
const rgba = new Uint8Array(SIDE * SIDE * 4);
for (let p = 0; p < SIDE * SIDE; p++) rgba.set([grey[p], grey[p], grey[p], 255], 4 * p);
writeFileSync(new URL('sample-digit.jpg', here), jpeg.encode({ data: rgba, width: SIDE, height: SIDE }, 85).data);
