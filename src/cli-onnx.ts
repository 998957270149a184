/// <reference types="node" />
// The ONNX subcommands of the `wasm-cnn` CLI (Node only):
//   wasm-cnn export-onnx <model-dir> <out.onnx> [--layout NHWC|NCHW] [--opset N]
//   wasm-cnn predict <model.onnx | model-dir> <image.png> [--invert] [--top K]
// Each returns an exit code (0 ok, 1 error, 2 usage) and prints one-line errors.
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { init, tensor, tidy, ops, Sequential, loadOnnx, sequentialToOnnx, FormatError, ShapeError, ValueError, type Tensor } from './index.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}
const defaultIo: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) };

export const EXPORT_ONNX_HELP = `Usage: wasm-cnn export-onnx <model-dir> <out.onnx> [options]

Converts a model saved with model.save(dir) (model.json + weights.bin) to an ONNX file.

Options:
  --layout NHWC|NCHW   layout of the graph's image input (default NHWC, as the model)
  --opset N            ONNX opset version, 13 to 21 (default 13)
  -h, --help           this text`;

export const PREDICT_HELP = `Usage: wasm-cnn predict <model.onnx | model-dir> <image.png> [options]

Classifies one PNG image (grayscale, or color averaged to gray when the model takes one
channel) with an ONNX model or a model saved with model.save(dir). The image must already have
the model's input size (e.g. 28x28 for MNIST); pixels are scaled to [0, 1].

Options:
  --invert     use 1 - pixel (dark digits on a light background, unlike MNIST)
  --top K      how many classes to list (default 3)
  -h, --help   this text`;

class UsageError extends Error {}

function oneLine(e: unknown): string {
  return (e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e)).replace(/\s*\n\s*/g, ' ');
}

async function guard(name: string, help: string, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`wasm-cnn ${name}: ${e.message}`);
      io.err(help.split('\n')[0]);
      return 2;
    }
    io.err(`wasm-cnn ${name}: error: ${oneLine(e)}`);
    const known = e instanceof FormatError || e instanceof ShapeError || e instanceof ValueError || (e as { code?: string })?.code !== undefined;
    if (!known && e instanceof Error && e.stack) io.err(e.stack);
    return 1;
  }
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parse(args: string[], options: OptionSpec): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...options }, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new ValueError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}

const isDirectory = (p: string): boolean => { try { return statSync(p).isDirectory(); } catch { return false; } };

/** `wasm-cnn export-onnx <model-dir> <out.onnx>`. */
export async function exportOnnxCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  return guard('export-onnx', EXPORT_ONNX_HELP, io, async () => {
    const { values, positionals } = parse(args, { layout: { type: 'string' }, opset: { type: 'string' } });
    if (values.help) { io.out(EXPORT_ONNX_HELP); return 0; }
    if (positionals.length !== 2) throw new UsageError(`expects <model-dir> <out.onnx>, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
    const [dir, out] = positionals;
    const layout = String(values.layout ?? 'NHWC').toUpperCase();
    if (layout !== 'NHWC' && layout !== 'NCHW') throw new UsageError(`--layout must be NHWC or NCHW, got '${values.layout}'`);
    const opset = values.opset === undefined ? 13 : Number(values.opset);
    if (!Number.isInteger(opset)) throw new UsageError(`--opset must be an integer, got '${values.opset}'`);
    await init();
    const model = await Sequential.load(dir);
    try {
      const bytes = sequentialToOnnx(model, { layout, opset });
      writeFileSync(out, bytes);
      const inShape = model.inputShape!;
      const shown = layout === 'NCHW' && inShape.length === 3 ? [inShape[2], inShape[0], inShape[1]] : inShape;
      io.out(`wrote ${out} (${bytes.length} bytes, opset ${opset}, input 'input' [N,${shown.join(',')}] ${layout}, output 'output' [N,${model.outputShape!.join(',')}])`);
    } finally {
      model.dispose();
    }
    return 0;
  });
}

// ---- PNG decoding --------------------------------------------------------------------------------

interface Png { width: number; height: number; depth: number; channels: number; data: ArrayLike<number>; palette?: number[][] }

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

async function decodePng(bytes: Uint8Array, path: string): Promise<Png> {
  const { decode } = await import('fast-png');
  try {
    const png = decode(bytes);
    return { width: png.width, height: png.height, depth: png.depth, channels: png.channels, data: png.data, palette: png.palette };
  } catch (e) {
    throw new FormatError(`${path} is not a readable PNG image (${(e as Error).message})`);
  }
}

/** Layout the model wants: [H, W, C] per sample in NHWC or NCHW, or flat features. */
interface InputSpec { kind: 'nhwc' | 'nchw' | 'flat' | 'hw'; H: number; W: number; C: number }

function specFromShape(sample: readonly (number | string | null)[], nchwHint: boolean, what: string): InputSpec {
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

function imageTensor(png: Png, spec: InputSpec, invert: boolean, path: string): Tensor {
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

/** `wasm-cnn predict <model.onnx | model-dir> <image.png>`. */
export async function predictCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  return guard('predict', PREDICT_HELP, io, async () => {
    const { values, positionals } = parse(args, { invert: { type: 'boolean' }, top: { type: 'string' } });
    if (values.help) { io.out(PREDICT_HELP); return 0; }
    if (positionals.length !== 2) throw new UsageError(`expects <model.onnx | model-dir> <image.png>, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
    const [modelPath, imagePath] = positionals;
    const top = values.top === undefined ? 3 : Number(values.top);
    if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive integer, got '${values.top}'`);
    const png = await decodePng(readBytes(imagePath, 'image'), imagePath);
    await init();
    let scores: Float32Array;
    const fromDir = isDirectory(modelPath) || basename(modelPath) === 'model.json';
    if (fromDir) {
      const model = await Sequential.load(modelPath);
      try {
        const spec = specFromShape(model.inputShape!, false, `model ${modelPath}`);
        scores = tidy(() => model.predict(imageTensor(png, spec, values.invert === true, imagePath)).dataSync() as Float32Array);
      } finally {
        model.dispose();
      }
    } else {
      const net = await loadOnnx(readBytes(modelPath, 'model'));
      try {
        const info = net.inputs[0];
        if (net.inputs.length !== 1 || net.outputs.length < 1) throw new ValueError(`${modelPath} has ${net.inputs.length} inputs; predict needs a single-input model`);
        if (!info.shape) throw new ValueError(`${modelPath} does not declare its input shape`);
        const spec = specFromShape(info.shape.slice(1), true, `${modelPath}`);
        scores = tidy(() => net.run({ [info.name]: imageTensor(png, spec, values.invert === true, imagePath) })[net.outputNames[0]].dataSync() as Float32Array);
      } finally {
        net.dispose();
      }
    }
    // Logits -> probabilities for display (outputs that are already a distribution are kept).
    let sum = 0;
    for (const v of scores) sum += v;
    const isDistribution = scores.every((v) => v >= 0 && v <= 1) && Math.abs(sum - 1) < 1e-3;
    const probs = isDistribution ? scores : tidy(() => ops.softmax(tensor(scores, [scores.length])).dataSync() as Float32Array);
    const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
    io.out(`predicted class: ${order[0]} (probability ${probs[order[0]].toFixed(4)})`);
    for (const k of order.slice(0, Math.min(top, order.length))) io.out(`  ${String(k).padStart(3)}  ${probs[k].toFixed(4)}`);
    return 0;
  });
}
