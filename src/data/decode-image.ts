// data.decodeImage: PNG or JPEG bytes -> [H, W, C] pixels, with fast-png and jpeg-js (pure JS, so
// it runs in every runtime). The header is read and its pixel count checked first; every decoder
// failure becomes a FormatError.
import { Tensor } from '../tensor.js';
import { FormatError, ValueError, fmtValue, rejectUnknownOptions } from '../errors.js';
import { getLimits } from '../limits.js';
import { imageCodecs } from './image-codecs.js';
import { readImageHeader } from './image-header.js';

/** Decoded samples before any conversion: `data` holds `channels` samples per pixel in 0..`max`. */
export interface RawImage {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  channels: number;
  max: number;
  data: Uint8Array | Uint16Array;
}

export interface DecodeImageOptions {
  /** Channels of the result: 1 (grey, BT.601 luma), 3 (RGB) or 4 (RGBA); omitted keeps the file's own. */
  channels?: 1 | 3 | 4;
}

/** Unpacks 1, 2 and 4-bit PNG rows (each row starts on a byte) into one sample per byte. */
function unpackBits(packed: ArrayLike<number>, width: number, height: number, channels: number, depth: number): Uint8Array {
  const rowSamples = width * channels;
  const rowBytes = Math.ceil((rowSamples * depth) / 8);
  const out = new Uint8Array(rowSamples * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < rowSamples; i++) {
      const bit = i * depth;
      out[y * rowSamples + i] = (packed[y * rowBytes + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

function rawPng(bytes: Uint8Array): RawImage {
  const png = imageCodecs().decodePng(bytes, { checkCrc: true });
  const { width, height, depth, palette } = png;
  const data = depth < 8 ? unpackBits(png.data, width, height, png.channels, depth) : png.data;
  if (data.length < width * height * png.channels) throw new Error(`pixel data ends early (${data.length} samples)`);
  if (!palette) {
    return { format: 'png', width, height, channels: png.channels, max: 2 ** depth - 1, data: data instanceof Uint16Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
  const channels = palette[0]?.length === 4 ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  for (let p = 0; p < width * height; p++) {
    const colour = palette[data[p]];
    if (!colour) throw new Error(`pixel ${p} uses palette index ${data[p]} of ${palette.length}`);
    for (let c = 0; c < channels; c++) out[p * channels + c] = colour[c];
  }
  return { format: 'png', width, height, channels, max: 255, data: out };
}

function rawJpeg(bytes: Uint8Array, channels: number): RawImage {
  const pixels = getLimits().maxImagePixels;
  const jpeg = imageCodecs().decodeJpeg(bytes, {
    useTArray: true, formatAsRGBA: false, tolerantDecoding: false,
    maxResolutionInMP: pixels / 1e6, maxMemoryUsageInMB: Math.ceil((pixels * 16) / (1 << 20)) + 16,
  });
  const { width, height, data } = jpeg;
  if (channels === 3) return { format: 'jpeg', width, height, channels, max: 255, data };
  // jpeg-js writes grey images as R = G = B: keep one.
  const grey = new Uint8Array(width * height);
  for (let p = 0; p < grey.length; p++) grey[p] = data[p * 3];
  return { format: 'jpeg', width, height, channels: 1, max: 255, data: grey };
}

/**
 * The samples of a PNG or JPEG file as stored (16-bit PNGs keep 16 bits, palettes are expanded).
 * LimitError when the declared size is above maxImagePixels, FormatError for anything unreadable;
 * `what` starts the messages.
 */
export function decodeRawImage(bytes: Uint8Array, what: string): RawImage {
  const header = readImageHeader(bytes, what);
  let raw: RawImage;
  try {
    raw = header.format === 'png' ? rawPng(bytes) : rawJpeg(bytes, header.channels);
  } catch (e) {
    throw new FormatError(`${what}: not a readable ${header.format.toUpperCase()} image (${(e as Error)?.message ?? String(e)})`);
  }
  if (raw.width !== header.width || raw.height !== header.height) {
    throw new FormatError(`${what}: decoded ${raw.width}x${raw.height} pixels but the header declares ${header.width}x${header.height}`);
  }
  return raw;
}

/** ITU-R BT.601 luma of 8-bit RGB, rounded half up, in integers so every runtime agrees. */
export const luma = (r: number, g: number, b: number): number => Math.floor((299 * r + 587 * g + 114 * b + 500) / 1000);

/** The raw samples as 8-bit values with `channels` per pixel (see decodeImage for the conversions). */
export function toChannels(raw: RawImage, channels: number): Uint8Array {
  const { width, height, channels: from, max, data } = raw;
  const n = width * height;
  const to8 = max === 255 ? data : Uint8Array.from(data, (v) => Math.round((v * 255) / max));
  if (channels === from) return to8 instanceof Uint8Array ? to8 : new Uint8Array(to8);
  const out = new Uint8Array(n * channels);
  for (let p = 0; p < n; p++) {
    const s = p * from;
    const colour = from >= 3;
    const r = to8[s], g = colour ? to8[s + 1] : r, b = colour ? to8[s + 2] : r;
    const alpha = from === 2 || from === 4 ? to8[s + from - 1] : 255;
    const o = p * channels;
    if (channels === 1) out[o] = colour ? luma(r, g, b) : r;
    else if (channels === 2) { out[o] = colour ? luma(r, g, b) : r; out[o + 1] = alpha; }
    else { out[o] = r; out[o + 1] = g; out[o + 2] = b; if (channels === 4) out[o + 3] = alpha; }
  }
  return out;
}

/**
 * Decodes PNG (1 to 16-bit, grey, grey+alpha, RGB, RGBA, palette; interlaced with 8 or 16-bit
 * samples) or JPEG (baseline and progressive) bytes into an int32 tensor [H, W, C] of values 0..255 (the library has no
 * uint8 dtype). C is the file's own (grey 1, grey+alpha 2, RGB 3, RGBA 4; a palette gives 3, or 4
 * with transparency) unless `channels` asks for 1, 3 or 4: grey becomes RGB by copying, RGB
 * becomes grey by BT.601 luma (299 R + 587 G + 114 B) / 1000 rounded, alpha is dropped (not
 * blended) or added as 255. 16-bit samples become 8-bit as round(v / 257), 1 to 4-bit ones are
 * scaled to 0..255. Synchronous; LimitError (a FormatError) when the header declares more than
 * maxImagePixels pixels, checked before anything is decoded; FormatError for anything else.
 */
export function decodeImage(bytes: Uint8Array | ArrayBuffer, options: DecodeImageOptions = {}): Tensor {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new ValueError(`decodeImage: bytes must be a Uint8Array or ArrayBuffer, got ${fmtValue(bytes)}`);
  if (options === null || typeof options !== 'object') throw new ValueError(`decodeImage: options must be an object, got ${fmtValue(options)}`);
  rejectUnknownOptions('decodeImage', options, ['channels']);
  const { channels } = options;
  if (channels !== undefined && channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ValueError(`decodeImage: channels must be 1, 3 or 4, got ${fmtValue(channels)}`);
  }
  const raw = decodeRawImage(bytes, 'decodeImage');
  const c = channels ?? raw.channels;
  const pixels = toChannels(raw, c);
  const out = Tensor.empty([raw.height, raw.width, c], 'int32');
  out.view().set(pixels);
  return out;
}
