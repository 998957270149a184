// Misuse of the image functions in the table of test/harness/error-table.ts: decodeImage's bytes and
// options, toFloat / centerCrop / fromPixels arguments.
import { data, FormatError, ShapeError, ValueError, DisposedError } from '../src/index.js';
import { LimitError } from '../src/errors.js';
import { T, bad, errorTable, t, z } from './harness/error-table.js';

const png = (w: number, h: number, depth = 8, colorType = 2) => {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, w); new DataView(b.buffer).setUint32(20, h);
  b[24] = depth; b[25] = colorType;
  return b;
};
const rgba = (w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4), width: w, height: h });

// ---- decodeImage ---------------------------------------------------------------------------
bad('decodeImage: bytes a string', () => data.decodeImage('x.png' as any), ValueError, 'decodeImage', 'Uint8Array or ArrayBuffer', 'x.png');
bad('decodeImage: channels 2', () => data.decodeImage(png(2, 2), { channels: 2 as any }), ValueError, 'decodeImage', 'channels must be 1, 3 or 4', '2');
bad('decodeImage: unknown option', () => data.decodeImage(png(2, 2), { chanels: 3 } as any), ValueError, 'decodeImage', "unknown option 'chanels'");
bad('decodeImage: text bytes', () => data.decodeImage(new TextEncoder().encode('GIF89a')), FormatError, 'decodeImage', 'not a PNG or JPEG', '47 49 46 38');
bad('decodeImage: PNG header only', () => data.decodeImage(png(2, 2)), FormatError, 'decodeImage', 'not a readable PNG');
bad('decodeImage: PNG bit depth 5', () => data.decodeImage(png(2, 2, 5)), FormatError, 'decodeImage', 'colour type 2 with bit depth 5');
bad('decodeImage: PNG 100000x100000', () => data.decodeImage(png(100000, 100000)), LimitError, 'decodeImage declares 100000x100000', 'maxImagePixels');
bad('decodeImage: JPEG without SOF', () => data.decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])), FormatError, 'decodeImage', 'JPEG without a frame header');

// ---- toFloat / centerCrop ------------------------------------------------------------------
bad('toFloat: rank 2', () => data.toFloat(T.m23), ShapeError, 'toFloat', '[H, W, C] or [N, H, W, C]', '[2,3]');
bad('toFloat: mean of 2 for 3 channels', () => data.toFloat(T.img, { mean: [0.5, 0.5] }), ValueError, 'toFloat', 'mean', '3 of them');
bad('toFloat: std 0', () => data.toFloat(T.img, { std: 0 }), ValueError, 'toFloat', 'std', 'non-zero');
bad('toFloat: scale NaN', () => data.toFloat(T.img, { scale: NaN }), ValueError, 'toFloat', 'scale', 'NaN');
bad('toFloat: unknown option', () => data.toFloat(T.img, { meam: 0 } as any), ValueError, 'toFloat', "unknown option 'meam'");
bad('toFloat: disposed', () => data.toFloat(T.gone), DisposedError, 'toFloat');
bad('centerCrop: larger than the image', () => data.centerCrop(T.img, [6, 2]), ShapeError, 'centerCrop', 'crop [6, 2]', '[2,5,5,3]');
bad('centerCrop: size [0, 2]', () => data.centerCrop(T.img, [0, 2]), ValueError, 'centerCrop', 'positive integers');
bad('centerCrop: size 3', () => data.centerCrop(z([4, 4, 1]), 3 as any), ValueError, 'centerCrop', '[h, w]', '3');
bad('centerCrop: rank 5', () => data.centerCrop(t(new Float32Array(2), [1, 1, 1, 1, 2]), [1, 1]), ShapeError, 'centerCrop', '[1,1,1,1,2]');

// ---- fromPixels ----------------------------------------------------------------------------
bad('fromPixels: null', () => data.fromPixels(null as any), ValueError, 'fromPixels', 'ImageData');
bad('fromPixels: channels 2', () => data.fromPixels(rgba(2, 2), { channels: 2 as any }), ValueError, 'fromPixels', 'channels must be 1, 3 or 4');
bad('fromPixels: RGB data', () => data.fromPixels({ data: new Uint8Array(12), width: 2, height: 2 }), ShapeError, 'fromPixels', '2x2x4 = 16 RGBA values', '12');
bad('fromPixels: width 1.5', () => data.fromPixels({ data: new Uint8Array(4), width: 1.5, height: 1 }), ValueError, 'fromPixels', 'positive integers', '1.5');
bad('fromPixels: canvas without a canvas runtime', () => data.fromPixels({ width: 4, height: 4 } as any), ValueError, 'fromPixels', 'no canvas');

errorTable('images', 22);
