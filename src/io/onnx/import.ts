// ONNX -> inference model: `loadOnnx(bytes)` parses a ModelProto (static protobuf codec, no
// code generation), checks every node and attribute up front (FormatError naming the node and its
// op type), prepares the weights once (OIHW -> HWIO, Gemm's B pre-transposed) and runs the graph
// eagerly with the library's ops. Each op type's handler lives in ops/ (registry: ops/index.ts);
// values and their NHWC-inside layout: values.ts; the model that runs the steps: runner.ts.
//
// Built on the public API only (plus pure helpers): the package bundles it as its own file,
// loaded on the first loadOnnx, that imports the main entry for Tensor, ops and the errors.
import { FormatError, ValueError } from '../../index.js';
import { int64, DT, type ModelMsg, type NodeMsg, type ValueInfoMsg } from './proto.js';
import { onnx } from './pb.js';
import { addConst, finishConsts, newGraphState, nodeLabel, NodeContext, type GraphState, type Step } from './graph-context.js';
import { fuseGelu } from './fusion.js';
import { channelShuffleStep, fuseChannelShuffle } from './fusion-shuffle.js';
import { batchNormChainStep, fuseBatchNormChains } from './fusion-norm.js';
import { fuseLayerNorm, layerNormStep } from './fusion-layernorm.js';
import { ConstantFolder } from './fold.js';
import { ShapeArithmetic } from './shape-memo.js';
import { fusedGeluStep } from './ops/activation.js';
import { opHandler, SUPPORTED_ONNX_OPS } from './ops/index.js';
import { createModel, warmUp, type CompiledStep, type OnnxModel, type OnnxValueInfo } from './runner.js';
import { decodeTensor } from './tensor-data.js';

export type { OnnxModel, OnnxValueInfo } from './runner.js';

export interface LoadOnnxOptions {
  /**
   * Run the graph once on zeros at load (default true, when every input's shape is declared; a
   * symbolic batch dim counts as 1), so that the first real run is as fast as the next ones.
   */
  warmUp?: boolean;
}
export { SUPPORTED_ONNX_OPS } from './ops/index.js';

/** Checks one node and compiles it through its op's handler (null: nothing to run). */
function compileNode(graph: GraphState, node: NodeMsg, index: number): Step | null {
  const nodeContext = new NodeContext(graph, node, index);
  const geluInput = graph.gelu.get(node);
  if (geluInput) return fusedGeluStep(nodeContext, geluInput);
  const shuffle = channelShuffleStep(graph, nodeContext);
  if (shuffle) return shuffle;
  const norm = batchNormChainStep(graph, nodeContext);
  if (norm) return norm;
  const layerNorm = layerNormStep(graph, nodeContext);
  if (layerNorm) return layerNorm;
  const handler = opHandler(nodeContext.opType);
  if (!handler) throw new FormatError(`loadOnnx: ${nodeContext.label} is not supported (supported ops: ${SUPPORTED_ONNX_OPS.join(', ')})`);
  return handler(nodeContext);
}

/**
 * Gives each step the values it is the last reader of: node outputs that are no graph output, not
 * pinned and read by no fused node (a fused node's reads happen in another node's step, which may
 * come later), so the run can free them as soon as that step is done. A value whose last reader
 * has no step of its own is released by the next step.
 */
function assignLastReads(graph: GraphState, steps: CompiledStep[], stepNodes: number[]): void {
  const lastReader = new Map<string, number>();
  const never = new Set<string>([...graph.graphOutputs, ...graph.pinned]);
  graph.nodes.forEach((n, index) => {
    for (const i of n.input ?? []) {
      if (!i) continue;
      if (graph.fused.has(n)) never.add(i);
      else lastReader.set(i, index);
    }
  });
  const produced = new Set<string>();
  for (const n of graph.nodes) if (n.opType !== 'Constant') for (const o of n.output ?? []) if (o) produced.add(o);
  let s = 0;
  const byStep = new Map<number, string[]>();
  const sorted = [...lastReader].filter(([name]) => produced.has(name) && !never.has(name)).sort((a, b) => a[1] - b[1]);
  for (const [name, index] of sorted) {
    while (s < stepNodes.length && stepNodes[s] < index) s++;
    if (s === stepNodes.length) break;
    const list = byStep.get(s);
    if (list) list.push(name); else byStep.set(s, [name]);
  }
  for (const [step, names] of byStep) steps[step].lastReads = names;
}

const codec = onnx as unknown as { ModelProto: { decode(bytes: Uint8Array): ModelMsg } };

/** Parses ModelProto bytes; malformed or truncated protobuf is a FormatError. */
function decodeModel(bytes: Uint8Array): ModelMsg {
  try {
    return codec.ModelProto.decode(bytes);
  } catch (e) {
    throw new FormatError(`loadOnnx: not a valid ONNX model (protobuf decoding failed: ${(e as Error)?.message ?? String(e)})`);
  }
}

function asBytes(bytes: unknown): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new ValueError(`loadOnnx: expects the .onnx file's bytes (Uint8Array or ArrayBuffer), got ${bytes === null ? 'null' : typeof bytes === 'object' ? (bytes as object).constructor?.name ?? 'an object' : typeof bytes}`);
}

function declaredShape(v: ValueInfoMsg): (number | string | null)[] | null {
  const shape = v.type?.tensorType?.shape;
  if (!shape) return null;
  return (shape.dim ?? []).map((d) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue !== undefined && d.dimValue !== null) {
      const n = int64(d.dimValue);
      return n !== null && n > 0 ? n : null;
    }
    return null;
  });
}

/**
 * Loads an ONNX model (the bytes of a .onnx file) for inference. Throws FormatError for
 * malformed bytes and for any op or attribute it cannot run, naming the node and op type.
 */
export async function loadOnnx(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options: LoadOnnxOptions = {}): Promise<OnnxModel> {
  return loadOnnxSync(bytes, options);
}

/** loadOnnx, synchronously. */
export function loadOnnxSync(bytes: Uint8Array | ArrayBuffer | ArrayBufferView, options: LoadOnnxOptions = {}): OnnxModel {
  if (options === null || typeof options !== 'object') throw new ValueError(`loadOnnx: options must be an object like { warmUp }, got ${options === null ? 'null' : typeof options}`);
  if (options.warmUp !== undefined && typeof options.warmUp !== 'boolean') throw new ValueError(`loadOnnx: options.warmUp must be a boolean, got ${typeof options.warmUp}`);
  const model = decodeModel(asBytes(bytes));
  const graph = model.graph;
  if (!graph) throw new FormatError('loadOnnx: the model has no graph');
  let opset: number | null = null;
  for (const o of model.opsetImport ?? []) {
    if (!o.domain || o.domain === 'ai.onnx') opset = int64(o.version);
  }
  if (opset === null || opset < 1 || opset > 1000) throw new FormatError('loadOnnx: the model imports no valid default-domain (ai.onnx) opset version');

  const state = newGraphState(opset, graph.node ?? []);
  let loaded: OnnxModel;
  try {
    loaded = build(state, graph);
  } catch (e) {
    for (const t of state.owned) t.dispose();
    throw e;
  }
  if (options.warmUp ?? true) warmUp(loaded);
  return loaded;
}

/** Defines the constants and graph inputs, then compiles the nodes in order, checking each reads only values defined before it. */
function build(state: GraphState, graph: NonNullable<ModelMsg['graph']>): OnnxModel {
  for (const [i, t] of (graph.initializer ?? []).entries()) {
    const name = t.name ?? '';
    if (!name) throw new FormatError(`loadOnnx: initializer #${i} has no name`);
    addConst(state, name, decodeTensor(t, `initializer '${name}'`));
  }
  const inputInfos = (graph.input ?? []).filter((v) => !state.host.has(v.name ?? ''));
  const inputs: OnnxValueInfo[] = inputInfos.map((v, i) => {
    if (!v.name) throw new FormatError(`loadOnnx: graph input #${i} has no name`);
    const elem = v.type?.tensorType?.elemType;
    if (elem !== undefined && elem !== DT.FLOAT && elem !== 0) {
      throw new FormatError(`loadOnnx: graph input '${v.name}' has data type ${elem}; only float32 inputs are supported`);
    }
    state.dtypes.set(v.name, 'f');
    return { name: v.name, shape: declaredShape(v) };
  });
  const outputs: OnnxValueInfo[] = (graph.output ?? []).map((v, i) => {
    if (!v.name) throw new FormatError(`loadOnnx: graph output #${i} has no name`);
    return { name: v.name, shape: declaredShape(v) };
  });
  if (outputs.length === 0) throw new FormatError('loadOnnx: the graph has no outputs');
  for (const o of outputs) state.graphOutputs.add(o.name);
  for (const n of state.nodes) {
    for (const i of n.input ?? []) {
      if (!i) continue;
      state.uses.set(i, (state.uses.get(i) ?? 0) + 1);
      const readers = state.readers.get(i);
      if (readers) readers.push(n); else state.readers.set(i, [n]);
    }
  }
  // Constant nodes first, so patterns can see their values.
  for (const [index, n] of state.nodes.entries()) {
    if (n.opType === 'Constant' && !(n.domain ?? '') && n.output?.[0] && !state.host.has(n.output[0])) compileNode(state, n, index);
  }
  fuseGelu(state);
  fuseChannelShuffle(state);
  fuseBatchNormChains(state);
  fuseLayerNorm(state);

  const defined = new Set<string>([...state.host.keys(), ...inputs.map((v) => v.name)]);
  const steps: CompiledStep[] = [];
  /** The node index of each step. */
  const stepNodes: number[] = [];
  const folder = new ConstantFolder(state);
  const shapeArithmetic = new ShapeArithmetic(state);
  state.nodes.forEach((node, index) => {
    const label = nodeLabel(node, index);
    if (!node.opType) throw new FormatError(`loadOnnx: node #${index} has no op type`);
    for (const i of node.input ?? []) {
      if (i && !defined.has(i)) throw new FormatError(`loadOnnx: ${label} reads '${i}', which no earlier node, graph input or initializer defines`);
    }
    if (node.opType === 'Constant' && !(node.domain ?? '') && state.host.has(node.output?.[0] ?? '')) {
      defined.add(node.output![0]);
      return; // compiled first (above)
    }
    if (state.fused.has(node)) {
      for (const o of node.output ?? []) if (o) { defined.add(o); state.dtypes.set(o, 'f'); }
      return;
    }
    const step = compileNode(state, node, index);
    for (const o of node.output ?? []) if (o) defined.add(o);
    if (step && !folder.fold(node, step, label)) {
      steps.push({ step, label, shapeOutputs: shapeArithmetic.classify(node) });
      stepNodes.push(index);
    }
  });
  for (const o of outputs) if (!defined.has(o.name)) throw new FormatError(`loadOnnx: graph output '${o.name}' is not computed by any node`);
  assignLastReads(state, steps, stepNodes);
  finishConsts(state);
  return createModel(state, inputs, outputs, steps, shapeArithmetic.memoizable);
}
