// ONNX -> trainable graph Model (`Model.fromOnnx`): each node becomes one of the library's layers
// applied with the functional API (nn.input, layer.apply, new Model), so the result trains, freezes,
// saves and exports like any model built here. Values that are 4-D in the file (NCHW) are NHWC
// inside, where the layers compute; permute layers at the inputs and before 4-D outputs keep the
// model's own inputs and outputs in the graph's layout (so predict equals loadOnnx's run), unless
// { layout: 'NHWC' } asks for NHWC images as every wasm-cnn model takes them. Weights are converted
// once (OIHW -> HWIO, Gemm's B -> [in, out]). The op converters live in to-model-ops.ts.
//
// Like the importer, this module is loaded on demand and reaches the library through its main entry.
import { Model, nn, Tensor, FormatError, ShapeError, ValueError } from '../../index.js';
import { int64, DT, type ModelMsg, type NodeMsg, type ValueInfoMsg } from './proto.js';
import { onnx } from './pb.js';
import { decodeTensor, isFloatConst } from './tensor-data.js';
import { ConversionState, nodeLabel } from './to-model-state.js';
import { CONVERTERS, NHWC_TO_NCHW, SUPPORTED_FROM_ONNX_OPS } from './to-model-ops.js';

export interface FromOnnxOptions {
  /** The model's name; default the graph's name when it is a valid one, else 'onnx_model'. */
  name?: string;
  /**
   * The layout of the model's 4-D inputs and outputs: 'graph' (default) as the file has them (NCHW for
   * PyTorch exports, so `predict` equals `loadOnnx`'s `run`), or 'NHWC' images as every wasm-cnn model takes them.
   */
  layout?: 'graph' | 'NHWC';
}

const WHERE = 'Model.fromOnnx';
const codec = onnx as unknown as { ModelProto: { decode(bytes: Uint8Array): ModelMsg } };

function asBytes(bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new ValueError(`${WHERE}: expects the .onnx file's bytes (Uint8Array or ArrayBuffer), got ${bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name ?? 'an object' : typeof bytes}`);
}

/** The shared helpers name the importer in their messages; this entry point names itself. */
function renamed(e: unknown): unknown {
  if (e instanceof FormatError && e.message.startsWith('loadOnnx:')) return new FormatError(`${WHERE}:${e.message.slice('loadOnnx:'.length)}`);
  return e;
}

/**
 * Builds a trainable graph Model from an ONNX CNN (the bytes of a .onnx file). FormatError for
 * malformed bytes and for any node it cannot express as layers, naming the node and its op type.
 */
export function modelFromOnnx(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options: FromOnnxOptions = {}): Model {
  if (options === null || typeof options !== 'object') throw new ValueError(`${WHERE}: options must be an object, got ${String(options)}`);
  for (const k of Object.keys(options)) if (k !== 'name' && k !== 'layout') throw new ValueError(`${WHERE}: unknown option '${k}' (known: name, layout)`);
  const layout = options.layout ?? 'graph';
  if (layout !== 'graph' && layout !== 'NHWC') throw new ValueError(`${WHERE}: option 'layout' must be 'graph' or 'NHWC', got ${JSON.stringify(options.layout)}`);
  let model: ModelMsg;
  try {
    model = codec.ModelProto.decode(asBytes(bytes));
  } catch (e) {
    if (e instanceof ValueError) throw e;
    throw new FormatError(`${WHERE}: not a valid ONNX model (protobuf decoding failed: ${(e as Error)?.message ?? String(e)})`);
  }
  const graph = model.graph;
  if (!graph) throw new FormatError(`${WHERE}: the model has no graph`);
  let opset: number | null = null;
  for (const o of model.opsetImport ?? []) if (!o.domain || o.domain === 'ai.onnx') opset = int64(o.version);
  if (opset === null || opset < 1 || opset > 1000) throw new FormatError(`${WHERE}: the model imports no valid default-domain (ai.onnx) opset version`);
  const state = new ConversionState(opset, graph.node ?? []);
  try {
    return build(state, graph, modelName(options.name, graph.name), layout === 'graph');
  } catch (e) {
    state.disposeLayers();
    throw renamed(e);
  }
}

function modelName(given: string | undefined, graphName: string | undefined): string {
  if (given !== undefined) return given;
  return graphName && !/[/\s]/.test(graphName) ? graphName : 'onnx_model';
}

/** Whether every reader of graph input `name` transposes it from NHWC to NCHW (as toOnnx's default layout writes). */
function readAsNhwc(state: ConversionState, name: string): boolean {
  const readers = state.readers.get(name) ?? [];
  return readers.length > 0 && readers.every((n) => {
    if (n.opType !== 'Transpose') return false;
    const perm = n.attribute?.find((a) => a.name === 'perm')?.ints?.map((i) => int64(i));
    return perm !== undefined && perm.length === 4 && perm.every((p, i) => p === NHWC_TO_NCHW[i]);
  });
}

/** One sample's shape ([C, H, W], [H, W, C] or [features]) from a graph input's declared shape. */
function sampleShape(v: ValueInfoMsg): number[] {
  const dims = (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue !== undefined && d.dimValue !== null ? int64(d.dimValue) : null));
  const sample = dims.slice(1);
  if ((dims.length !== 4 && dims.length !== 2) || sample.some((d) => d === null || d < 1)) {
    throw new FormatError(`${WHERE}: graph input '${v.name}' must be [N, C, H, W] or [N, features] with every axis but the batch known, got ${JSON.stringify(dims.map((d) => d ?? '?'))}`);
  }
  return sample as number[];
}

/** [C, H, W] samples -> [H, W, C] (Keras Permute counts sample axes from 1), and back. */
const TO_CHANNELS_LAST = [2, 3, 1];
const TO_CHANNELS_FIRST = [3, 1, 2];

/** `t` through a permute layer of `dims` named after `base`. */
function permuted(state: ConversionState, t: nn.SymbolicTensor, dims: number[], base: string): nn.SymbolicTensor {
  return state.track(nn.permute({ dims, name: state.names.take(base) })).apply(t);
}

/** The most one reservation asks for (a tensor holds at most 1 GiB). */
const MAX_RESERVE_FLOATS = 2 ** 28 - 1024;

/**
 * The layers allocate their weights one by one, and the wasm allocator grows memory by doubling as
 * they come (up to twice the weights). One block of their total, freed at once, grows it once; the
 * weights then fill that block. Best effort: without the memory the weights are allocated as they come.
 */
function reserveWeightMemory(state: ConversionState): void {
  let floats = 0;
  for (const c of state.consts.values()) if (isFloatConst(c)) floats += c.dims.reduce((p, d) => p * d, 1);
  if (floats === 0) return;
  try {
    Tensor.empty([Math.min(floats, MAX_RESERVE_FLOATS)]).dispose();
  } catch { /* out of memory here: the weights themselves will say so */ }
}

function build(state: ConversionState, graph: NonNullable<ModelMsg['graph']>, name: string, graphLayout: boolean): Model {
  for (const [i, t] of (graph.initializer ?? []).entries()) {
    if (!t.name) throw new FormatError(`${WHERE}: initializer #${i} has no name`);
    state.consts.set(t.name, { ...decodeTensor(t, `initializer '${t.name}'`), name: t.name });
  }
  reserveWeightMemory(state);
  for (const n of state.nodes) for (const i of n.input ?? []) if (i) state.readers.set(i, [...(state.readers.get(i) ?? []), n]);
  const inputs = (graph.input ?? []).filter((v) => !state.consts.has(v.name ?? '')).map((v, i) => {
    if (!v.name) throw new FormatError(`${WHERE}: graph input #${i} has no name`);
    const elem = v.type?.tensorType?.elemType;
    if (elem !== undefined && elem !== DT.FLOAT && elem !== 0) throw new FormatError(`${WHERE}: graph input '${v.name}' has data type ${elem}; only float32 inputs are supported`);
    const nhwc = readAsNhwc(state, v.name);
    const shape = sampleShape(v);
    const image = shape.length === 3;
    const nchwImage = image && !nhwc;
    const t = nn.input({ shape: nchwImage && !graphLayout ? [shape[1], shape[2], shape[0]] : shape, name: state.names.take(v.name) });
    const inside = nchwImage && graphLayout ? permuted(state, t, TO_CHANNELS_LAST, `${v.name}_to_nhwc`) : t;
    state.values.set(v.name, { t: inside, nonNegative: false, chw: null, nhwcInFile: nhwc && image });
    return t;
  });
  if (inputs.length === 0) throw new FormatError(`${WHERE}: the graph has no (non-initializer) input`);
  state.nodes.forEach((node, index) => {
    const label = nodeLabel(node, index);
    if (state.consumed.has(node)) return;
    if (!node.opType) throw new FormatError(`${WHERE}: node #${index} has no op type`);
    if (node.domain && node.domain !== 'ai.onnx') throw new FormatError(`${WHERE}: ${label} is in domain '${node.domain}', which is not supported`);
    for (const i of node.input ?? []) {
      if (i && !state.values.has(i) && !state.consts.has(i)) throw new FormatError(`${WHERE}: ${label} reads '${i}', which no earlier node, graph input or initializer defines`);
    }
    const convert = Object.hasOwn(CONVERTERS, node.opType) ? CONVERTERS[node.opType] : undefined;
    if (!convert) throw new FormatError(`${WHERE}: ${label} is not supported as a layer (supported ops: ${SUPPORTED_FROM_ONNX_OPS.join(', ')})`);
    try {
      convert(state, node, label);
    } catch (e) {
      // A layer refusing the node's shapes or options: the file describes something it cannot be.
      if (e instanceof ShapeError || e instanceof ValueError) throw new FormatError(`${WHERE}: ${label}: ${e.message}`);
      throw e;
    }
  });
  const outputs = (graph.output ?? []).map((v, i) => {
    const value = v.name ? state.values.get(v.name) : undefined;
    if (!value) {
      throw new FormatError(`${WHERE}: graph output ${v.name ? `'${v.name}'` : `#${i}`} is ${v.name && state.consts.has(v.name) ? 'a constant' : 'not computed by any node'}; outputs must depend on the inputs`);
    }
    if (value.chw) throw new FormatError(`${WHERE}: graph output '${v.name}' flattens an image in NCHW order, which an NHWC model does not reproduce; end the graph with a pooled or dense output`);
    const nchwImage = value.t.sampleShape.length === 3 && !value.nhwcInFile;
    return nchwImage && graphLayout ? permuted(state, value.t, TO_CHANNELS_FIRST, `${v.name}_to_nchw`) : value.t;
  });
  if (outputs.length === 0) throw new FormatError(`${WHERE}: the graph has no outputs`);
  const model = new Model({ inputs: inputs.length === 1 ? inputs[0] : inputs, outputs: outputs.length === 1 ? outputs[0] : outputs, name });
  state.layers.length = 0; // the model owns them now
  return model;
}

export { SUPPORTED_FROM_ONNX_OPS };
