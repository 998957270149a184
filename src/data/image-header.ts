// The size and layout a PNG or JPEG file declares, read from its first bytes (PNG's IHDR chunk,
// JPEG's SOF segment) so the pixel count is checked against maxImagePixels before a decoder
// allocates anything.
import { FormatError } from '../errors.js';
import { checkLimit } from '../limits.js';

export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Channels of the decoded pixels before any conversion: PNG 1, 2, 3 or 4 (palette: 3, or 4 with tRNS, known only after decoding); JPEG 1 or 3. */
  channels: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
// Colour type -> samples per pixel (3: palette index, reported as RGB).
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };
const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

const isPng = (b: Uint8Array): boolean => b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
const isJpeg = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

function pngHeader(b: Uint8Array, what: string): ImageHeader {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 33 || dv.getUint32(8) !== 13 || dv.getUint32(12) !== 0x49484452) {
    throw new FormatError(`${what}: PNG without a complete IHDR chunk first (${b.length} bytes)`);
  }
  const width = dv.getUint32(16), height = dv.getUint32(20), depth = b[24], colorType = b[25];
  if (!PNG_DEPTHS[colorType]?.includes(depth)) {
    throw new FormatError(`${what}: PNG IHDR has colour type ${colorType} with bit depth ${depth}, which is not a valid PNG combination`);
  }
  if (b[28] === 1 && depth < 8) {
    throw new FormatError(`${what}: interlaced PNGs with ${depth}-bit samples are not supported (save it non-interlaced or with 8-bit samples)`);
  }
  return checked({ format: 'png', width, height, channels: PNG_CHANNELS[colorType] }, what);
}

// Start-of-frame markers: baseline, extended, progressive, lossless (Huffman coding; 0xC4, 0xC8, 0xCC are not frames).
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegHeader(b: Uint8Array, what: string): ImageHeader {
  let p = 2;
  // Walk the marker segments up to the frame header; each step moves forward, so this ends.
  while (p + 4 <= b.length) {
    if (b[p] !== 0xff) throw new FormatError(`${what}: JPEG marker expected at byte ${p}, found 0x${b[p].toString(16)}`);
    const marker = b[p + 1];
    if (marker === 0xff) { p++; continue; } // fill byte
    if (marker === 0xd9 || marker === 0xda) break; // end of image or scan data before any frame header
    const length = (b[p + 2] << 8) | b[p + 3];
    if (length < 2) throw new FormatError(`${what}: JPEG segment 0x${marker.toString(16)} at byte ${p} has length ${length}`);
    if (SOF.has(marker)) {
      if (p + 10 > b.length) break;
      const height = (b[p + 5] << 8) | b[p + 6], width = (b[p + 7] << 8) | b[p + 8], components = b[p + 9];
      if (components !== 1 && components !== 3 && components !== 4) {
        throw new FormatError(`${what}: JPEG frame has ${components} components (1, 3 or 4 are supported)`);
      }
      return checked({ format: 'jpeg', width, height, channels: components === 1 ? 1 : 3 }, what);
    }
    p += 2 + length;
  }
  throw new FormatError(`${what}: JPEG without a frame header (SOF) in its ${b.length} bytes`);
}

function checked(h: ImageHeader, what: string): ImageHeader {
  if (h.width === 0 || h.height === 0) throw new FormatError(`${what}: ${h.format.toUpperCase()} declares an empty image ${h.width}x${h.height}`);
  checkLimit('maxImagePixels', h.width * h.height, `${what} declares ${h.width}x${h.height} = ${h.width * h.height} pixels`, 'count');
  return h;
}

/**
 * The header of a PNG or JPEG file, its pixel count within maxImagePixels (LimitError), or a
 * FormatError naming `what` for anything else.
 */
export function readImageHeader(bytes: Uint8Array, what: string): ImageHeader {
  if (isPng(bytes)) return pngHeader(bytes, what);
  if (isJpeg(bytes)) return jpegHeader(bytes, what);
  const head = Array.from(bytes.subarray(0, 4), (v) => v.toString(16).padStart(2, '0')).join(' ');
  throw new FormatError(`${what}: not a PNG or JPEG file (starts with ${head || 'nothing'})`);
}
