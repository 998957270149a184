// Misuse of every op (API.md "Errors"): bad inputs to creation, tensor methods, elementwise ops and
// activations, reductions, shape ops, matmul, convolution, pooling, resizing, normalization and
// dropout, in the table of test/harness/error-table.ts.
import { expect } from 'vitest';
import {
  tensor, zeros, ones, full, randn, randu, tidy, keep, ops, nn, data, Tensor, ShapeError, ValueError, DisposedError,
} from '../src/index.js';
import { T, bad, errorTable, t, z, o } from './harness/error-table.js';

// ---- creation -----------------------------------------------------------------------------------
bad('zeros(5): shape not an array', () => zeros(5 as any), ShapeError, 'zeros', 'shape must be an array', 'number 5');
bad('zeros("ab")', () => zeros('ab' as any), ShapeError, 'zeros', 'string "ab"');
bad('zeros(null)', () => zeros(null as any), ShapeError, 'zeros', 'null');
bad('zeros([2.5]) non-integer dim', () => zeros([2.5]), ShapeError, 'zeros', '[2.5]', 'non-negative integers');
bad('zeros([-1])', () => zeros([-1]), ShapeError, 'zeros', '[-1]');
bad('zeros([NaN])', () => zeros([NaN]), ShapeError, 'zeros', '[NaN]');
bad('zeros(["2"]) string dim', () => zeros(['2' as any]), ShapeError, 'zeros', '["2"]');
bad('zeros dtype float64', () => zeros([2], 'float64' as any), ValueError, 'zeros', 'dtype', '"float64"');
bad('ones([Infinity])', () => ones([Infinity]), ShapeError, 'ones', '[Infinity]');
bad('full value string', () => full([2], '1' as any), ValueError, 'full', 'value must be a number', 'string');
bad('full bad shape', () => full([1.5], 1), ShapeError, 'full', '[1.5]');
bad('randn std < 0', () => randn([2], { std: -1 }), ValueError, 'randn', 'std -1');
bad('randn mean NaN', () => randn([2], { mean: NaN }), ValueError, 'randn', 'mean NaN');
bad('randu low > high', () => randu([2], { low: 1, high: 0 }), ValueError, 'randu', 'low 1', 'high 0');
bad('tensor("abc")', () => tensor('abc' as any), ValueError, 'tensor', 'string "abc"');
bad('tensor(null)', () => tensor(null as any), ValueError, 'tensor', 'null');
bad('tensor([1, "a"])', () => tensor([1, 'a'] as any), ValueError, 'tensor', 'numbers', 'string "a"');
bad('tensor ragged', () => tensor([[1, 2], [3]]), ShapeError, 'tensor', 'ragged', 'expected length 2');
bad('tensor shape/value count', () => tensor([1, 2, 3], [2, 2]), ShapeError, 'tensor', '[2,2]', '4 values', 'got 3');
bad('tensor shape number', () => tensor([1, 2], 2 as any), ShapeError, 'tensor', 'number 2');
bad('tensor dtype', () => tensor([1], [1], 'float64' as any), ValueError, 'tensor', '"float64"');
bad('tensor([1n, 2n])', () => tensor([1n, 2n] as any), ValueError, 'tensor', 'numbers', 'bigint 1n');
bad('tensor(BigInt64Array)', () => tensor(new BigInt64Array([1n]) as any), ValueError, 'tensor', 'BigInt64Array');
bad('ones([2n])', () => ones([2n as any]), ShapeError, 'ones', '[2n]');
bad('zeros([70000, 70000]): beyond wasm32', () => zeros([70000, 70000]), RangeError, 'out of memory', '19600000000 bytes');

// ---- tensor methods -----------------------------------------------------------------------------
bad('dataSync after dispose', () => T.gone.dataSync(), DisposedError, 'dataSync: tensor [2,2]', 'disposed');
bad('arraySync after dispose', () => T.gone.arraySync(), DisposedError, 'arraySync', '[2,2]', 'disposed');
bad('detach after dispose', () => T.gone.detach(), DisposedError, 'detach', '[2,2]', 'disposed');
bad('x.add after dispose', () => T.gone.add(1), DisposedError, 'add: a tensor [2,2]');
bad('reshape a disposed tensor', () => T.gone.reshape([4]), DisposedError, 'reshape: x tensor [2,2]');
bad('assign into a disposed tensor', () => T.gone.assign([1, 2, 3, 4]), DisposedError, 'assign: target', '[2,2]');
bad('assign from a disposed tensor', () => z([2, 2]).assign(T.gone), DisposedError, 'assign: value', '[2,2]');
bad('assign shape', () => z([2]).assign(T.v3), ShapeError, 'assign', 'target [2]', 'value [3]');
bad('assign length', () => z([2]).assign([1, 2, 3]), ShapeError, 'assign', '[2]', 'got 3');
bad('assign dtype', () => z([2]).assign(T.i32), ValueError, 'assign', 'float32', 'int32');
bad('assign a string', () => z([2]).assign('ab' as any), ValueError, 'assign', 'string');
bad('backward of a non-scalar without grad', () => tidy(() => T.param.mul(2).backward()), ShapeError, 'backward', 'non-scalar', '[3]');
bad('backward without requireGrad', () => tidy(() => T.v3.sum().backward()), ValueError, 'backward', 'does not require grad');
bad('backward with a grad of another shape', () => tidy(() => T.param.mul(2).backward(ones([4]))), ShapeError, 'backward', '[4]', '[3]');
bad('requireGrad on int32', () => z([2], 'int32').requireGrad(), ValueError, 'requireGrad', 'int32');
bad('tidy(5)', () => tidy(5 as any), ValueError, 'tidy', 'function');
bad('keep(5)', () => keep(5 as any), ValueError, 'keep', 'number');
bad('backward with an array gradient', () => tidy(() => T.param.mul(2).backward([1, 2, 3] as any)), ValueError, 'backward', 'gradient must be a Tensor', '[3]');
bad('backward of a disposed tensor', () => T.gone.backward(), DisposedError, 'backward', '[2,2]');
bad('tidy(async)', () => tidy((async () => ones([2])) as any), ValueError, 'tidy', 'synchronous');

// ---- elementwise and activations ----------------------------------------------------------------
bad('add: shapes do not broadcast', () => ops.add(T.m23, T.v4), ShapeError, 'add', '[2,3]', '[4]', 'broadcast');
bad('sub: string operand', () => ops.sub(T.m23, 'a' as any), ValueError, 'sub', 'b must be a Tensor or a number', 'string a');
bad('mul: int32 operand', () => ops.mul(T.i32, T.v3), ValueError, 'mul', 'float32', 'int32');
bad('div: null operand', () => ops.div(null as any, T.v3), ValueError, 'div', 'null');
bad('pow: shapes', () => ops.pow(T.m34, T.m23), ShapeError, 'pow', '[3,4]', '[2,3]');
bad('maximum: disposed', () => ops.maximum(T.gone, T.m23), DisposedError, 'maximum: a tensor [2,2]');
bad('minimum: shapes', () => ops.minimum(T.v3, T.v4), ShapeError, 'minimum', '[3]', '[4]');
bad('exp: string', () => ops.exp('x' as any), ValueError, 'exp', 'string x');
bad('log: int32', () => ops.log(T.i32), ValueError, 'log', 'int32');
bad('sqrt: disposed', () => ops.sqrt(T.gone), DisposedError, 'sqrt: x', '[2,2]', 'disposed');
bad('clip: min > max', () => ops.clip(T.v3, 2, 1), ValueError, 'clip', 'min 2', 'max 1');
bad('clip: NaN bound', () => ops.clip(T.v3, NaN, 1), ValueError, 'clip', 'NaN');
bad('relu: int32', () => ops.relu(T.i32), ValueError, 'relu', 'int32');
bad('leakyRelu: alpha string', () => ops.leakyRelu(T.v3, 'a' as any), ValueError, 'leakyRelu', 'alpha', 'string');
bad('leakyRelu: alpha NaN', () => ops.leakyRelu(T.v3, NaN), ValueError, 'leakyRelu', 'alpha', 'NaN');
bad('elu: alpha Infinity', () => ops.elu(T.v3, Infinity), ValueError, 'elu', 'Infinity');
bad('sigmoid: object', () => ops.sigmoid({} as any), ValueError, 'sigmoid', 'Object');
bad('softmax: axis out of range', () => ops.softmax(T.m23, 2), ValueError, 'softmax', 'axis 2', 'rank 2');
bad('softmax: axis string', () => ops.softmax(T.m23, 'a' as any), ValueError, 'softmax', 'axis must be an integer', '"a"');
bad('logSoftmax: axis 1.5', () => ops.logSoftmax(T.m23, 1.5), ValueError, 'logSoftmax', '1.5');
bad('softmax: scalar', () => ops.softmax(T.s), ValueError, 'softmax', 'rank 0');
bad('relu6: int32', () => ops.relu6(T.i32), ValueError, 'relu6', 'float32', 'int32');
bad('hardSigmoid: int32', () => ops.hardSigmoid(T.i32), ValueError, 'hardSigmoid', 'float32', 'int32');
bad('hardSwish: disposed', () => ops.hardSwish(T.gone), DisposedError, 'hardSwish: x', '[2,2]', 'disposed');
bad('silu: int32', () => ops.silu(T.i32), ValueError, 'silu', 'float32', 'int32');
bad('swish: object', () => ops.swish({} as any), ValueError, 'swish', 'Object');
bad('softplus: string', () => ops.softplus('x' as any), ValueError, 'softplus', 'string x');
bad('erf: int32', () => ops.erf(T.i32), ValueError, 'erf', 'float32', 'int32');
bad('nn.activation: "hard-swish"', () => nn.activation('hard-swish' as any), ValueError, 'activation', '"hard-swish"', "'hardSwish'");

// ---- reductions ---------------------------------------------------------------------------------
bad('sum: axis 5', () => ops.sum(T.m23, 5), ValueError, 'sum', 'axis 5', 'rank 2');
bad('sum: axis -3', () => ops.sum(T.m23, -3), ValueError, 'sum', 'axis -3');
bad('mean: repeated axes', () => ops.mean(T.m23, [1, -1]), ValueError, 'mean', 'repeats');
bad('mean: keepDims string', () => ops.mean(T.m23, 0, 'yes' as any), ValueError, 'mean', 'keepDims', 'string yes');
bad('max: over an empty axis', () => ops.max(z([2, 0]), 1), ValueError, 'max', 'empty axis', '[2,0]');
bad('max: axis string', () => ops.max(T.m23, 'x' as any), ValueError, 'max', 'axis');
bad('argMax: scalar', () => ops.argMax(T.s), ShapeError, 'argMax', 'scalar');
bad('argMax: axis 2', () => ops.argMax(T.m23, 2), ValueError, 'argMax', 'axis 2');
bad('argMax: axis null', () => ops.argMax(T.m23, null as any), ValueError, 'argMax', 'axis');

// ---- shape ops ----------------------------------------------------------------------------------
bad('reshape: size differs', () => ops.reshape(T.m23, [4]), ShapeError, 'reshape', '[2,3]', '[4]');
bad('reshape: non-integer dim', () => ops.reshape(T.m23, [2.5, 2]), ValueError, 'reshape', 'integers', '[2.5,2]');
bad('reshape: two -1', () => ops.reshape(T.m23, [-1, -1]), ValueError, 'reshape', '[-1,-1]');
bad('reshape: -1 does not divide', () => ops.reshape(T.m23, [-1, 4]), ShapeError, 'reshape', '[2,3]', '[-1,4]');
bad('reshape: shape a string', () => ops.reshape(T.m23, '6' as any), ValueError, 'reshape', 'got "6"');
bad('flatten: scalar', () => ops.flatten(T.s), ShapeError, 'flatten', 'scalar');
bad('transpose: not a permutation', () => ops.transpose(T.m23, [0, 0]), ValueError, 'transpose', '[0,0]', '[2,3]');
bad('transpose: wrong length', () => ops.transpose(T.m23, [1, 0, 2]), ValueError, 'transpose', '[1,0,2]');
bad('concat: shapes differ', () => ops.concat([T.m23, T.m34], 1), ShapeError, 'concat', '[2,3]', '[3,4]');
bad('concat: dtypes differ', () => ops.concat([T.v3, t(new Int32Array([1, 2, 3]), [3], 'int32')]), ValueError, 'concat', 'float32', 'int32');
bad('concat: empty list', () => ops.concat([]), ValueError, 'concat', 'non-empty');
bad('concat: axis 3', () => ops.concat([T.m23, T.m23], 3), ValueError, 'concat', 'axis 3');
bad('slice: out of bounds', () => ops.slice(T.m23, [0, 2], [1, 2]), ShapeError, 'slice', '[0,2]', '[1,2]', '[2,3]');
bad('slice: negative begin', () => ops.slice(T.m23, [-1, 0]), ShapeError, 'slice', '[-1,0]');
bad('slice: too many entries', () => ops.slice(T.m23, [0, 0, 0]), ShapeError, 'slice', '[0,0,0]');
bad('slice: begin 0.5', () => ops.slice(T.m23, [0.5]), ValueError, 'slice', 'integers', '[0.5]');
bad('pad: one pair for rank 2', () => ops.pad(T.m23, [[1, 1]]), ValueError, 'pad', '[[1,1]]', '[2,3]');
bad('pad: negative', () => ops.pad(T.m23, [[1, 1], [-1, 0]]), ValueError, 'pad', '-1');
bad('pad: value string', () => ops.pad(T.m23, [[0, 0], [0, 0]], 'z' as any), ValueError, 'pad', 'value', 'string');
bad('broadcastTo: incompatible', () => ops.broadcastTo(T.v3, [2, 4]), ShapeError, 'broadcastTo', '[3]', '[2,4]');

// ---- matmul -------------------------------------------------------------------------------------
bad('matmul: inner dims differ', () => ops.matmul(T.m23, T.m45), ShapeError, 'matmul', 'inner', '[2,3]', '[4,5]');
bad('matmul: rank 1', () => ops.matmul(T.v3, T.m34), ShapeError, 'matmul', 'rank 2 or 3', '[3]');
bad('matmul: rank 4', () => ops.matmul(T.img, T.m34), ShapeError, 'matmul', '[2,5,5,3]');
bad('matmul: int32', () => ops.matmul(T.i32 as any, T.m34), ValueError, 'matmul', 'int32');
bad('matmul: batch dims differ', () => ops.matmul(z([2, 2, 3]), z([3, 3, 4])), ShapeError, 'matmul', 'batch', '[2,2,3]', '[3,3,4]');
bad('matmul: transposeA string', () => ops.matmul(T.m23, T.m34, { transposeA: 'yes' as any }), ValueError, 'matmul', 'transposeA', 'string');
bad('matmul: transposeB makes dims differ', () => ops.matmul(T.m23, T.m34, { transposeB: true }), ShapeError, 'matmul', 'transposeB true');
bad('matmul: disposed b', () => ops.matmul(T.m23, T.gone), DisposedError, 'matmul: b tensor [2,2]');

// ---- convolution --------------------------------------------------------------------------------
bad('conv2d: channels differ', () => ops.conv2d(T.img, T.w1), ShapeError, 'conv2d', '3 channels', 'expect 1', '[2,5,5,3]', '[3,3,1,2]');
bad('conv2d: input rank 3', () => ops.conv2d(z([5, 5, 3]), T.w33), ShapeError, 'conv2d', 'rank 4', '[5,5,3]');
bad('conv2d: weights rank 2', () => ops.conv2d(T.img, T.m34), ShapeError, 'conv2d', 'weights', '[3,4]');
bad('conv2d: negative stride', () => ops.conv2d(T.img, T.w33, null, { strides: -1 }), ValueError, 'conv2d', 'strides', '-1');
bad('conv2d: stride 0', () => ops.conv2d(T.img, T.w33, null, { strides: [1, 0] }), ValueError, 'conv2d', 'strides', '[1,0]');
bad('conv2d: stride string', () => ops.conv2d(T.img, T.w33, null, { strides: '2' as any }), ValueError, 'conv2d', 'strides', '"2"');
bad('conv2d: stride NaN', () => ops.conv2d(T.img, T.w33, null, { strides: NaN }), ValueError, 'conv2d', 'strides', 'NaN');
bad('conv2d: dilation 0', () => ops.conv2d(T.img, T.w33, null, { dilation: 0 }), ValueError, 'conv2d', 'dilation', '0');
bad('conv2d: kernel larger than input', () => ops.conv2d(T.img1, o([5, 5, 1, 1])), ShapeError, 'conv2d', 'kernel 5x5', 'padded input 4x4', '[1,4,4,1]');
bad('conv2d: kernel larger than padded input', () => ops.conv2d(T.img1, o([7, 7, 1, 1]), null, { padding: 1 }), ShapeError, 'conv2d', '7x7', '6x6');
bad('conv2d: dilated kernel too large', () => ops.conv2d(T.img1, o([3, 3, 1, 1]), null, { dilation: 2 }), ShapeError, 'conv2d', 'dilated to 5x5');
bad('conv2d: groups do not divide channels', () => ops.conv2d(T.img, o([3, 3, 1, 2]), null, { groups: 2 }), ValueError, 'conv2d', 'groups 2', 'input channels 3');
bad('conv2d: groups do not divide filters', () => ops.conv2d(o([1, 4, 4, 4]), o([3, 3, 2, 3]), null, { groups: 2 }), ValueError, 'conv2d', 'groups 2', 'output channels 3');
bad('conv2d: groups 0', () => ops.conv2d(T.img, T.w33, null, { groups: 0 }), ValueError, 'conv2d', 'groups', '0');
bad('conv2d: groups x weights != channels', () => ops.conv2d(o([1, 4, 4, 4]), o([3, 3, 1, 4]), null, { groups: 2 }), ShapeError, 'conv2d', 'per group', '2 groups');
bad('conv2d: padding -1', () => ops.conv2d(T.img, T.w33, null, { padding: -1 }), ValueError, 'conv2d', 'padding', '-1');
bad('conv2d: padding "full"', () => ops.conv2d(T.img, T.w33, null, { padding: 'full' as any }), ValueError, 'conv2d', '"full"');
bad('conv2d: padding [[1],[1,1]]', () => ops.conv2d(T.img, T.w33, null, { padding: [[1], [1, 1]] as any }), ValueError, 'conv2d', 'padding');
bad('conv2d: bias shape', () => ops.conv2d(T.img, T.w33, T.v3), ShapeError, 'conv2d', 'bias', '[4]', 'got [3]');
bad('conv2d: activation tanh', () => ops.conv2d(T.img, T.w33, null, { activation: 'tanh' as any }), ValueError, 'conv2d', 'activation', '"tanh"');
bad('conv2d: options a string', () => ops.conv2d(T.img, T.w33, null, 'same' as any), ValueError, 'conv2d', 'options', 'string');
bad('conv2d: disposed weights', () => ops.conv2d(T.img, T.goneW), DisposedError, 'conv2d: weights', '[3,3,3,4]', 'disposed');
bad('conv2d: 0x3 kernel', () => ops.conv2d(T.img, z([0, 3, 3, 4])), ShapeError, 'conv2d', '0x3');
bad('conv2dBackpropInput: dy shape', () => ops.conv2dBackpropInput([2, 5, 5, 3], T.img, T.w33), ShapeError, 'conv2dBackpropInput', 'dy', '[2,3,3,4]', '[2,5,5,3]');
bad('conv2dBackpropInput: inputShape 2.5', () => ops.conv2dBackpropInput([2, 5, 5, 2.5], T.img, T.w33), ShapeError, 'conv2dBackpropInput', 'inputShape', '2.5');
bad('conv2dBackpropFilter: filterShape rank 3', () => ops.conv2dBackpropFilter(T.img, T.img, [3, 3, 3]), ShapeError, 'conv2dBackpropFilter', 'filterShape');
bad('conv2dTranspose: channels', () => ops.conv2dTranspose(T.img, T.w33), ShapeError, 'conv2dTranspose', '3 channels', 'expect 4');
bad('conv2dTranspose: outputPadding >= stride', () => ops.conv2dTranspose(T.img, o([3, 3, 2, 3]), null, { strides: 2, outputPadding: 2 }), ValueError, 'conv2dTranspose', 'outputPadding 2', 'strides [2,2]');
bad('conv2dTranspose: padding eats the output', () => ops.conv2dTranspose(T.img1, o([1, 1, 1, 1]), null, { padding: 3 }), ShapeError, 'conv2dTranspose', 'empty output');
bad('conv2dTranspose: bias shape', () => ops.conv2dTranspose(T.img, o([3, 3, 2, 3]), T.v3), ShapeError, 'conv2dTranspose', 'bias', '[2]');
bad('conv1d: channels differ', () => ops.conv1d(o([2, 7, 4]), o([3, 3, 6])), ShapeError, 'conv1d', '4 channels', 'expect 3', '[2,7,4]', '[3,3,6]');
bad('conv1d: image input', () => ops.conv1d(T.img, o([3, 3, 4])), ShapeError, 'conv1d', 'rank 3', '[2,5,5,3]');
bad('conv1d: HWIO weights', () => ops.conv1d(o([2, 7, 3]), T.w33), ShapeError, 'conv1d', 'weights', 'rank 3', '[3,3,3,4]');
bad('conv1d: kernel longer than padded input', () => ops.conv1d(o([1, 4, 1]), o([7, 1, 1]), null, { padding: 1 }), ShapeError, 'conv1d', 'kernel 7', 'padded input 6', '[1,4,1]', '[7,1,1]');
bad('conv1d: dilated kernel too long', () => ops.conv1d(o([1, 4, 1]), o([3, 1, 1]), null, { dilation: 2 }), ShapeError, 'conv1d', 'dilated to 5', '[1,4,1]');
bad('conv1d: 2-D strides', () => ops.conv1d(o([1, 5, 1]), o([3, 1, 1]), null, { strides: [1, 2] as any }), ValueError, 'conv1d', 'strides', '[1,2]');
bad('conv1d: stride 0', () => ops.conv1d(o([1, 5, 1]), o([3, 1, 1]), null, { strides: 0 }), ValueError, 'conv1d', 'strides', '0');
bad('conv1d: groups do not divide channels', () => ops.conv1d(o([1, 5, 3]), o([3, 1, 2]), null, { groups: 2 }), ValueError, 'conv1d', 'groups 2', 'input channels 3', '[1,5,3]', '[3,1,2]');
bad('conv1d: groups x weights != channels', () => ops.conv1d(o([1, 5, 4]), o([3, 1, 4]), null, { groups: 2 }), ShapeError, 'conv1d', 'per group', '[1,5,4]');
bad('conv1d: 2-D padding', () => ops.conv1d(o([1, 5, 1]), o([3, 1, 1]), null, { padding: [[0, 0], [1, 1]] as any }), ValueError, 'conv1d', 'padding', '[left, right]');
bad('conv1d: padding "full"', () => ops.conv1d(o([1, 5, 1]), o([3, 1, 1]), null, { padding: 'full' as any }), ValueError, 'conv1d', 'padding', '"full"');
bad('conv1d: bias shape', () => ops.conv1d(o([1, 5, 3]), o([3, 3, 4]), T.v3), ShapeError, 'conv1d', 'bias', '[4]', 'got [3]', '[3,3,4]');
bad('conv1d: activation tanh', () => ops.conv1d(o([1, 5, 1]), o([3, 1, 1]), null, { activation: 'tanh' as any }), ValueError, 'conv1d', 'activation', '"tanh"');
bad('conv1d: int32 input', () => ops.conv1d(z([1, 5, 1], 'int32'), o([3, 1, 1])), ValueError, 'conv1d', 'float32', 'int32');

// ---- pooling ------------------------------------------------------------------------------------
bad('maxPool2d: window larger than input', () => ops.maxPool2d(T.img1, { poolSize: 5 }), ShapeError, 'maxPool2d', '5x5', '4x4', '[1,4,4,1]');
bad('maxPool2d: poolSize 0', () => ops.maxPool2d(T.img1, { poolSize: 0 }), ValueError, 'maxPool2d', 'poolSize', '0');
bad('maxPool2d: negative stride', () => ops.maxPool2d(T.img1, { strides: -2 }), ValueError, 'maxPool2d', 'strides', '-2');
bad('maxPool2d: numeric padding', () => ops.maxPool2d(T.img1, { padding: 1 as any }), ValueError, 'maxPool2d', 'padding', '1');
bad('maxPool2d: options a string', () => ops.maxPool2d(T.img1, 'abc' as any), ValueError, 'maxPool2d', 'options');
bad('maxPool2d: rank 3', () => ops.maxPool2d(z([4, 4, 1])), ShapeError, 'maxPool2d', 'rank 4', '[4,4,1]');
bad('avgPool2d: poolSize [2, 2.5]', () => ops.avgPool2d(T.img1, { poolSize: [2, 2.5] }), ValueError, 'avgPool2d', '[2,2.5]');
bad('avgPool2d: int32', () => ops.avgPool2d(z([1, 2, 2, 1], 'int32')), ValueError, 'avgPool2d', 'int32');
bad('globalAvgPool2d: no pixels', () => ops.globalAvgPool2d(z([1, 0, 0, 2])), ShapeError, 'globalAvgPool2d', '[1,0,0,2]');
bad('globalMaxPool2d: rank 2', () => ops.globalMaxPool2d(T.m23), ShapeError, 'globalMaxPool2d', '[2,3]');

// Values JSON.stringify cannot print (BigInt, circular, Symbol) still give the op's ValueError.
const circular: unknown[] = [];
circular.push(circular);
bad('conv2d: padding [1n, 1n]', () => ops.conv2d(T.img, T.w33, null, { padding: [1n, 1n] as any }), ValueError, /conv2d: padding must be .*got \[1n,1n\]/);
bad('conv2d: padding circular', () => ops.conv2d(T.img, T.w33, null, { padding: circular as any }), ValueError, /conv2d: padding must be/);
bad('conv2d: padding Symbol', () => ops.conv2d(T.img, T.w33, null, { padding: Symbol('p') as any }), ValueError, /conv2d: padding must be .*got Symbol\(p\)/);
bad('conv2dTranspose: padding 2n', () => ops.conv2dTranspose(T.img, o([3, 3, 2, 3]), null, { padding: 2n as any }), ValueError, /conv2dTranspose: padding must be .*got 2n/);
bad('maxPool2d: padding 2n', () => ops.maxPool2d(T.img1, { padding: 2n as any }), ValueError, /maxPool2d: padding must be 'valid' or 'same', got 2n/);

// ---- resizing -----------------------------------------------------------------------------------
bad('resize: rank 2', () => ops.resize(T.m23, [4, 4]), ShapeError, 'resize', 'rank 4', '[2,3]');
bad('resize: size [0, 4]', () => ops.resize(T.img, [0, 4]), ValueError, 'resize', 'size', '[0,4]');
bad('resize: size 4', () => ops.resize(T.img, 4 as any), ValueError, 'resize', '[outH, outW]', '4');
bad('resize: method "bicubic"', () => ops.resize(T.img, [4, 4], { method: 'bicubic' as any }), ValueError, 'resize', "'method'", '"bicubic"');
bad('resize: alignCorners and halfPixelCenters', () => ops.resize(T.img, [4, 4], { alignCorners: true, halfPixelCenters: true }), ValueError, 'resize', 'alignCorners', 'halfPixelCenters');
bad('resize: alignCorners "yes"', () => ops.resize(T.img, [4, 4], { alignCorners: 'yes' as any }), ValueError, 'resize', "'alignCorners'", '"yes"');
bad('resize: unknown option', () => ops.resize(T.img, [4, 4], { mode: 'linear' } as any), ValueError, 'resize', "unknown option 'mode'");
bad('resize: int32', () => ops.resize(T.i32, [4, 4]), ValueError, 'resize', 'float32', 'int32');

// ---- normalization and dropout ------------------------------------------------------------------
bad('batchNorm: mean per channel', () => ops.batchNorm(T.m23, o([2]), T.v3), ShapeError, 'batchNorm', 'mean [2]', '3 channels');
bad('batchNorm: gamma shape', () => ops.batchNorm(T.m23, T.v3, T.v3, T.v4), ShapeError, 'batchNorm', 'gamma [4]');
bad('batchNorm: eps negative', () => ops.batchNorm(T.m23, T.v3, T.v3, null, null, -1), ValueError, 'batchNorm', 'eps', '-1');
bad('batchNorm: scalar x', () => ops.batchNorm(T.s, T.v3, T.v3), ShapeError, 'batchNorm', 'scalar');
bad('layerNorm: gamma shape', () => ops.layerNorm(T.m23, T.v4), ShapeError, 'layerNorm', 'gamma [4]', 'shape [3]', '[2,3]');
bad('layerNorm: axis not trailing', () => ops.layerNorm(T.img, null, null, { axis: 1 }), ValueError, 'layerNorm', 'axis 1', 'trailing axes', 'rank 4');
bad('layerNorm: axis out of range', () => ops.layerNorm(T.m23, null, null, { axis: 2 }), ValueError, 'layerNorm', 'axis 2', 'rank 2');
bad('layerNorm: scalar x', () => ops.layerNorm(T.s), ShapeError, 'layerNorm', 'scalar');
bad('layerNorm: epsilon -1', () => ops.layerNorm(T.m23, null, null, { epsilon: -1 }), ValueError, 'layerNorm', 'epsilon', '-1');
bad('groupNorm: channels not divisible by groups', () => ops.groupNorm(T.img, 2), ShapeError, 'groupNorm', '3 channels', '2 groups', '[2,5,5,3]');
bad('groupNorm: groups 0', () => ops.groupNorm(T.img, 0), ValueError, 'groupNorm', 'groups', '0');
bad('groupNorm: rank 1', () => ops.groupNorm(T.v3, 1), ShapeError, 'groupNorm', 'rank >= 2', '[3]');
bad('groupNorm: beta shape', () => ops.groupNorm(T.img, 3, null, T.v4), ShapeError, 'groupNorm', 'beta [4]', '[3]');
bad('dropout: rate 1', () => ops.dropout(T.v3, 1), ValueError, 'dropout', 'rate', '1');
bad('dropout: rate NaN', () => ops.dropout(T.v3, NaN), ValueError, 'dropout', 'NaN');
bad('dropout: rate -0.1', () => ops.dropout(T.v3, -0.1), ValueError, 'dropout', '-0.1');
bad('dropout: training string', () => ops.dropout(T.v3, 0.5, 'yes' as any), ValueError, 'dropout', 'training', 'string');

errorTable('ops', 150);
