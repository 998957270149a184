/// <reference types="node" />
// The ONNX subcommands of the `wasm-cnn` CLI (Node only):
//   wasm-cnn export-onnx <model-dir> <out.onnx> [--layout NHWC|NCHW] [--opset N]
//   wasm-cnn predict <model.onnx | model-dir> <image.png> [--invert] [--top K]
// Each returns an exit code (0 ok, 1 error, 2 usage) and prints one-line errors.
import { writeFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { init, tensor, tidy, ops, data, Model, Sequential, loadOnnx, sequentialToOnnx, getLimits, FormatError, LimitError, ShapeError, ValueError } from '../index.js';
import { readRegularFileSync } from '../io/read-file-sync.js';
import { UsageError, parseOptions, type OptionSpec, type ParsedArgs } from './args.js';
import { defaultIo, reportFailure, type Io } from './io.js';
import { decodePng, specFromShape, imageTensor } from './image.js';
import { readMetadata } from './model-file.js';

export const EXPORT_ONNX_HELP = `Usage: wasm-cnn export-onnx <model-dir> <out.onnx> [options]

Converts a model saved with model.save(dir) (model.json + weights.bin) to an ONNX file.

Options:
  --layout NHWC|NCHW   layout of the graph's image input (default NHWC, as the model)
  --opset N            ONNX opset version, 13 to 21 (default 13)
  -h, --help           this text`;

export const PREDICT_HELP = `Usage: wasm-cnn predict <model.onnx | model-dir | model.wcnn> <image.png | image.jpg> [options]

Classifies one PNG or JPEG image with an ONNX model or a saved wasm-cnn model and prints the top
classes with their probabilities. A model saved by \`wasm-cnn train --data DIR --save PATH\` knows
its class names and image size: the image may have any size and is resized (bilinear) and scaled
as the training images were. For other models the image must already have the model's input size
(e.g. 28x28 for MNIST; color averaged to gray when the model takes one channel); pixels are scaled
to [0, 1].

Options:
  --invert     use 1 - pixel (dark digits on a light background, unlike MNIST)
  --top K      how many classes to list (default 3)
  -h, --help   this text`;

/** Runs a subcommand's body, reporting its failures as `wasm-cnn <name>: ...`. */
async function guard(name: string, help: string, io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    return reportFailure(e, io, {
      prefix: `wasm-cnn ${name}`,
      usageHint: help.split('\n')[0],
      usageAsWritten: true,
      errorNames: true,
      showStack: (err) => !(err instanceof FormatError || err instanceof ShapeError || err instanceof ValueError || (err as { code?: string })?.code !== undefined),
    });
  }
}

/** The subcommand's options plus -h/--help, and its positional arguments. */
function parse(args: string[], options: OptionSpec): ParsedArgs {
  return parseOptions(args, { help: { type: 'boolean', short: 'h' }, ...options }, true);
}

/** A regular file's bytes, refused (before reading) above `maxBytes`, the limit `limitName` implies. */
function readBytes(path: string, what: string, maxBytes: number, limitName: string): Uint8Array {
  return readRegularFileSync(path, maxBytes, (why) => new ValueError(`cannot read ${what} ${path}: ${why}`),
    (size) => new LimitError(`${what} ${path} has ${size} bytes, more than ${limitName} allows (${maxBytes} bytes)`, limitName));
}

/** The largest PNG file worth reading: a stored (uncompressed) RGBA 16-bit image of maxImagePixels, plus its chunks. */
const maxPngBytes = (): number => getLimits().maxImagePixels * 8 + (1 << 20);
/** The largest ONNX file worth reading: its weights and its graph. */
const maxOnnxBytes = (): number => getLimits().maxParameterBytes + getLimits().maxModelJsonBytes;

const isDirectory = (p: string): boolean => { try { return statSync(p).isDirectory(); } catch { return false; } };

/** `wasm-cnn export-onnx <model-dir> <out.onnx>`. */
export async function exportOnnxCommand(args: string[], io: Io = defaultIo): Promise<number> {
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

/** A wasm-cnn model file rather than ONNX: a directory, a model.json, or a packed file (.wcnn, or its magic). */
function isWasmCnnModel(path: string): boolean {
  if (isDirectory(path) || basename(path) === 'model.json' || /\.wcnn$/i.test(path)) return true;
  try {
    const head = readBytes(path, 'model', maxOnnxBytes(), 'maxParameterBytes').subarray(0, 4);
    return String.fromCharCode(...head) === 'WCNM';
  } catch {
    return false;
  }
}

/** `wasm-cnn predict <model.onnx | model-dir | model.wcnn> <image>`. */
export async function predictCommand(args: string[], io: Io = defaultIo): Promise<number> {
  return guard('predict', PREDICT_HELP, io, async () => {
    const { values, positionals } = parse(args, { invert: { type: 'boolean' }, top: { type: 'string' } });
    if (values.help) { io.out(PREDICT_HELP); return 0; }
    if (positionals.length !== 2) throw new UsageError(`expects <model.onnx | model-dir | model.wcnn> <image>, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
    const [modelPath, imagePath] = positionals;
    const top = values.top === undefined ? 3 : Number(values.top);
    if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive integer, got '${values.top}'`);
    await init();
    const imageBytes = readBytes(imagePath, 'image', maxPngBytes(), 'maxImagePixels');
    let scores: Float32Array;
    let names: string[] | null = null;
    if (isWasmCnnModel(modelPath)) {
      const meta = readMetadata(modelPath);
      const model = await Model.load(modelPath);
      try {
        if (meta) {
          // Preprocessed as `train --data` fed the images: resized to the training size, scaled to [0, 1].
          names = meta.classNames;
          scores = tidy(() => {
            const x = data.decodeImageBatch([imageBytes], { imageSize: meta.imageSize, channels: meta.channels as 1 | 3, names: [imagePath] });
            return model.predict(values.invert === true ? ops.sub(1, x) : x).dataSync() as Float32Array;
          });
        } else {
          const png = decodePng(imageBytes, imagePath);
          const spec = specFromShape(model.inputShape!, false, `model ${modelPath}`);
          scores = tidy(() => model.predict(imageTensor(png, spec, values.invert === true, imagePath)).dataSync() as Float32Array);
        }
      } finally {
        model.dispose();
      }
    } else {
      const png = decodePng(imageBytes, imagePath);
      const net = await loadOnnx(readBytes(modelPath, 'model', maxOnnxBytes(), 'maxParameterBytes'));
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
    const named = (k: number) => (names && names[k] !== undefined ? ` ${names[k]}` : '');
    io.out(`predicted class: ${order[0]}${named(order[0])} (probability ${probs[order[0]].toFixed(4)})`);
    const width = names ? Math.max(...order.slice(0, top).map((k) => (names![k] ?? '').length)) : 0;
    for (const k of order.slice(0, Math.min(top, order.length))) {
      io.out(`  ${String(k).padStart(3)}  ${names ? `${(names[k] ?? '').padEnd(width)}  ` : ''}${probs[k].toFixed(4)}`);
    }
    return 0;
  });
}
