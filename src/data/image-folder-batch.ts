// data.decodeImageBatch: encoded PNG / JPEG files -> one float32 batch [N, h, w, C], decoded and
// resized on the host, so an image of any size costs host memory only while it is decoded and the
// wasm memory holds just the batch (what data.imageFolder reads for every batch). The resize reads
// ops.resize's own tap tables and rounds every product and sum to float32 (Math.fround; the
// intermediate doubles make each float32 operation exact), so the values are bit-identical to
// `ops.resize(data.toFloat(data.decodeImage(bytes, { channels }), { scale }), size, { method })`
// in every runtime.
import { Tensor } from '../tensor.js';
import { ValueError, rejectUnknownOptions } from '../errors.js';
import { describe } from '../ops/util.js';
import { resizeTable } from '../ops/resize/geometry.js';
import { decodeRawImage, toChannels } from './decode-image.js';
import { resolveImageOptions, type ImageBatchOptions, type ResolvedImageOptions } from './image-folder-options.js';

export type { ImageBatchOptions };

const KNOWN = ['imageSize', 'channels', 'interpolation', 'scale', 'names'];

/**
 * Decodes PNG / JPEG files (bytes) of any sizes into one float32 tensor [N, h, w, C]: each image
 * converted to `channels`, scaled by `scale` and resized to `imageSize` (see the file comment for
 * the exact arithmetic). FormatError naming the image for a file that is not a readable PNG / JPEG.
 */
export function decodeImageBatch(images: readonly (Uint8Array | ArrayBuffer)[], options: ImageBatchOptions): Tensor {
  const where = 'decodeImageBatch';
  if (!Array.isArray(images) || images.length === 0) throw new ValueError(`${where}: images must be a non-empty array of Uint8Array / ArrayBuffer, got ${describe(images)}`);
  if (options === null || typeof options !== 'object') throw new ValueError(`${where}: options must be an object with imageSize, got ${describe(options)}`);
  rejectUnknownOptions(where, options, KNOWN);
  if (options.imageSize === undefined) throw new ValueError(`${where}: option imageSize ([height, width]) is required`);
  const o = resolveImageOptions(where, options, ValueError);
  const names = options.names;
  if (names !== undefined && (!Array.isArray(names) || names.length !== images.length)) {
    throw new ValueError(`${where}: names must be an array of ${images.length} strings (one per image), got ${describe(names)}`);
  }
  const per = o.height * o.width * o.channels;
  const values = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    const bytes = img instanceof ArrayBuffer ? new Uint8Array(img) : img;
    const name = names ? String(names[i]) : `${where}: image ${i}`;
    if (!(bytes instanceof Uint8Array)) throw new ValueError(`${where}: images[${i}] must be a Uint8Array or ArrayBuffer, got ${describe(img)}`);
    const raw = decodeRawImage(bytes, name);
    resizeInto(toChannels(raw, o.channels), raw.height, raw.width, o, values, i * per);
  });
  const out = Tensor.empty([images.length, o.height, o.width, o.channels], 'float32');
  out.view().set(values);
  return out;
}

const f = Math.fround;

/**
 * Writes `pixels` (inH x inW x C bytes) scaled and resized into out[offset ...]: separable, each
 * output row resampled along the width from source rows y0 and y1, then blended down the height,
 * every step rounded to float32 as ops.resize's kernel does (w0 * a + w1 * b).
 */
export function resizeInto(pixels: Uint8Array, inH: number, inW: number, o: ResolvedImageOptions, out: Float32Array, offset: number): void {
  const C = o.channels, outH = o.height, outW = o.width;
  // Scaled as read (rounded to float32 as toFloat stores it): only the source pixels the taps reach are touched.
  const scale = o.scale;
  const scaled = (i: number) => f(pixels[i] * scale);
  const nearest = o.interpolation === 'nearest';
  const mode = { method: o.interpolation, mode: 'halfPixel' as const };
  const rowTable = new DataView(resizeTable(inH, outH, mode)), colTable = new DataView(resizeTable(inW, outW, mode));
  const entry = (t: DataView, k: number) => [t.getInt32(16 * k, true), t.getInt32(16 * k + 4, true), t.getFloat32(16 * k + 8, true), t.getFloat32(16 * k + 12, true)];
  const cols = Array.from({ length: outW }, (_, k) => entry(colTable, k));
  const rowLen = outW * C;
  const resampleRow = (y: number, dst: Float32Array) => {
    const base = y * inW * C;
    for (let ox = 0; ox < outW; ox++) {
      const [x0, x1, w0, w1] = cols[ox];
      for (let c = 0; c < C; c++) {
        const a = scaled(base + x0 * C + c);
        dst[ox * C + c] = nearest ? a : f(f(w0 * a) + f(w1 * scaled(base + x1 * C + c)));
      }
    }
  };
  const r0 = new Float32Array(rowLen), r1 = new Float32Array(rowLen);
  for (let oy = 0; oy < outH; oy++) {
    const [y0, y1, w0, w1] = entry(rowTable, oy);
    const dst = out.subarray(offset + oy * rowLen, offset + (oy + 1) * rowLen);
    if (nearest) { resampleRow(y0, dst); continue; }
    resampleRow(y0, r0);
    resampleRow(y1, r1);
    for (let i = 0; i < rowLen; i++) dst[i] = f(f(w0 * r0[i]) + f(w1 * r1[i]));
  }
}
