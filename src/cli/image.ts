// The image input of `wasm-cnn predict`: a PNG or JPEG decoded (data.decodeImage) to gray or RGB
// values in [0, 1], and the tensor in the layout and size the model's input asks for.
import { tensor, data, FormatError, LimitError, ShapeError, ValueError, type Tensor } from '../index.js';

/** Decoded 8-bit pixels: `channels` (1 to 4) values per pixel, row by row. */
export interface Png { width: number; height: number; channels: number; data: ArrayLike<number> }

/** The image as float gray [H*W] and RGB [H*W*3] values in [0, 1]. */
function pngPixels(png: Png): { gray: Float32Array; rgb: Float32Array } {
  const { width, height, channels, data: px } = png;
  const gray = new Float32Array(width * height);
  const rgb = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    const r = px[s] / 255, g = channels >= 3 ? px[s + 1] / 255 : r, b = channels >= 3 ? px[s + 2] / 255 : r;
    const a = channels === 2 || channels === 4 ? px[s + channels - 1] / 255 : 1;
    // Transparent pixels count as black (MNIST's background).
    rgb[p * 3] = r * a; rgb[p * 3 + 1] = g * a; rgb[p * 3 + 2] = b * a;
    gray[p] = (0.299 * r + 0.587 * g + 0.114 * b) * a;
  }
  return { gray, rgb };
}

/**
 * Decodes a PNG or JPEG file's bytes with data.decodeImage (its declared size checked against
 * maxImagePixels first: LimitError); FormatError names `path`.
 */
export function decodePng(bytes: Uint8Array, path: string): Png {
  let img: Tensor;
  try {
    img = data.decodeImage(bytes);
  } catch (e) {
    const detail = (e as Error).message.replace(/^decodeImage:? /, '');
    if (e instanceof LimitError) throw new LimitError(`${path} ${detail}`, e.limit);
    if (e instanceof FormatError) throw new FormatError(`${path} is not a readable PNG or JPEG image (${detail})`);
    throw e;
  }
  const [height, width, channels] = img.shape;
  const values = img.dataSync();
  img.dispose();
  return { width, height, channels, data: values };
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

