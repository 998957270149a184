// loadOnnx on bad reductions, Pow and InstanceNormalization nodes (API.md "Errors"): unsupported
// attributes and wrongly typed axes are a FormatError naming the node and its op; a wrong input rank
// or an axis out of range is a ShapeError at run time. Rows in the table of test/harness/error-table.ts.
import { loadOnnx, tensor, FormatError, ShapeError } from '../src/index.js';
import { bad, errorTable, own } from './harness/error-table.js';
import { f32, i64, ints, int, node, model } from './harness/onnx-graph.js';

const load = (nodes: Parameters<typeof model>[0], inits: Parameters<typeof model>[1], opset: number, shape = [1, 2, 3, 3]) =>
  loadOnnx(model(nodes, inits, [['x', shape]], ['y'], opset));

bad('loadOnnx: ReduceSum-13 with an axes attribute', () => load([node('ReduceSum', ['x'], ['y'], [ints('axes', [1])])], [], 13),
  FormatError, "node 'y' (ReduceSum)", "attribute 'axes' is not supported", 'keepdims');
bad('loadOnnx: ReduceMax-13 with noop_with_empty_axes', () => load([node('ReduceMax', ['x'], ['y'], [int('noop_with_empty_axes', 1)])], [], 13),
  FormatError, "node 'y' (ReduceMax)", "'noop_with_empty_axes'");
bad('loadOnnx: ReduceMin-18 with float axes', () => load([node('ReduceMin', ['x', 'a'], ['y'])], [f32('a', [1], [1])], 18),
  FormatError, "node 'y' (ReduceMin)", 'axes must be an int64 tensor');
bad('loadOnnx: ReduceMean-18 with an axis out of range', async () => {
  const net = await load([node('ReduceMean', ['x', 'a'], ['y'])], [i64('a', [4])], 18);
  try { net.predict(own(tensor(new Float32Array(18), [1, 2, 3, 3]))); } finally { net.dispose(); }
}, ShapeError, "node 'y' (ReduceMean)", 'axis 4 is out of range for rank 4');
bad('loadOnnx: Pow with an attribute', () => load([node('Pow', ['x', 'e'], ['y'], [int('fmod', 1)])], [f32('e', [], [2])], 13),
  FormatError, "node 'y' (Pow)", "attribute 'fmod' is not supported");
bad('loadOnnx: Pow without its exponent', () => load([node('Pow', ['x'], ['y'])], [], 13),
  FormatError, "node 'y' (Pow)", 'missing its input 1 (Y)');
bad('loadOnnx: InstanceNormalization with momentum', () => load([node('InstanceNormalization', ['x', 's', 'b'], ['y'], [int('momentum', 1)])], [f32('s', [2], [1, 1]), f32('b', [2], [0, 0])], 13),
  FormatError, "node 'y' (InstanceNormalization)", "attribute 'momentum' is not supported", 'epsilon');
bad('loadOnnx: InstanceNormalization of a 2-D input', async () => {
  const net = await load([node('InstanceNormalization', ['x', 's', 'b'], ['y'])], [f32('s', [2], [1, 1]), f32('b', [2], [0, 0])], 13, [3, 2]);
  try { net.predict(own(tensor(new Float32Array(6), [3, 2]))); } finally { net.dispose(); }
}, ShapeError, "node 'y' (InstanceNormalization)", '(N, C, D1, ...)', '[3,2]');

errorTable('ONNX reductions, Pow and InstanceNormalization', 8);
