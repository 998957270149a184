// Image preprocessing on [H, W, C] or [N, H, W, C] tensors: pixels to normalised floats, a
// centred crop, and browser pixel sources (ImageData, canvas, ImageBitmap, video) to a tensor.
import { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtShape, fmtValue, rejectUnknownOptions } from '../errors.js';
import { checkLimit } from '../limits.js';
import { luma } from './decode-image.js';

function checkImage(op: string, img: Tensor): void {
  if (!(img instanceof Tensor)) throw new ValueError(`${op}: img must be a Tensor, got ${fmtValue(img)}`);
  img._checkLive(op, 'img');
  if (img.rank !== 3 && img.rank !== 4) throw new ShapeError(`${op}: img must be [H, W, C] or [N, H, W, C], got shape ${fmtShape(img.shape)}`);
}

/** A per-channel option (one number for all channels, or one per channel) as C numbers. */
function perChannel(op: string, name: string, value: number | readonly number[], C: number, nonZero: boolean): number[] {
  const values = typeof value === 'number' ? new Array<number>(C).fill(value) : Array.isArray(value) ? [...value] : null;
  if (values === null || values.length !== C || values.some((v) => typeof v !== 'number' || !Number.isFinite(v) || (nonZero && v === 0))) {
    throw new ValueError(`${op}: ${name} must be a finite${nonZero ? ' non-zero' : ''} number or ${C} of them (one per channel), got ${fmtValue(value)}`);
  }
  return values;
}

export interface ToFloatOptions {
  /** Multiplies every value first (1/255 maps 0..255 to 0..1). */
  scale?: number;
  /** Subtracted after scaling, per channel or one for all. */
  mean?: number | readonly number[];
  /** Divides after the mean is subtracted, per channel or one for all. */
  std?: number | readonly number[];
}

/**
 * A float32 copy of an image or batch: `(v * scale - mean[c]) / std[c]` for each value of channel
 * c (torchvision's ToTensor + Normalize, in NHWC). Input int32 (decodeImage, fromPixels) or float32.
 */
export function toFloat(img: Tensor, options: ToFloatOptions = {}): Tensor {
  checkImage('toFloat', img);
  if (options === null || typeof options !== 'object') throw new ValueError(`toFloat: options must be an object, got ${fmtValue(options)}`);
  rejectUnknownOptions('toFloat', options, ['scale', 'mean', 'std']);
  const C = img.shape[img.rank - 1];
  const scale = options.scale ?? 1 / 255;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new ValueError(`toFloat: scale must be a finite number, got ${fmtValue(scale)}`);
  const mean = perChannel('toFloat', 'mean', options.mean ?? 0, C, false);
  const std = perChannel('toFloat', 'std', options.std ?? 1, C, true);
  const out = Tensor.empty(img.shape, 'float32');
  const src = img.view(), dst = out.view();
  for (let i = 0; i < src.length; i++) {
    const c = i % C;
    dst[i] = (src[i] * scale - mean[c]) / std[c];
  }
  return out;
}

/**
 * The centred [h, w] window of an image or batch (torchvision's CenterCrop): rows from
 * floor((H - h) / 2), columns from floor((W - w) / 2). Same dtype; ShapeError when larger than the image.
 */
export function centerCrop(img: Tensor, size: readonly [number, number]): Tensor {
  checkImage('centerCrop', img);
  if (!Array.isArray(size) || size.length !== 2 || size.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new ValueError(`centerCrop: size must be [h, w] of positive integers, got ${fmtValue(size)}`);
  }
  const batched = img.rank === 4;
  const [N, H, W, C] = batched ? img.shape : [1, ...img.shape];
  const [h, w] = size;
  if (h > H || w > W) throw new ShapeError(`centerCrop: crop [${h}, ${w}] is larger than the image (img ${fmtShape(img.shape)})`);
  const top = Math.floor((H - h) / 2), left = Math.floor((W - w) / 2);
  const out = Tensor.empty(batched ? [N, h, w, C] : [h, w, C], img.dtype);
  const src = img.view(), dst = out.view();
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < h; y++) {
      const from = ((n * H + top + y) * W + left) * C;
      dst.set(src.subarray(from, from + w * C), ((n * h + y) * w) * C);
    }
  }
  return out;
}

/** What fromPixels reads: ImageData or anything with RGBA `data` of `width` x `height` pixels. */
export interface PixelData { data: ArrayLike<number>; width: number; height: number }

type Drawable = { width?: number; height?: number; videoWidth?: number; videoHeight?: number; displayWidth?: number; displayHeight?: number };

/** ImageData of a canvas, ImageBitmap, image or video frame, drawn on an (Offscreen)canvas. */
function drawnPixels(source: Drawable): PixelData {
  const width = source.videoWidth ?? source.displayWidth ?? source.width;
  const height = source.videoHeight ?? source.displayHeight ?? source.height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width! < 1 || height! < 1) {
    throw new ValueError(`fromPixels: the source has no pixel size (width ${fmtValue(width)}, height ${fmtValue(height)})`);
  }
  const g = globalThis as unknown as { OffscreenCanvas?: new (w: number, h: number) => unknown; document?: { createElement(t: string): unknown } };
  type Ctx = { drawImage(s: unknown, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): PixelData };
  let canvas: { width: number; height: number; getContext(kind: string, o?: object): Ctx | null } | undefined;
  if (g.OffscreenCanvas) canvas = new g.OffscreenCanvas(width!, height!) as typeof canvas;
  else if (g.document) { canvas = g.document.createElement('canvas') as typeof canvas; canvas!.width = width!; canvas!.height = height!; }
  const ctx = canvas?.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ValueError('fromPixels: this runtime has no canvas to read the source from (pass ImageData or { data, width, height })');
  ctx.drawImage(source, 0, 0);
  return ctx.getImageData(0, 0, width!, height!);
}

/**
 * The pixels of ImageData, a canvas, an ImageBitmap, an image or a video frame (tfjs'
 * `browser.fromPixels`) as an int32 tensor [H, W, C] of 0..255: `channels` 3 drops alpha, 4
 * keeps it, 1 is BT.601 luma as in decodeImage. Any `{ data, width, height }` with RGBA data works
 * in every runtime; the other sources need a canvas (browsers).
 */
export function fromPixels(source: PixelData | Drawable, options: { channels?: 1 | 3 | 4 } = {}): Tensor {
  if (source === null || typeof source !== 'object') throw new ValueError(`fromPixels: source must be ImageData, a canvas, an ImageBitmap or a video, got ${fmtValue(source)}`);
  const channels = options?.channels ?? 3;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new ValueError(`fromPixels: channels must be 1, 3 or 4, got ${fmtValue(channels)}`);
  const px = 'data' in source && source.data !== undefined ? (source as PixelData) : drawnPixels(source as Drawable);
  const { data, width, height } = px;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new ValueError(`fromPixels: width and height must be positive integers, got ${fmtValue(width)}x${fmtValue(height)}`);
  }
  checkLimit('maxImagePixels', width * height, `fromPixels: source is ${width}x${height} = ${width * height} pixels`, 'count');
  if (!data || data.length !== width * height * 4) {
    throw new ShapeError(`fromPixels: data must hold ${width}x${height}x4 = ${width * height * 4} RGBA values, got ${data?.length}`);
  }
  const out = Tensor.empty([height, width, channels], 'int32');
  const dst = out.view();
  for (let p = 0; p < width * height; p++) {
    const s = p * 4, o = p * channels;
    if (channels === 1) dst[o] = luma(data[s], data[s + 1], data[s + 2]);
    else for (let c = 0; c < channels; c++) dst[o + c] = data[s + c];
  }
  return out;
}
