// Misuse of layers, models (Sequential and graph), losses, optimizers, data, io and init (API.md
// "Errors"), in the table of test/harness/error-table.ts; then the "nothing half-updated" cases:
// optimizer steps, fit, Sequential.add, load.
import { describe, it, expect } from 'vitest';
import {
  init, setNumThreads, setThreadSpin, tensor, ones, full, randn, randu, tidy, keep, setSeed, ops, nn, losses, optim, data, Sequential, Model, loadOnnx, Tensor, ShapeError, ValueError, FormatError, DisposedError, LimitError, setLimits,
} from '../src/index.js';
import { GraphNode, type SymbolicTensor } from '../src/nn/symbolic.js';
import { encodeIdx } from '../src/data/idx.js';
import {
  T, bad, errorTable, live, own, t, z, o, model, savedBytes, onnxBytes, net, validAfter, savedJson, savedWeights, otherWeights,
} from './harness/error-table.js';

// ---- layers: construction (ValueError at construction, naming the layer and option) -----------
bad('nn.conv2d: filters 0', () => nn.conv2d({ filters: 0, kernelSize: 3 }), ValueError, 'conv2d', "'filters'", '0');
bad('nn.conv2d: filters "8"', () => nn.conv2d({ filters: '8' as any, kernelSize: 3 }), ValueError, 'conv2d', "'filters'", '"8"');
bad('nn.conv2d: filters 2.5', () => nn.conv2d({ filters: 2.5, kernelSize: 3 }), ValueError, 'conv2d', '2.5');
bad('nn.conv2d: filters missing', () => nn.conv2d({ kernelSize: 3 } as any), ValueError, 'conv2d', "'filters' is required");
bad('nn.conv2d: kernelSize NaN', () => nn.conv2d({ filters: 2, kernelSize: NaN }), ValueError, 'conv2d', "'kernelSize'", 'NaN');
bad('nn.conv2d: kernelSize [3]', () => nn.conv2d({ filters: 2, kernelSize: [3] as any }), ValueError, 'conv2d', '[3]');
bad('nn.conv2d: strides -1', () => nn.conv2d({ filters: 2, kernelSize: 3, strides: -1 }), ValueError, 'conv2d', "'strides'", '-1');
bad('nn.conv2d: groups do not divide filters', () => nn.conv2d({ filters: 8, kernelSize: 3, groups: 3 }), ValueError, 'conv2d', '(8)', "'groups' (3)");
bad('nn.conv2d: padding "full"', () => nn.conv2d({ filters: 2, kernelSize: 3, padding: 'full' as any }), ValueError, 'conv2d', "'padding'", '"full"');
bad('nn.conv2d: activation "foo"', () => nn.conv2d({ filters: 2, kernelSize: 3, activation: 'foo' as any }), ValueError, 'conv2d', "'activation'", '"foo"');
bad('nn.conv2d: unknown option', () => nn.conv2d({ filters: 2, kernelSize: 3, stride: 2 } as any), ValueError, 'conv2d', "unknown option 'stride'");
bad('nn.conv2d: initializer "foo"', () => nn.conv2d({ filters: 2, kernelSize: 3, kernelInitializer: 'foo' }), ValueError, 'conv2d', 'kernelInitializer', '"foo"');
bad('nn.conv2d: useBias "no"', () => nn.conv2d({ filters: 2, kernelSize: 3, useBias: 'no' as any }), ValueError, 'conv2d', "'useBias'", '"no"');
bad('nn.conv2d: options a number', () => nn.conv2d(3 as any), ValueError, 'conv2d', 'options must be an object');
bad('nn.conv2d: name with a space', () => nn.conv2d({ filters: 2, kernelSize: 3, name: 'my conv' }), ValueError, 'conv2d', "'name'", '"my conv"');
bad('nn.conv2d: inputShape [0, 4, 1]', () => nn.conv2d({ filters: 2, kernelSize: 3, inputShape: [0, 4, 1] }), ValueError, 'conv2d', 'inputShape', '[0,4,1]');
bad('nn.depthwiseConv2d: depthMultiplier 0', () => nn.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 0 }), ValueError, 'depthwiseConv2d', "'depthMultiplier'", '0');
bad('nn.conv2dTranspose: numeric padding', () => nn.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 1 as any }), ValueError, 'conv2dTranspose', "'padding'", '1');
bad('nn.dense: units 0', () => nn.dense({ units: 0 }), ValueError, 'dense', "'units'", '0');
bad('nn.dense: units -3', () => nn.dense({ units: -3 }), ValueError, 'dense', '-3');
bad('nn.dense: options a string', () => nn.dense('abc' as any), ValueError, 'dense', 'options must be an object');
bad('nn.dropout: rate 1', () => nn.dropout({ rate: 1 }), ValueError, 'dropout', "'rate'", '[0, 1)', '1');
bad('nn.dropout: rate missing', () => nn.dropout({} as any), ValueError, 'dropout', "'rate' is required");
bad('nn.batchNorm: momentum 2', () => nn.batchNorm({ momentum: 2 }), ValueError, 'batchNorm', "'momentum'", '2');
bad('nn.batchNorm: epsilon 0', () => nn.batchNorm({ epsilon: 0 }), ValueError, 'batchNorm', "'epsilon'", '0');
bad('nn.batchNorm: momentum NaN', () => nn.batchNorm({ momentum: NaN }), ValueError, 'batchNorm', 'NaN');
bad('nn.maxPool2d: poolSize 0', () => nn.maxPool2d({ poolSize: 0 }), ValueError, 'maxPool2d', "'poolSize'", '0');
bad('nn.avgPool2d: padding "full"', () => nn.avgPool2d({ padding: 'full' as any }), ValueError, 'avgPool2d', "'padding'", '"full"');
bad('nn.zeroPadding2d: padding -1', () => nn.zeroPadding2d({ padding: -1 }), ValueError, 'zeroPadding2d', "'padding'", '-1');
bad('nn.activation: "foo"', () => nn.activation('foo' as any), ValueError, 'activation', '"foo"');
bad('nn.prelu: sharedAxes [0]', () => nn.prelu({ sharedAxes: [0] }), ValueError, 'prelu', 'sharedAxes', '[0]');
bad('nn.globalAvgPool2d: unknown option', () => nn.globalAvgPool2d({ poolSize: 2 } as any), ValueError, 'globalAvgPool2d', "unknown option 'poolSize'");
bad('nn.upSampling2d: size 0', () => nn.upSampling2d({ size: 0 }), ValueError, 'upSampling2d', "'size'", '0');
bad('nn.upSampling2d: interpolation "area"', () => nn.upSampling2d({ interpolation: 'area' as any }), ValueError, 'upSampling2d', "'interpolation'", '"area"');
bad('nn.resizing: height missing', () => nn.resizing({ width: 4 } as any), ValueError, 'resizing', "'height' is required");
bad('nn.cropping2d: cropping [1, -1]', () => nn.cropping2d({ cropping: [1, -1] }), ValueError, 'cropping2d', "'cropping'", '[1,-1]');
bad('nn.reshape: two -1', () => nn.reshape({ targetShape: [-1, -1] }), ValueError, 'reshape', "'targetShape'", '[-1,-1]');
bad('initializer: randomUniform minval > maxval', () => nn.dense({ units: 2, kernelInitializer: { name: 'randomUniform', minval: 1, maxval: 0 } }), ValueError, 'dense', 'randomUniform', '1 > 0');
bad('initializer: constant value NaN', () => nn.dense({ units: 2, kernelInitializer: { name: 'constant', value: NaN } }), ValueError, 'dense', "'value'", 'NaN');
bad('initializer: varianceScaling mode', () => nn.conv2d({ filters: 2, kernelSize: 1, kernelInitializer: { name: 'varianceScaling', mode: 'fanMiddle' } }), ValueError, 'conv2d', 'mode', '"fanMiddle"');
bad('initializer: not a name', () => nn.dense({ units: 2, kernelInitializer: 5 as any }), ValueError, 'dense', 'kernelInitializer', '5');

bad('nn.conv1d: filters missing', () => nn.conv1d({ kernelSize: 3 } as any), ValueError, 'conv1d', "'filters' is required");
bad('nn.conv1d: kernelSize [3, 3]', () => nn.conv1d({ filters: 2, kernelSize: [3, 3] as any }), ValueError, 'conv1d', "'kernelSize'", '[3,3]');
bad('nn.conv1d: strides 0', () => nn.conv1d({ filters: 2, kernelSize: 3, strides: 0 }), ValueError, 'conv1d', "'strides'", '0');
bad('nn.conv1d: padding "full"', () => nn.conv1d({ filters: 2, kernelSize: 3, padding: 'full' as any }), ValueError, 'conv1d', "'padding'", "'causal'", '"full"');
bad('nn.conv1d: groups do not divide filters', () => nn.conv1d({ filters: 5, kernelSize: 3, groups: 2 }), ValueError, 'conv1d', '(5)', "'groups' (2)");
bad('nn.conv1d: unknown option', () => nn.conv1d({ filters: 2, kernelSize: 3, depthMultiplier: 2 } as any), ValueError, 'conv1d', "unknown option 'depthMultiplier'");
bad('nn.separableConv2d: filters 0', () => nn.separableConv2d({ filters: 0, kernelSize: 3 }), ValueError, 'separableConv2d', "'filters'", '0');
bad('nn.separableConv2d: depthMultiplier 1.5', () => nn.separableConv2d({ filters: 2, kernelSize: 3, depthMultiplier: 1.5 }), ValueError, 'separableConv2d', "'depthMultiplier'", '1.5');
bad('nn.separableConv2d: groups', () => nn.separableConv2d({ filters: 2, kernelSize: 3, groups: 2 } as any), ValueError, 'separableConv2d', "unknown option 'groups'");
bad('nn.separableConv2d: pointwiseInitializer "foo"', () => nn.separableConv2d({ filters: 2, kernelSize: 3, pointwiseInitializer: 'foo' }), ValueError, 'separableConv2d', 'pointwiseInitializer', '"foo"');
// ---- layers: apply ------------------------------------------------------------------------------
bad('conv2d layer: kernel larger than input', () => own(nn.conv2d({ filters: 2, kernelSize: 5 })).apply(T.img1), ShapeError, 'conv2d', '4x4', '5x5', '(None, 4, 4, 1)');
bad('conv2d layer: rank-2 input', () => own(nn.conv2d({ filters: 2, kernelSize: 1 })).apply(T.m23), ShapeError, 'conv2d', 'images', '(None, 3)');
bad('conv2d layer: groups vs channels', () => own(nn.conv2d({ filters: 4, kernelSize: 1, groups: 2 })).apply(T.img), ShapeError, 'conv2d', 'input channels (3)', 'groups (2)');
bad('conv2d layer: channels change after build', () => { const l = own(nn.conv2d({ filters: 2, kernelSize: 1 })); tidy(() => { l.apply(T.img); }); return l.apply(T.img1); },
  ShapeError, 'conv2d', '1 channels', 'expects 3');
bad('dense layer: features change after build', () => { const l = own(nn.dense({ units: 2 })); tidy(() => { l.apply(T.m23); }); return l.apply(T.m34); },
  ShapeError, 'dense', '4 features', 'expects 3', '[3,2]');
bad('layer.apply: a number', () => own(nn.dense({ units: 2 })).apply(3 as any), ValueError, 'dense', 'input must be a Tensor', 'number 3');
bad('layer.apply: scalar', () => own(nn.dense({ units: 2 })).apply(T.s), ShapeError, 'dense', 'batch axis');
bad('layer.apply: int32', () => own(nn.dense({ units: 2 })).apply(T.i32), ValueError, 'dense', 'float32', 'int32');
bad('layer.apply: disposed', () => own(nn.dense({ units: 2 })).apply(T.gone), DisposedError, 'dense: input', '[2,2]');
bad('batchNorm layer: training on one value per channel', () => own(nn.batchNorm()).apply(o([1, 3]), { training: true }), ValueError, 'batch_normalization', 'more than one value per channel', '[1,3]');
bad('countParams before build', () => nn.dense({ units: 2 }).countParams(), ValueError, 'dense', 'countParams', 'built');
bad('maxPool2d layer: window larger than input', () => own(nn.maxPool2d({ poolSize: 5 })).apply(T.img1), ShapeError, 'max_pooling2d', '4x4', '5x5');
bad('prelu layer: shared axis beyond rank', () => own(nn.prelu({ sharedAxes: [3] })).apply(T.m23), ShapeError, 'p_re_lu', 'shared axis 3');
bad('upSampling2d layer: rank-2 input', () => own(nn.upSampling2d()).apply(T.m23), ShapeError, 'up_sampling2d', 'images', '(None, 3)');
bad('resizing layer: rank-2 input', () => own(nn.resizing({ height: 2, width: 2 })).apply(T.m23), ShapeError, 'resizing', 'images', '(None, 3)');
bad('cropping2d layer: cropping the whole image', () => own(nn.cropping2d({ cropping: 2 })).apply(T.img1), ShapeError, 'cropping2d', 'leaves no pixels', '(None, 4, 4, 1)');
bad('reshape layer: size mismatch', () => own(nn.reshape({ targetShape: [5, -1] })).apply(T.m34), ShapeError, 'reshape', '(None, 4)', '[5,-1]');
bad('nn.groupNormalization: groups missing', () => nn.groupNormalization({} as any), ValueError, 'groupNormalization', "'groups' is required");
bad('nn.groupNormalization: groups 0', () => nn.groupNormalization({ groups: 0 }), ValueError, 'groupNormalization', "'groups'", '0');
bad('nn.layerNormalization: axis "x"', () => nn.layerNormalization({ axis: 'x' as any }), ValueError, 'layerNormalization', "'axis'", '"x"');
bad('nn.layerNormalization: epsilon 0', () => nn.layerNormalization({ epsilon: 0 }), ValueError, 'layerNormalization', "'epsilon'", '0');
bad('nn.globalAvgPool2d: keepDims 1', () => nn.globalAvgPool2d({ keepDims: 1 as any }), ValueError, 'globalAvgPool2d', "'keepDims'", '1');
bad('groupNormalization layer: channels not divisible by groups', () => own(nn.groupNormalization({ groups: 2 })).apply(T.img), ShapeError, 'group_normalization', '3 channels', '2 groups', '(None, 5, 5, 3)');
bad('groupNormalization layer: rank-1 input', () => own(nn.groupNormalization({ groups: 1 })).apply(T.v3), ShapeError, 'group_normalization', 'rank >= 2', '(None)');
bad('layerNormalization layer: axis with the batch axis', () => own(nn.layerNormalization({ axis: [0, 1] })).apply(T.m23), ValueError, 'layer_normalization', 'batch axis', '(None, 3)');
bad('layerNormalization layer: features change after build', () => { const l = own(nn.layerNormalization()); tidy(() => { l.apply(T.m23); }); return l.apply(T.m34); },
  ShapeError, 'layer_normalization', '(None, 3)', '(None, 4)');

bad('conv1d layer: image input', () => own(nn.conv1d({ filters: 2, kernelSize: 3 })).apply(T.img), ShapeError, 'conv1d', 'sequences', '(None, 5, 5, 3)');
bad('conv1d layer: sequence shorter than the kernel', () => own(nn.conv1d({ filters: 2, kernelSize: 5 })).apply(o([1, 3, 2])), ShapeError, 'conv1d', '3 steps', '5-step window', '(None, 3, 2)');
bad('conv1d layer: groups vs channels', () => own(nn.conv1d({ filters: 4, kernelSize: 1, groups: 2 })).apply(o([1, 4, 3])), ShapeError, 'conv1d', 'input channels (3)', 'groups (2)');
bad('conv1d layer: channels change after build', () => { const l = own(nn.conv1d({ filters: 2, kernelSize: 1 })); tidy(() => { l.apply(o([1, 4, 3])); }); return l.apply(o([1, 4, 2])); },
  ShapeError, 'conv1d', '2 channels', 'expects 3', '(None, 4, 2)', '[1,3,2]');
bad('separableConv2d layer: rank-2 input', () => own(nn.separableConv2d({ filters: 2, kernelSize: 1 })).apply(T.m23), ShapeError, 'separable_conv2d', 'images', '(None, 3)');
bad('separableConv2d layer: kernel larger than input', () => own(nn.separableConv2d({ filters: 2, kernelSize: 5 })).apply(T.img1), ShapeError, 'separable_conv2d', '4x4', '5x5', '(None, 4, 4, 1)');
// ---- model --------------------------------------------------------------------------------------
bad('Sequential: layers not an array', () => new Sequential(5 as any), ValueError, 'Sequential', 'layers must be an array');
bad('Sequential: a non-layer', () => new Sequential([1 as any]), ValueError, 'sequential.add', 'expected a layer', 'number 1');
bad('Sequential: inputShape [0]', () => new Sequential([], { inputShape: [0] }), ValueError, 'Sequential', 'inputShape', '[0]');
bad('Sequential: inputShape [2.5]', () => new Sequential([], { inputShape: [2.5] }), ValueError, 'inputShape', '[2.5]');
bad('Sequential: duplicate layer names', () => own(new Sequential([nn.dense({ units: 2, name: 'a' }), nn.dense({ units: 2, name: 'a' })])), ValueError, "named 'a'", 'unique');
bad('Sequential.add: a layer that does not fit', () => model().add(nn.conv2d({ filters: 2, kernelSize: 1 })), ShapeError, 'conv2d', 'images', '(None, 3)');
bad('summary before build', () => new Sequential([nn.dense({ units: 2 })]).summary(), ValueError, 'summary', 'not built');
bad('compile: optimizer "foo"', () => model({ compile: false }).compile({ optimizer: 'foo', loss: 'mse' }), ValueError, 'compile', "unknown optimizer 'foo'");
bad('compile: loss "foo"', () => model({ compile: false }).compile({ optimizer: 'sgd', loss: 'foo' }), ValueError, 'compile', "unknown loss 'foo'");
bad('compile: lr NaN', () => model({ compile: false }).compile({ optimizer: { name: 'sgd', lr: NaN }, loss: 'mse' }), ValueError, 'sgd', 'lr', 'NaN');
bad('compile: metric "mae"', () => model({ compile: false }).compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] }), ValueError, 'compile', '"mae"');
bad('compile: loss option typo', () => model({ compile: false }).compile({ optimizer: 'sgd', loss: { name: 'mse', fromLogit: true } }), ValueError, "no option 'fromLogit'");
bad('fit before compile', () => model({ compile: false }).fit(T.img1, T.i32), ValueError, 'fit', 'compile');
bad('fit: labels out of range', () => model().fit(o([2, 5, 5, 1]), t(new Int32Array([0, 7]), [2], 'int32'), { verbose: 0 }), ValueError, 'fit', 'label 7', 'index 1', '3 classes');
bad('fit: negative label', () => model().fit(o([2, 5, 5, 1]), t(new Int32Array([-1, 0]), [2], 'int32'), { verbose: 0 }), ValueError, 'fit', 'label -1');
bad('fit: float label 0.5', () => model().fit(o([2, 5, 5, 1]), t([0.5, 1]), { verbose: 0 }), ValueError, 'fit', 'label 0.5');
bad('fit: input shape', () => model().fit(o([2, 4, 4, 1]), T.i32, { verbose: 0 }), ShapeError, 'fit', '[2,4,4,1]', '(None, 5, 5, 1)');
bad('fit: x and y sample counts', () => model().fit(o([3, 5, 5, 1]), T.i32, { verbose: 0 }), ShapeError, 'fit', 'x [3,5,5,1]', 'y [2]');
bad('fit: epochs -1', () => model().fit(o([2, 5, 5, 1]), T.i32, { epochs: -1 }), ValueError, 'fit', "'epochs'", '-1');
bad('fit: epochs "2"', () => model().fit(o([2, 5, 5, 1]), T.i32, { epochs: '2' as any }), ValueError, 'fit', '"2"');
bad('fit: batchSize 0', () => model().fit(o([2, 5, 5, 1]), T.i32, { batchSize: 0 }), ValueError, 'fit', 'batchSize', '0');
bad('fit: batchSize NaN', () => model().fit(o([2, 5, 5, 1]), T.i32, { batchSize: NaN }), ValueError, 'fit', 'batchSize', 'NaN');
bad('fit: validationSplit 1', () => model().fit(o([2, 5, 5, 1]), T.i32, { validationSplit: 1 }), ValueError, 'fit', 'validationSplit', '1');
bad('fit: verbose 3', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 3 as any }), ValueError, 'fit', 'verbose', '3');
bad('fit: stopOnNaN "yes"', () => model().fit(o([2, 5, 5, 1]), T.i32, { stopOnNaN: 'yes' as any }), ValueError, 'fit', 'stopOnNaN', '"yes"');
bad('fit: x a string', () => model().fit('x' as any, T.i32), ValueError, 'fit', 'x must be a Tensor', 'string x');
bad('fit: disposed x', () => model().fit(T.gone, T.i32), DisposedError, 'fit: x', '[2,2]');
bad('fit: int32 x', () => model().fit(z([2, 5, 5, 1], 'int32'), T.i32, { verbose: 0 }), ValueError, 'fit', 'float32', 'int32');
bad('fit: callback not a function', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, onEpochEnd: 5 as any }), ValueError, 'fit', 'onEpochEnd');
bad('fit: augment returns another shape', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, augment: (x) => ops.slice(x, [0], [1]) }), ShapeError, 'augment', '[2,5,5,1]', '[1,5,5,1]');
bad('evaluate: labels out of range', () => model().evaluate(o([2, 5, 5, 1]), t(new Int32Array([3, 0]), [2], 'int32')), ValueError, 'evaluate', 'label 3');
bad('evaluate: batchSize -1', () => model().evaluate(o([2, 5, 5, 1]), T.i32, { batchSize: -1 }), ValueError, 'evaluate', 'batchSize', '-1');
bad('predict: input shape', () => model().predict(o([2, 3, 3, 1])), ShapeError, 'predict', '[2,3,3,1]', '(None, 5, 5, 1)');
bad('predict: batchSize 1.5', () => model().predict(o([2, 5, 5, 1]), { batchSize: 1.5 }), ValueError, 'predict', 'batchSize', '1.5');
bad('trainOnBatch: y length', () => model().trainOnBatch(o([2, 5, 5, 1]), t(new Int32Array([0, 1, 2]), [3], 'int32')), ShapeError, 'trainOnBatch', 'y [3]');
bad('trainOnBatch: empty batch', () => model().trainOnBatch(z([0, 5, 5, 1]), z([0], 'int32')), ValueError, 'trainOnBatch', 'empty');
bad('forward: disposed x', () => model().forward(T.gone), DisposedError, 'forward: x', '[2,2]');
bad('model: a custom loss returning a vector', () => { const m = model({ compile: false }); m.compile({ optimizer: 'sgd', loss: (p) => ops.sum(p, 1) }); return m.trainOnBatch(o([2, 5, 5, 1]), T.i32); },
  ValueError, 'scalar', '[2]');

// ---- losses -------------------------------------------------------------------------------------
bad('sparseCCE: label out of range', () => losses.sparseCategoricalCrossentropy(T.m23, t(new Int32Array([0, 5]), [2], 'int32')), ValueError, 'sparseCategoricalCrossentropy', 'label 5', 'index 1', '[0, 3)');
bad('sparseCCE: negative label', () => losses.sparseCategoricalCrossentropy(T.m23, t(new Int32Array([-1, 0]), [2], 'int32')), ValueError, 'label -1');
bad('sparseCCE: non-integer float label', () => losses.sparseCategoricalCrossentropy(T.m23, t([0.5, 1])), ValueError, 'label 0.5', 'not an integer');
bad('sparseCCE: NaN label', () => losses.sparseCategoricalCrossentropy(T.m23, t([NaN, 1])), ValueError, 'label NaN');
bad('sparseCCE: label shape', () => losses.sparseCategoricalCrossentropy(T.m23, T.v3), ShapeError, 'sparseCategoricalCrossentropy', '[3]', '[2]');
bad('categoricalCCE: shapes', () => losses.categoricalCrossentropy(T.m23, T.m34), ShapeError, 'categoricalCrossentropy', '[2,3]', '[3,4]');
bad('categoricalCCE: fromLogits "yes"', () => losses.categoricalCrossentropy(T.m23, T.m23, { fromLogits: 'yes' as any }), ValueError, 'fromLogits', 'string yes');
bad('binaryCE: shapes', () => losses.binaryCrossentropy(T.m23, T.v3), ShapeError, 'binaryCrossentropy', '[2,3]', '[3]');
bad('meanSquaredError: yPred string', () => losses.meanSquaredError('a' as any, T.m23), ValueError, 'meanSquaredError', 'yPred', 'string a');
bad('meanAbsoluteError: yTrue a number', () => losses.meanAbsoluteError(T.m23, 5 as any), ValueError, 'meanAbsoluteError', 'yTrue');
bad('meanSquaredError: empty yPred', () => losses.meanSquaredError(z([0, 3]), z([0, 3])), ShapeError, 'meanSquaredError', 'empty', '[0,3]');
bad('huber: delta 0', () => losses.huber(T.m23, T.m23, { delta: 0 }), ValueError, 'huber', 'delta', '0');
bad('huber: delta NaN', () => losses.huber(T.m23, T.m23, { delta: NaN }), ValueError, 'huber', 'NaN');
bad('hinge: disposed yTrue', () => losses.hinge(T.m23, T.gone), DisposedError, 'hinge: yTrue', '[2,2]');

// ---- optimizers and schedules -------------------------------------------------------------------
bad('sgd: lr NaN', () => optim.sgd({ lr: NaN }), ValueError, 'sgd', 'lr', 'NaN');
bad('sgd: lr missing', () => optim.sgd({} as any), ValueError, 'sgd', 'lr is required');
bad('sgd: lr -0.1', () => optim.sgd({ lr: -0.1 }), ValueError, 'sgd', 'lr', '-0.1');
bad('sgd: lr "0.1"', () => optim.sgd({ lr: '0.1' as any }), ValueError, 'sgd', 'lr', 'string 0.1');
bad('sgd: lr Infinity', () => optim.sgd({ lr: Infinity }), ValueError, 'sgd', 'Infinity');
bad('sgd: nesterov without momentum', () => optim.sgd({ lr: 0.1, nesterov: true }), ValueError, 'sgd', 'nesterov', 'momentum 0');
bad('sgd: learningRate typo', () => optim.sgd({ lr: 0.1, learningRate: 0.1 } as any), ValueError, 'sgd', "unknown option 'learningRate'");
bad('adam: beta1 1', () => optim.adam({ beta1: 1 }), ValueError, 'adam', 'beta1', '1');
bad('adam: beta2 -0.5', () => optim.adam({ beta2: -0.5 }), ValueError, 'adam', 'beta2', '-0.5');
bad('adam: epsilon NaN', () => optim.adam({ epsilon: NaN }), ValueError, 'adam', 'epsilon', 'NaN');
bad('adamw: weightDecay -1', () => optim.adamw({ weightDecay: -1 }), ValueError, 'adamw', 'weightDecay', '-1');
bad('rmsprop: rho 2', () => optim.rmsprop({ rho: 2 }), ValueError, 'rmsprop', 'rho', '2');
bad('adagrad: epsilon -1', () => optim.adagrad({ epsilon: -1 }), ValueError, 'adagrad', 'epsilon', '-1');
bad('adadelta: rho 1.5', () => optim.adadelta({ rho: 1.5 }), ValueError, 'adadelta', 'rho', '1.5');
bad('optimizer: params not tensors', () => optim.sgd({ lr: 0.1 }, [1, 2] as any), ValueError, 'sgd', 'params[0]', 'number 1');
bad('step without params', () => optim.sgd({ lr: 0.1 }).step(), ValueError, 'sgd.step', 'no parameters');
bad('step: gradient of another shape', () => { const p = t([1, 2]).requireGrad(); p.grad = own(keep(tensor([1, 2, 3]))); return optim.sgd({ lr: 0.1 }).step([p]); },
  ShapeError, 'sgd.step', 'gradient [3]', 'parameter [2]');
bad('step: disposed parameter', () => optim.sgd({ lr: 0.1 }).step([T.gone]), DisposedError, 'sgd: params[0]', '[2,2]');
bad('setEpoch(-1)', () => optim.sgd({ lr: 0.1 }).setEpoch(-1), ValueError, 'sgd.setEpoch', '-1');
bad('schedule returning NaN', () => optim.sgd({ lr: () => NaN }), ValueError, 'sgd', 'schedule returned', 'NaN');
bad('cosine: epochs 0', () => optim.schedules.cosine({ initialLr: 0.1, epochs: 0 }), ValueError, 'cosine', 'epochs', '0');
bad('stepDecay: stepSize -1', () => optim.schedules.stepDecay({ initialLr: 0.1, stepSize: -1 }), ValueError, 'stepDecay', 'stepSize', '-1');
bad('exponential: gamma NaN', () => optim.schedules.exponential({ initialLr: 0.1, gamma: NaN }), ValueError, 'exponential', 'gamma', 'NaN');

// ---- data ---------------------------------------------------------------------------------------
bad('batches: sample counts differ', () => data.batches(T.m23, T.v3, 1), ShapeError, 'batches', '[2,3]', '[3]');
bad('batches: batchSize 0', () => data.batches(T.m23, null, 0), ValueError, 'batches', 'batchSize', '0');
bad('batches: batchSize 2.5', () => data.batches(T.m23, null, 2.5), ValueError, 'batches', '2.5');
bad('batches: shuffle "yes"', () => data.batches(T.m23, null, 1, { shuffle: 'yes' as any }), ValueError, 'batches', 'shuffle', '"yes"');
bad('batches: x a number', () => data.batches(3 as any, null, 1), ValueError, 'batches', 'x must be a Tensor');
bad('parseIdx: truncated', () => data.parseIdx(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 1, 2])), FormatError, 'parseIdx', 'truncated', '5 bytes', 'has 2');
bad('parseIdx: bad magic', () => data.parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0])), FormatError, 'parseIdx', 'magic', '0x01020801');
bad('parseIdx: unknown type', () => data.parseIdx(new Uint8Array([0, 0, 0x0a, 1, 0, 0, 0, 0])), FormatError, 'parseIdx', 'type 0x0a');
bad('parseIdx: trailing bytes', () => data.parseIdx(new Uint8Array([...encodeIdx([2], new Uint8Array([1, 2])), 9])), FormatError, 'parseIdx', '1 bytes too many');
bad('parseIdx: a string', () => data.parseIdx('abc' as any), FormatError, 'parseIdx', 'Uint8Array', 'string');
bad('parseIdx: corrupt gzip', () => data.parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])), FormatError, 'parseIdx', 'gzip');
bad('parseIdx: header above maxIdxBytes', () => data.parseIdx(new Uint8Array([0, 0, 8, 2, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 2])), LimitError, 'parseIdx', '4294967306 bytes', 'maxIdxBytes = 1024 MiB');
bad('setLimits: a negative limit', () => setLimits({ maxIdxBytes: -5 }), ValueError, 'setLimits', 'maxIdxBytes', 'positive integer', '-5');
bad('setLimits: an unknown limit', () => setLimits({ maxTensors: 5 } as any), ValueError, 'setLimits', "'maxTensors'", 'maxModelJsonBytes');
bad('fromJSON: model.json text above maxModelJsonBytes', () => { const prev = setLimits({ maxModelJsonBytes: 64 }); try { return Sequential.fromJSON(JSON.stringify(savedJson())); } finally { setLimits(prev); } },
  LimitError, 'load', 'maxModelJsonBytes = 64 bytes');
bad('augment: rank 2', () => data.augment(T.m23, {}), ShapeError, 'augment', 'rank 4', '[2,3]');
bad('augment: padding -1', () => data.augment(T.img1, { randomCrop: { padding: -1 } }), ValueError, 'augment', 'padding', '-1');
bad('augment: unknown option', () => data.augment(T.img1, { rotate: 90 } as any), ValueError, 'augment', "unknown option 'rotate'");
bad('augment: randomCrop.padding 1n', () => data.augment(T.img1, { randomCrop: { padding: 1n as any } }), ValueError, 'augment', 'padding', '1n');
bad('augment: flipHorizontal "yes"', () => data.augment(T.img1, { flipHorizontal: 'yes' as any }), ValueError, 'augment', 'flipHorizontal', '"yes"');
bad('augment: disposed', () => data.augment(T.gone, {}), DisposedError, 'augment: x', '[2,2]', 'disposed');

// ---- io -----------------------------------------------------------------------------------------
bad('load: a number', () => Sequential.load(123 as any), ValueError, 'load', 'number 123');
bad('save: a disposed model', () => { const m = model(); m.dispose(); return m.save(); }, DisposedError, 'save: weight', "'kernel'", '[3,3,1,2]');
bad('predict: a disposed model', () => { const m = model(); m.dispose(); return m.predict(o([1, 5, 5, 1])); }, DisposedError, 'conv2d: weights', "'kernel'");
bad('load: truncated bytes', () => Sequential.load(savedBytes.slice(0, 100)), FormatError, 'load', 'truncated', 'has 100');
bad('load: flipped weight byte (CRC)', () => { const b = savedBytes.slice(); b[b.length - 3] ^= 0x40; return Sequential.load(b); }, FormatError, 'load', 'CRC-32');
bad('load: not a model file', () => Sequential.load(new TextEncoder().encode('hello, this is not a model')), FormatError, 'load', 'not a wasm-cnn model file', '"hell"');
bad('load: trailing bytes', () => Sequential.load(new Uint8Array([...savedBytes, 0])), FormatError, 'load', '1 unexpected trailing bytes');
bad('fromJSON: invalid JSON', () => Sequential.fromJSON('{"format": '), FormatError, 'load', 'not valid JSON');
bad('fromJSON: mismatched weights (filters changed)', () => { const j = savedJson(); j.model.layers[0].config.filters = 1; return Sequential.fromJSON(j, savedWeights()); },
  FormatError, 'does not match', 'conv2d/kernel', '[3,3,1,2]', '[3,3,1,1]');
bad('fromJSON: weights of another model', () => Sequential.fromJSON(savedJson(), otherWeights()), FormatError, 'load', 'weights.bin holds', 'float32 values');
bad('fromJSON: unknown layer class', () => { const j = savedJson(); j.model.layers[0].className = 'Conv3D'; return Sequential.fromJSON(j); }, FormatError, 'invalid layer', '"Conv3D"');
bad('fromJSON: absurd filters, with weights (refused before allocating)', () => { const j = savedJson(); j.model.layers[0].config.filters = 1e9; return Sequential.fromJSON(j, savedWeights()); },
  FormatError, 'load', 'more weight values than weights.bin holds', '[3,3,1,1000000000]');
bad('fromJSON: units grown a little (builds, then the manifest check names the weight)', () => { const j = savedJson(); j.model.layers[2].config.units = 4; return Sequential.fromJSON(j, savedWeights()); },
  FormatError, 'does not match', 'dense/kernel', '[18,3]', '[18,4]');
bad('fromJSON: absurd filters, no weights (refused before allocating)', () => { const j = savedJson(); j.model.layers[0].config.filters = 1e9; return Sequential.fromJSON(j); },
  LimitError, 'load', '37000000003 parameters', 'maxParameterBytes');
bad('fromJSON: inputShape grown (dense kernel far larger than weights.bin)', () => { const j = savedJson(); j.model.inputShape = [2000, 2000, 1]; return Sequential.fromJSON(j, savedWeights()); },
  FormatError, 'load', 'more weight values than weights.bin holds');
bad('fromJSON: weights not bytes', () => Sequential.fromJSON(savedJson(), 'abc' as any), ValueError, 'fromJSON', 'weights');
bad('loadOnnx: junk bytes', () => loadOnnx(new Uint8Array([1, 2, 3, 4, 5])), FormatError, 'loadOnnx', 'protobuf');
bad('loadOnnx: a string', () => loadOnnx('model.onnx' as any), ValueError, 'loadOnnx', 'bytes', 'string');
bad('loadOnnx: truncated', () => loadOnnx(onnxBytes.slice(0, onnxBytes.length - 40)), FormatError, 'loadOnnx');
bad('onnx run: wrong input shape', () => net.predict(o([1, 4, 4, 1])), ShapeError, 'run', "input 'input'", '[1,4,4,1]');
bad('onnx run: unknown feed', () => net.run({ nope: T.img1 }), ValueError, 'run', "'nope'");
bad('onnx run: int32 input', () => net.predict(z([1, 5, 5, 1], 'int32')), ValueError, 'run', 'float32', 'int32');

// ---- graph models ---------------------------------------------------------------------------------
// Built once here (their weights are not part of any case): each case makes only the failing call.
const G = (() => {
  const a = nn.input({ shape: [4, 4, 2] });
  const b = nn.input({ shape: [4, 4, 3] });
  const flat = nn.input({ shape: [6] });
  const conv = nn.conv2d({ filters: 2, kernelSize: 1, name: 'g_conv' }).apply(a);
  const twin = nn.dense({ units: 2, name: 'twin' }).apply(nn.dense({ units: 2, name: 'twin' }).apply(flat));
  const single = new Model({ inputs: a, outputs: conv, name: 'g_single' });
  const pair = new Model({ inputs: [a, b], outputs: nn.concatenate().apply([a, b]), name: 'g_pair' });
  const forked = new Model({ inputs: a, outputs: [conv, a], name: 'g_forked' });
  forked.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  // A cycle cannot be made through layer.apply; nodes linked by hand close one.
  const loopIn: SymbolicTensor[] = [];
  const first = new GraphNode(nn.activation({ activation: 'relu', name: 'loop_a' }), loopIn, [[6]]);
  const second = new GraphNode(nn.activation({ activation: 'relu', name: 'loop_b' }), [first.outputs[0]], [[6]]);
  loopIn.push(second.outputs[0]);
  // A user-defined layer: graph models run it, the ONNX exporter has no emitter for it.
  class Square extends nn.Layer {
    readonly className = 'Square';
    readonly baseName = 'square';
    computeOutputShape(shape: readonly number[]): number[] { return shape.slice(); }
    protected call(x: Tensor): Tensor { return ops.mul(x, x); }
    protected config(): Record<string, unknown> { return {}; }
  }
  const custom = new Model({ inputs: flat, outputs: new Square({ name: 'g_square' }, 'square').apply(flat), name: 'g_custom' });
  return { a, b, flat, conv, twin, single, pair, forked, custom, loop: second.outputs[0] };
})();
bad('merge: add of incompatible shapes', () => nn.add().apply([G.a, G.b]), ShapeError, 'add', '(None, 4, 4, 2)', '(None, 4, 4, 3)');
bad('merge: concatenate mismatch off the axis', () => nn.concatenate({ axis: 1 }).apply([G.a, G.b]), ShapeError, 'concatenate', 'axis 1');
bad('merge: subtract of three inputs', () => nn.subtract().apply([G.a, G.a, G.a]), ValueError, 'subtract', 'exactly 2', '3');
bad('layer: conv2d applied to a rank-2 symbolic tensor', () => nn.conv2d({ filters: 2, kernelSize: 1 }).apply(G.flat), ShapeError, 'conv2d', '(None, 6)');
bad('Model: a cycle', () => new Model({ inputs: G.flat, outputs: G.loop }), ValueError, 'model', 'cycle', "'loop_");
bad('Model: an input not connected to the outputs', () => new Model({ inputs: [G.a, G.flat], outputs: G.conv }), ValueError, 'not connected to the outputs', 'InputLayer');
bad('Model: outputs depend on an input not given', () => new Model({ inputs: G.flat, outputs: G.conv }), ValueError, 'outputs depend on', "not among the model's inputs");
bad('Model: two layers with one name', () => new Model({ inputs: G.flat, outputs: G.twin }), ValueError, "two layers are named 'twin'", 'unique');
bad('Model: inputs not from nn.input', () => new Model({ inputs: G.conv, outputs: G.conv }), ValueError, 'inputs[0]', "'g_conv' (Conv2D)", 'nn.input');
bad('Model: outputs a Tensor', () => new Model({ inputs: G.a, outputs: T.img as any }), ValueError, 'outputs', 'symbolic tensor');
bad('Model: options not an object', () => new Model(3 as any), ValueError, 'Model', '{ inputs, outputs');
bad('Model: unknown option', () => new Model({ inputs: G.a, outputs: G.conv, input: G.a } as any), ValueError, "unknown option 'input'");
bad('Model: one tensor for two inputs', () => G.pair.forward(z([1, 4, 4, 2])), ValueError, 'g_pair.forward', '2 inputs', 'got one tensor');
bad('Model: three tensors for two inputs', () => G.pair.predict([z([1, 4, 4, 2]), z([1, 4, 4, 3]), z([1, 4, 4, 3])]), ValueError, 'g_pair.predict', 'an array of 3');
bad('Model: input of the wrong shape', () => G.single.forward(z([1, 4, 4, 3])), ShapeError, 'g_single.forward', '[1,4,4,3]', '(None, 4, 4, 2)');
bad('Model: inputs with different sample counts', () => G.pair.forward([z([1, 4, 4, 2]), z([2, 4, 4, 3])]), ShapeError, 'g_pair.forward', 'different numbers of samples');
bad('Model: nested model on the wrong shape', () => G.single.apply(G.b), ShapeError, 'g_single', '(None, 4, 4, 2)', '(None, 4, 4, 3)');
bad('Model: trainOnBatch of two outputs given one y', () => G.forked.trainOnBatch(z([2, 4, 4, 2]), z([2, 4, 4, 2])), ValueError, 'g_forked.trainOnBatch', "2 outputs ('g_conv',", 'array of 2 tensors');
bad('Model: trainOnBatch of two outputs given three y', () => G.forked.trainOnBatch(z([2, 4, 4, 2]), [z([2, 4, 4, 2]), z([2, 4, 4, 2]), z([2, 4, 4, 2])]), ValueError, 'g_forked.trainOnBatch', 'array of 2 tensors', 'got an array of 3');
bad('Model: evaluate with y of another sample count', () => G.forked.evaluate(z([2, 4, 4, 2]), [z([2, 4, 4, 2]), z([3, 4, 4, 2])]), ShapeError, 'g_forked.evaluate', "y[1] (output 'input", 'holds 3 samples but x holds 2');
bad('Model: compile with three losses for two outputs', () => G.forked.compile({ optimizer: 'sgd', loss: ['mse', 'mse', 'mse'] }), ValueError, 'g_forked.compile', "'loss'", 'array of 2', 'got an array of 3');
bad('Model: compile with one lossWeight for two outputs', () => G.forked.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1] }), ValueError, 'g_forked.compile', "'lossWeights'", '2 finite numbers', '[1]');
bad('Model: getLayer of an unknown name', () => G.single.getLayer('nope'), ValueError, 'getLayer', "'nope'", 'g_conv');
bad('Model: toOnnx naming two inputs with inputName', () => G.pair.toOnnx({ inputName: 'x' }), ValueError, 'toOnnx', "'g_pair' has 2 inputs", "'inputNames'");
bad('Model: toOnnx with one output name for two outputs', () => G.forked.toOnnx({ outputNames: ['y'] }), ValueError, 'toOnnx', "'outputNames'", 'array of 2', "'g_forked' has 2 outputs");
bad('Model: toOnnx of a graph with a layer that has no ONNX export', () => G.custom.toOnnx(), ValueError, 'toOnnx', "'g_square' (Square)", 'no ONNX export');
bad('input: shape with a zero', () => nn.input({ shape: [4, 0] }), ValueError, 'input', "'shape'", '[4,0]');
bad('input: no options', () => nn.input(undefined as any), ValueError, 'input', '{ shape');
bad('layer: dense given two inputs', () => nn.dense({ units: 2 }).apply([G.flat, G.flat]), ValueError, 'dense', 'expects one input, got 2');
bad('layer: trainable not a boolean', () => { G.single.layers[1].trainable = 'no' as any; }, ValueError, 'g_conv', 'trainable');

// ---- init ---------------------------------------------------------------------------------------
bad('init: threads 0', () => init({ threads: 0 }), ValueError, 'init', 'threads', '0');
bad('init: threads "2"', () => init({ threads: '2' as any }), ValueError, 'init', 'threads', '"2"');
bad('init: simd "fast"', () => init({ simd: 'fast' as any }), ValueError, 'init', 'simd', '"fast"');
bad('init: options a string', () => init('wasm' as any), ValueError, 'init', 'options');
bad('setNumThreads: 2 without a pool', () => setNumThreads(2), ValueError, 'setNumThreads', '1 to 1', 'init({ threads })', '2');
bad('setNumThreads: 0', () => setNumThreads(0), ValueError, 'setNumThreads', '0');
bad('setNumThreads: 1.5', () => setNumThreads(1.5), ValueError, 'setNumThreads', '1.5');
bad('setThreadSpin: -1', () => setThreadSpin(-1), ValueError, 'setThreadSpin', '0 to 1000000', '-1');
bad('setThreadSpin: 0.5', () => setThreadSpin(0.5), ValueError, 'setThreadSpin', '0.5');
bad('setThreadSpin: "100"', () => setThreadSpin('100' as any), ValueError, 'setThreadSpin', '"100"');

errorTable('layers, models, training, io', 150);

// ---- nothing half-updated ---------------------------------------------------------------------------
describe('errors leave nothing half-updated', () => {
  it('an optimizer step failing on the 3rd parameter updates none', () => {
    for (const make of [() => optim.sgd({ lr: 1, momentum: 0.9 }), () => optim.adam({ lr: 1 }), () => optim.rmsprop({ lr: 1 })]) {
      const ps = [tensor([1, 2]).requireGrad(), tensor([3]).requireGrad(), tensor([4, 5, 6]).requireGrad()];
      ps[0].grad = keep(tensor([1, 1]));
      ps[1].grad = keep(tensor([1]));
      ps[2].grad = keep(tensor([1, 1])); // wrong shape
      const opt = make();
      expect(() => opt.step(ps)).toThrow(ShapeError);
      expect(() => opt.step(ps)).toThrow(/parameter 2 of 3/);
      expect(ps.map((p) => Array.from(p.dataSync()))).toEqual([[1, 2], [3], [4, 5, 6]]);
      expect(opt.getState(ps[0])).toBeUndefined(); // no state either: the next valid step is a first step
      expect(opt.iterations).toBe(0);
      // a disposed gradient on the 3rd parameter: DisposedError, nothing updated
      ps[2].grad.dispose();
      expect(() => opt.step(ps)).toThrow(DisposedError);
      expect(() => opt.step(ps)).toThrow(/gradient of parameter 2/);
      expect(ps.map((p) => Array.from(p.dataSync()))).toEqual([[1, 2], [3], [4, 5, 6]]);
      // a disposed 3rd parameter (bound list): DisposedError, nothing updated
      ps[2].grad = keep(tensor([1, 1, 1]));
      const bound = make().bind(ps);
      const p2 = ps[2];
      p2.dispose();
      expect(() => bound.step()).toThrow(DisposedError);
      expect(ps.slice(0, 2).map((p) => Array.from(p.dataSync()))).toEqual([[1, 2], [3]]);
      // then valid: updates happen
      opt.step(ps.slice(0, 2));
      expect(ps[0].dataSync()[0]).not.toBe(1);
      for (const p of ps) { p.zeroGrad(); p.dispose(); }
      opt.dispose(); bound.dispose();
    }
  });

  it('a fit that throws midway keeps the model usable (weights finite, evaluate / fit work after)', async () => {
    setSeed(3);
    const m = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }), nn.batchNorm(), nn.flatten(), nn.dense({ units: 2 })], { inputShape: [5, 5, 1] });
    m.compile({ optimizer: optim.adam({ lr: 0.01 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
    const x = randn([16, 5, 5, 1]);
    const y = tensor(new Int32Array(16).map((_, i) => i % 2), [16], 'int32');
    const before = live();
    let calls = 0;
    await expect(m.fit(x, y, {
      verbose: 0, batchSize: 4, epochs: 2,
      augment: (xb) => (++calls === 3 ? ops.slice(xb, [0], [1]) : xb),
    })).rejects.toThrow(ShapeError);
    // Two steps ran before the failing third batch: only Adam's state (2 buffers x 6 parameters) is new.
    expect(live()).toBe(before + 2 * 6);
    for (const w of m.weights()) expect(Array.from(w.dataSync()).every(Number.isFinite)).toBe(true);
    // and a callback that throws
    await expect(m.fit(x, y, { verbose: 0, batchSize: 4, onBatchEnd: () => { throw new Error('stop here'); } })).rejects.toThrow('stop here');
    const r = m.evaluate(x, y);
    expect(Number.isFinite(r.loss)).toBe(true);
    const h = await m.fit(x, y, { verbose: 0, batchSize: 4, epochs: 2 });
    expect(h.loss.every(Number.isFinite)).toBe(true);
    m.dispose(); x.dispose(); y.dispose();
  });

  it('Sequential.add of a layer that does not fit leaves the model as it was', () => {
    const m = new Sequential([nn.flatten(), nn.dense({ units: 3 })], { inputShape: [4, 4, 1] });
    const n = live();
    expect(() => m.add(nn.conv2d({ filters: 2, kernelSize: 3 }))).toThrow(ShapeError);
    expect(m.layers.length).toBe(2);
    expect(m.built).toBe(true);
    expect(live()).toBe(n);
    const p = m.predict(ones([2, 4, 4, 1]));
    expect(p.shape).toEqual([2, 3]);
    m.add(nn.dense({ units: 2 })); // a fitting layer still goes in
    expect(m.outputShape).toEqual([2]);
    p.dispose(); m.dispose();
  });

  it('a failed load leaves no partial model (no tensors, and the RNG stream untouched)', async () => {
    const n = live();
    const j = savedJson();
    j.model.layers[2].config.units = 4; // dense: manifest mismatch after conv/flatten were built
    setSeed(5);
    expect(() => Sequential.fromJSON(j, savedWeights())).toThrow(FormatError);
    const a = tidy(() => randu([4]).dataSync());
    expect(live()).toBe(n);
    setSeed(5);
    const b = tidy(() => randu([4]).dataSync());
    expect(Array.from(a)).toEqual(Array.from(b));
    const bad = savedBytes.slice();
    bad[bad.length - 1] ^= 1;
    await expect(Sequential.load(bad)).rejects.toThrow(FormatError);
    expect(live()).toBe(n);
    const ok = await Sequential.load(savedBytes);
    expect(ok.predict(ones([1, 5, 5, 1])).shape).toEqual([1, 3]);
    ok.dispose();
  });

  it('init with bad options after init throws and leaves the backend working', async () => {
    await expect(init({ threads: -1 })).rejects.toThrow(ValueError);
    await init(); // idempotent
    validAfter();
  });
});
