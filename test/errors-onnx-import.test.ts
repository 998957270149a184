// loadOnnx's options and integer shape arithmetic (API.md "Errors"): a bad option is a ValueError
// naming it; an integer Div by zero is a ValueError naming the node at run time; integer and float
// operands mixed in one Add are a FormatError naming the node. Rows in test/harness/error-table.ts.
import { loadOnnx, tensor, FormatError, ValueError } from '../src/index.js';
import { bad, errorTable, own } from './harness/error-table.js';
import { i64, node, model } from './harness/onnx-graph.js';

const identityGraph = () => model([node('Relu', ['x'], ['y'])], [], [['x', [1, 2]]], ['y']);

bad('loadOnnx: warmUp that is not a boolean', () => loadOnnx(identityGraph(), { warmUp: 'yes' as unknown as boolean }),
  ValueError, 'loadOnnx', 'options.warmUp must be a boolean', 'string');
bad('loadOnnx: options that are not an object', () => loadOnnx(identityGraph(), 3 as unknown as object),
  ValueError, 'loadOnnx', 'options must be an object', 'number');
bad('loadOnnx: integer Div by zero at run time', async () => {
  const net = await loadOnnx(model([node('Shape', ['x'], ['s']), node('Div', ['s', 'zero'], ['y'])], [i64('zero', [0])], [['x', [1, 2]]], ['y']));
  try { net.predict(own(tensor([1, 2], [1, 2]))); } finally { net.dispose(); }
}, ValueError, "node 'y' (Div)", 'integer division by zero', '/ 0');
bad('loadOnnx: Add of an integer and a float tensor', () => loadOnnx(model([node('Shape', ['x'], ['s']), node('Add', ['x', 's'], ['y'])], [], [['x', [2]]], ['y'])),
  FormatError, "node 'y' (Add)", "input 's' is an integer tensor");

errorTable('ONNX import options and integer arithmetic', 4);
