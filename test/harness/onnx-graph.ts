// Hand-made ONNX graphs for importer tests: initializers, attributes, nodes and a model around them,
// encoded by pb-writer (and checked byte for byte against protobufjs).
import { encodeModelChecked } from '../onnx-codec.js';
import { AT, DT, type ModelMsg, type NodeMsg, type TensorMsg, type AttributeMsg } from '../../src/io/onnx/proto.js';

export const f32 = (name: string, dims: number[], values: number[] | Float32Array): TensorMsg => {
  const v = Float32Array.from(values);
  return { name, dims, dataType: DT.FLOAT, rawData: new Uint8Array(v.buffer) };
};
export const i64 = (name: string, values: number[]): TensorMsg => ({ name, dims: [values.length], dataType: DT.INT64, int64Data: values });
export const ints = (name: string, v: number[]): AttributeMsg => ({ name, type: AT.INTS, ints: v });
export const int = (name: string, v: number): AttributeMsg => ({ name, type: AT.INT, i: v });
export const flt = (name: string, v: number): AttributeMsg => ({ name, type: AT.FLOAT, f: v });
export const str = (name: string, v: string): AttributeMsg => ({ name, type: AT.STRING, s: new TextEncoder().encode(v) });
export const node = (opType: string, input: string[], output: string[], attribute: AttributeMsg[] = [], name = output[0]): NodeMsg =>
  ({ opType, input, output, name, attribute });

/** A model of `nodes` with float graph inputs of the given dims (a string is a symbolic dim). */
export function model(nodes: NodeMsg[], inits: TensorMsg[], inputs: [string, (number | string)[]][], outputs: string[], opset = 13): Uint8Array {
  const vi = (name: string, dims?: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: DT.FLOAT, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } : {}) } },
  });
  const m: ModelMsg = {
    irVersion: 7, opsetImport: [{ domain: '', version: opset }], producerName: 'test',
    graph: { name: 'g', node: nodes, initializer: inits, input: inputs.map(([n, d]) => vi(n, d)), output: outputs.map((n) => vi(n)) },
  };
  return encodeModelChecked(m); // also asserts protobufjs's encoder writes the same bytes
}
