// The image input of `wasm-cnn predict`: a PNG decoded to gray or RGB values in [0, 1], and the
// tensor in the layout and size the model's input asks for.
import { tensor, getLimits, FormatError, LimitError, ShapeError, ValueError, type Tensor } from '../index.js';

export interface Png { width: number; height: number; depth: number; channels: number; data: ArrayLike<number>; palette?: number[][] }

/** The image as float gray [H*W] and RGB [H*W*3] values in [0, 1]. */
function pngPixels(png: Png): { gray: Float32Array; rgb: Float32Array } {
  const { width, height, depth, channels, data, palette } = png;
  const max = palette ? 255 : 2 ** depth - 1;
  const rowSamples = width * channels;
  const rowBytes = Math.ceil((depth * rowSamples) / 8);
  const sample = (y: number, i: number): number => {
    if (depth >= 8) return data[y * rowSamples + i];
    const bit = i * depth;
    const byte = data[y * rowBytes + (bit >> 3)];
    return (byte >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  const gray = new Float32Array(width * height);
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r: number, g: number, b: number, a = 1;
      if (palette) {
        const c = palette[sample(y, x)] ?? [0, 0, 0];
        [r, g, b] = [c[0] / max, c[1] / max, c[2] / max];
        if (c.length > 3) a = c[3] / max;
      } else if (channels <= 2) {
        r = g = b = sample(y, x * channels) / max;
        if (channels === 2) a = sample(y, x * channels + 1) / max;
      } else {
        r = sample(y, x * channels) / max; g = sample(y, x * channels + 1) / max; b = sample(y, x * channels + 2) / max;
        if (channels === 4) a = sample(y, x * channels + 3) / max;
      }
      // Transparent pixels count as black (MNIST's background).
      const p = y * width + x;
      rgb[p * 3] = r * a; rgb[p * 3 + 1] = g * a; rgb[p * 3 + 2] = b * a;
      gray[p] = (0.299 * r + 0.587 * g + 0.114 * b) * a;
    }
  }
  return { gray, rgb };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * The width and height a PNG declares in its IHDR chunk, checked against maxImagePixels before
 * anything is decoded (LimitError); null when the bytes do not start like a PNG (the decoder says why).
 */
export function pngDeclaredSize(bytes: Uint8Array, path: string): { width: number; height: number } | null {
  if (bytes.length < 24 || !PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 24);
  if (dv.getUint32(12, false) !== 0x49484452) return null; // 'IHDR'
  const width = dv.getUint32(16, false), height = dv.getUint32(20, false);
  const max = getLimits().maxImagePixels;
  if (width * height > max) {
    throw new LimitError(`${path} declares ${width}x${height} = ${width * height} pixels, above the limit maxImagePixels = ${max}`, 'maxImagePixels');
  }
  return { width, height };
}

/** Decodes a PNG file's bytes (fast-png, loaded on first use) once its declared size is within the limit; FormatError names `path`. */
export async function decodePng(bytes: Uint8Array, path: string): Promise<Png> {
  pngDeclaredSize(bytes, path);
  const { decode } = await import('fast-png');
  try {
    const png = decode(bytes);
    return { width: png.width, height: png.height, depth: png.depth, channels: png.channels, data: png.data, palette: png.palette };
  } catch (e) {
    throw new FormatError(`${path} is not a readable PNG image (${(e as Error).message})`);
  }
}

/** Layout the model wants: [H, W, C] per sample in NHWC or NCHW, or flat features. */
export interface InputSpec { kind: 'nhwc' | 'nchw' | 'flat' | 'hw'; H: number; W: number; C: number }

/**
 * The input layout from a model's per-sample input shape. A 3-d shape reads as NCHW when its first
 * size can be a channel count (at most 4); without `nchwHint` (saved models are NHWC) only when its
 * last size cannot.
 */
export function specFromShape(sample: readonly (number | string | null)[], nchwHint: boolean, what: string): InputSpec {
  const n = (d: number | string | null | undefined): number | null => (typeof d === 'number' ? d : null);
  if (sample.length === 3) {
    const [a, b, c] = sample.map(n);
    const nchw = nchwHint ? a !== null && a <= 4 : (c === null || c > 4) && a !== null && a <= 4;
    if (nchw && a !== null && b !== null && c !== null) return { kind: 'nchw', C: a, H: b, W: c };
    if (!nchw && a !== null && b !== null && c !== null) return { kind: 'nhwc', H: a, W: b, C: c };
  } else if (sample.length === 2) {
    const [a, b] = sample.map(n);
    if (a !== null && b !== null) return { kind: 'hw', H: a, W: b, C: 1 };
  } else if (sample.length === 1) {
    const f = n(sample[0]);
    const side = f === null ? 0 : Math.round(Math.sqrt(f));
    if (f !== null && side * side === f) return { kind: 'flat', H: side, W: side, C: 1 };
  }
  throw new ValueError(`${what} takes input [N,${sample.join(',')}], which is not an image input this command can fill`);
}

/** The image as a batch of one in `spec`'s layout; `invert` uses 1 - pixel. */
export function imageTensor(png: Png, spec: InputSpec, invert: boolean, path: string): Tensor {
  if (png.width !== spec.W || png.height !== spec.H) {
    throw new ShapeError(`${path} is ${png.width}x${png.height} but the model expects ${spec.W}x${spec.H} images (resize it first)`);
  }
  if (spec.C !== 1 && spec.C !== 3) throw new ShapeError(`the model expects ${spec.C} channels; only 1 (gray) or 3 (RGB) are supported`);
  const { gray, rgb } = pngPixels(png);
  const src = spec.C === 1 ? gray : rgb;
  const vals = invert ? src.map((v) => 1 - v) : src;
  const { H, W, C } = spec;
  if (spec.kind === 'flat') return tensor(vals, [1, H * W]);
  if (spec.kind === 'hw') return tensor(vals, [1, H, W]);
  if (spec.kind === 'nhwc') return tensor(vals, [1, H, W, C]);
  // NCHW: channel planes.
  const planes = new Float32Array(H * W * C);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) planes[c * H * W + p] = vals[p * C + c];
  return tensor(planes, [1, C, H, W]);
}

