// Model -> ONNX (opset 13+): `modelToOnnx(model, options)` (also `sequentialToOnnx`), installed as
// `Model.prototype.toOnnx` (imported for its side effect by src/index.ts). Sequential and graph
// models take one path: export-graph.ts walks the model's layer applications in execution order
// (a Sequential is one chain) and export-layers.ts / export-merge.ts emit each one.
//
// Layout: ONNX convolutions and pools are NCHW. By default the exported graph takes NHWC input
// like the model: a Transpose to NCHW is inserted before the first layer that needs it, the
// kernels are written in ONNX's OIHW layout, and a Transpose back to NHWC comes before any layer
// that depends on the channel-last order (Flatten, Dense on images) and before an image-shaped
// graph output. So every intermediate value keeps our values, only its axes may be permuted; a
// value read by several layers is transposed once. With `{ layout: 'NCHW' }` the graph's image
// inputs (and image-shaped outputs) are NCHW instead.
import { Model } from '../../model/model.js';
import { Sequential } from '../../model/sequential.js';
import { ValueError } from '../../errors.js';
import type { Layer } from '../../nn/layer.js';
import { GraphBuilder, type Flow } from './export-builder.js';
import { sequentialPlan, graphPlan, emitPlan } from './export-graph.js';
import { encodeModel, DT, type ModelMsg, type ValueInfoMsg } from './proto.js';

export { permuteHost } from './export-builder.js';

export interface OnnxExportOptions {
  /** Layout of the graph's image inputs (and image-shaped outputs). Default 'NHWC', as the model. */
  layout?: 'NHWC' | 'NCHW';
  /** ONNX opset version, 13 to 21. Default 13. */
  opset?: number;
  /** Name of the graph input of a one-input model. Default 'input'. */
  inputName?: string;
  /** Name of the graph output of a one-output model. Default 'output'. */
  outputName?: string;
  /** Names of the graph inputs, one per model input. Default: inputName for one input, else the nn.input layers' names. */
  inputNames?: string[];
  /** Names of the graph outputs, one per model output. Default: outputName for one output, else the names of the layers making them. */
  outputNames?: string[];
  /** A fixed batch size for the declared input/output shapes; default a symbolic 'N'. */
  batchSize?: number;
  /** Graph name; default the model's name. */
  graphName?: string;
  /** ModelProto.doc_string. */
  docString?: string;
}

declare module '../../model/model.js' {
  interface Model {
    /** The model as ONNX bytes (opset 13+); the graph takes NHWC input unless `{ layout: 'NCHW' }`. */
    toOnnx(options?: OnnxExportOptions): Uint8Array;
  }
}

/** IR version that goes with an opset (onnx release table). */
function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

/** Exports a built model, Sequential or graph, as ONNX ModelProto bytes. */
export function modelToOnnx(model: Model, options: OnnxExportOptions = {}): Uint8Array {
  return encodeModel(modelToOnnxMessage(model, options));
}

/** The same function under its first name (it takes any model). */
export const sequentialToOnnx = modelToOnnx;

/** The graph's input and output names: given (checked) or the defaults. */
function valueNames(model: Model, options: OnnxExportOptions, inputLayers: readonly (Layer | null)[], outputLayers: readonly (Layer | null)[]): { inputs: string[]; outputs: string[] } {
  const pick = (kind: 'input' | 'output', layers: readonly (Layer | null)[]): string[] => {
    const one = options[`${kind}Name`], several = options[`${kind}Names`];
    const n = layers.length;
    if (one !== undefined && (typeof one !== 'string' || one === '')) throw new ValueError(`toOnnx: option '${kind}Name' must be a non-empty string, got ${JSON.stringify(one)}`);
    if (several !== undefined) {
      if (!Array.isArray(several) || several.length !== n || !several.every((s) => typeof s === 'string' && s !== '')) {
        throw new ValueError(`toOnnx: option '${kind}Names' must be an array of ${n} non-empty string${n === 1 ? '' : 's'} (model '${model.name}' has ${n} ${kind}${n === 1 ? '' : 's'}), got ${JSON.stringify(several)}`);
      }
      return several.slice();
    }
    if (n === 1) return [one ?? kind];
    if (one !== undefined) throw new ValueError(`toOnnx: model '${model.name}' has ${n} ${kind}s: name them with '${kind}Names', not '${kind}Name'`);
    const names: string[] = [];
    for (const l of layers) {
      let name = l!.name;
      for (let i = 1; names.includes(name); i++) name = `${l!.name}_${i}`;
      names.push(name);
    }
    return names;
  };
  const inputs = pick('input', inputLayers);
  const outputs = pick('output', outputLayers);
  const all = [...inputs, ...outputs];
  const twice = all.find((s, i) => all.indexOf(s) !== i);
  if (twice !== undefined) {
    if (inputs.length === 1 && outputs.length === 1) throw new ValueError(`toOnnx: inputName and outputName must differ (both '${twice}')`);
    throw new ValueError(`toOnnx: the graph's input and output names must differ ('${twice}' is given twice)`);
  }
  return { inputs, outputs };
}

/** @internal The ModelProto message modelToOnnx serialises (tests compare encoders on it). */
export function modelToOnnxMessage(model: Model, options: OnnxExportOptions = {}): ModelMsg {
  if (!(model instanceof Model)) throw new ValueError('toOnnx: expects a model (a Sequential or a graph Model)');
  if (options === null || typeof options !== 'object') throw new ValueError(`toOnnx: options must be an object, got ${String(options)}`);
  const layout = options.layout ?? 'NHWC';
  if (layout !== 'NHWC' && layout !== 'NCHW') throw new ValueError(`toOnnx: option 'layout' must be 'NHWC' or 'NCHW', got ${JSON.stringify(layout)}`);
  const opset = options.opset ?? 13;
  if (!Number.isInteger(opset) || opset < 13 || opset > 21) throw new ValueError(`toOnnx: option 'opset' must be an integer from 13 to 21, got ${JSON.stringify(opset)}`);
  const batch = options.batchSize;
  if (batch !== undefined && !(Number.isInteger(batch) && batch > 0)) throw new ValueError(`toOnnx: option 'batchSize' must be a positive integer, got ${JSON.stringify(batch)}`);
  if (!model.built) {
    throw new ValueError(`toOnnx: model '${model.name}' is not built yet: give inputShape (new Sequential(layers, { inputShape })) or call it on data first`);
  }
  const sequential = model instanceof Sequential;
  const plan = sequential ? sequentialPlan(model) : graphPlan(model);
  const producer = (s: object): Layer | null => (sequential ? null : (s as Model['outputs'][number]).layer);
  const names = valueNames(model, options, plan.inputs.map(producer), plan.outputs.map(producer));

  const g = new GraphBuilder([...names.inputs, ...names.outputs]);
  const imageInput = (sample: readonly number[]) => layout === 'NCHW' && sample.length === 3;
  const inputs: Flow[] = plan.inputShapes.map((s, i) => ({ name: names.inputs[i], rank: s.length + 1, nchw: imageInput(s) }));
  // Image-shaped outputs come back in the graph's layout.
  const outputs = emitPlan(g, opset, plan, inputs, new Set()).map((y) => (layout === 'NHWC' ? g.toNHWC(y, 'output') : g.toNCHW(y, 'output')));
  outputs.forEach((y, i) => {
    // Name the result: rename the output of the node that makes it when nothing else reads it, or copy it through.
    const readers = g.nodes.filter((n) => n.input!.includes(y.name)).length + outputs.filter((o) => o.name === y.name).length - 1;
    const maker = g.nodes.find((n) => n.output![0] === y.name);
    if (maker && readers === 0) maker.output![0] = names.outputs[i];
    else g.nodes.push({ opType: 'Identity', input: [y.name], output: [names.outputs[i]], name: g.unique('output/identity'), attribute: [] });
  });

  const batchDim = batch ?? 'N';
  const imageDims = (sample: readonly number[], nchw: boolean): (number | string)[] =>
    nchw ? [batchDim, sample[2], sample[0], sample[1]] : [batchDim, ...sample];
  const valueInfo = (name: string, dims: (number | string)[]): ValueInfoMsg => ({
    name,
    type: { tensorType: { elemType: DT.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  return {
    irVersion: irVersionFor(opset),
    opsetImport: [{ domain: '', version: opset }],
    producerName: 'wasm-cnn',
    producerVersion: '0.1.0',
    modelVersion: 1,
    ...(options.docString ? { docString: String(options.docString) } : {}),
    graph: {
      name: options.graphName ?? model.name,
      node: g.nodes,
      initializer: g.initializers,
      input: inputs.map((x, i) => valueInfo(x.name, imageDims(plan.inputShapes[i], x.nchw))),
      output: outputs.map((y, i) => valueInfo(names.outputs[i], imageDims(plan.outputShapes[i], y.nchw))),
    },
  };
}

/** @internal The same message under its first name. */
export const sequentialToOnnxMessage = modelToOnnxMessage;

Model.prototype.toOnnx = function toOnnx(this: Model, options?: OnnxExportOptions): Uint8Array {
  return modelToOnnx(this, options);
};
