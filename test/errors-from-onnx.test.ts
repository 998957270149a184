// Model.fromOnnx on files it cannot express as layers (API.md "Errors"): malformed bytes, an op no
// layer computes, weights that are computed rather than stored, pads only -infinity padding gives, a
// flattened NCHW image as an output; each a FormatError naming the node and its op type, and a wrong
// argument a ValueError. Rows in the table of test/harness/error-table.ts.
import { readFileSync } from 'node:fs';
import { Model, FormatError, ValueError } from '../src/index.js';
import { bad, errorTable } from './harness/error-table.js';
import { f32, i64, ints, int, node, model } from './harness/onnx-graph.js';

const fromOnnx = (nodes: Parameters<typeof model>[0], inits: Parameters<typeof model>[1], shape: (number | string)[] = ['N', 2, 4, 4], opset = 13) =>
  Model.fromOnnx(model(nodes, inits, [['x', shape]], ['y'], opset)).then((m) => { m.dispose(); });
const w = f32('w', [3, 2, 1, 1], [1, 2, 3, 4, 5, 6]);
const resnet = new Uint8Array(readFileSync(new URL('./fixtures/onnx/from_onnx_resnet18.onnx', import.meta.url)));

bad('Model.fromOnnx: bytes that are not protobuf', () => Model.fromOnnx(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2])),
  FormatError, 'Model.fromOnnx', 'not a valid ONNX model');
bad('Model.fromOnnx: a truncated file', () => Model.fromOnnx(resnet.subarray(0, resnet.length >> 1)),
  FormatError, 'Model.fromOnnx', 'not a valid ONNX model');
bad('Model.fromOnnx: not bytes', () => Model.fromOnnx('model.onnx' as never),
  ValueError, 'Model.fromOnnx', "expects the .onnx file's bytes", 'string');
bad('Model.fromOnnx: an unknown option', () => Model.fromOnnx(resnet, { format: 'NCHW' } as never),
  ValueError, 'Model.fromOnnx', "unknown option 'format'", 'known: name, layout');
bad('Model.fromOnnx: an unknown layout', () => Model.fromOnnx(resnet, { layout: 'NCHW' } as never),
  ValueError, 'Model.fromOnnx', "option 'layout' must be 'graph' or 'NHWC'", '"NCHW"');
bad('Model.fromOnnx: an op no layer computes', () => fromOnnx([node('Conv', ['x', 'w'], ['c']), node('Erf', ['c'], ['y'])], [w]),
  FormatError, "node 'y' (Erf)", 'is not supported as a layer', 'supported ops: Add, AveragePool');
bad('Model.fromOnnx: a conv whose weight is computed', () => fromOnnx([node('Relu', ['x'], ['r']), node('Conv', ['x', 'r'], ['y'])], []),
  FormatError, "node 'y' (Conv)", "input W ('r') must be a float initializer");
bad('Model.fromOnnx: a conv with an unknown attribute', () => fromOnnx([node('Conv', ['x', 'w'], ['y'], [int('bogus', 1)])], [w]),
  FormatError, 'Model.fromOnnx', "node 'y' (Conv)", "attribute 'bogus' is not supported");
bad('Model.fromOnnx: a conv whose group does not fit the channels', () => fromOnnx([node('Conv', ['x', 'w'], ['y'], [int('group', 2)])], [w]),
  FormatError, "node 'y' (Conv)", 'W [3,2,1,1] with group 2 does not fit an input of 2 channels');
bad('Model.fromOnnx: max pooling with explicit pads over values that may be negative',
  () => fromOnnx([node('MaxPool', ['x'], ['y'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])])], []),
  FormatError, "node 'y' (MaxPool)", 'values that may be negative');
bad('Model.fromOnnx: a flattened NCHW image as the output', () => fromOnnx([node('Flatten', ['x'], ['y'])], []),
  FormatError, "graph output 'y'", 'NCHW order');
bad('Model.fromOnnx: a reshape to a computed shape', () => fromOnnx([node('Reshape', ['x', 's'], ['y'])], [i64('s', [2, 4, 4])]),
  FormatError, "node 'y' (Reshape)", 'only a reshape to [N, 32]');
bad('Model.fromOnnx: Clip to other bounds', () => fromOnnx([node('Clip', ['x', 'lo', 'hi'], ['y'])], [f32('lo', [], [-1]), f32('hi', [], [1])]),
  FormatError, "node 'y' (Clip)", 'Clip(-1, 1) is not supported');
bad('Model.fromOnnx: an input whose spatial size is not known', () => fromOnnx([node('Relu', ['x'], ['y'])], [], ['N', 2, 'H', 'W']),
  FormatError, "graph input 'x'", 'every axis but the batch known');
bad('Model.fromOnnx: an Add of inputs of different ranks',
  () => Model.fromOnnx(model([node('Flatten', ['x'], ['f']), node('Add', ['x', 'f'], ['y'])], [], [['x', ['N', 2, 1, 1]]], ['y'])),
  FormatError, "node 'y' (Add)", 'one rank');

bad('Model.fromOnnx: a transpose that swaps height and width', () => fromOnnx([node('Transpose', ['x'], ['y'], [ints('perm', [0, 1, 3, 2])])], []),
  FormatError, "node 'y' (Transpose)", 'perm [0,1,3,2] is not supported', 'NCHW <-> NHWC');

errorTable('Model.fromOnnx', 15);
