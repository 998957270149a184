// Misuse of the training extras (API.md "Errors"): clipping options of every optimizer, label
// smoothing, regularisers (as options and in a saved model.json) and the warm-up / one-cycle
// schedules, each a ValueError (FormatError for a file) at construction, in the table of
// test/harness/error-table.ts.
import { Sequential, Model, nn, losses, optim, tensor, ValueError, FormatError } from '../src/index.js';
import { bad, errorTable, model, own, savedJson, savedWeights } from './harness/error-table.js';

const make = optim as unknown as Record<string, (o: unknown) => optim.Optimizer>;
const sgdLr = (name: string) => (name === 'sgd' ? { lr: 0.1 } : {});

// ---- clipNorm / clipValue on every optimizer --------------------------------------------------
for (const name of ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta']) {
  bad(`${name}: clipNorm 0`, () => make[name]({ ...sgdLr(name), clipNorm: 0 }), ValueError, name, 'clipNorm', '(0, inf)', 'got 0');
  bad(`${name}: clipValue -1`, () => make[name]({ ...sgdLr(name), clipValue: -1 }), ValueError, name, 'clipValue', '-1');
}
bad('sgd: clipNorm NaN', () => optim.sgd({ lr: 0.1, clipNorm: NaN }), ValueError, 'sgd', 'clipNorm', 'NaN');
bad('sgd: clipNorm Infinity', () => optim.sgd({ lr: 0.1, clipNorm: Infinity }), ValueError, 'sgd', 'clipNorm', 'Infinity');
bad('sgd: clipNorm "1"', () => optim.sgd({ lr: 0.1, clipNorm: '1' as any }), ValueError, 'sgd', 'clipNorm', 'string');
bad('adam: clipValue NaN', () => optim.adam({ clipValue: NaN }), ValueError, 'adam', 'clipValue', 'NaN');
bad('adam: clipValue -Infinity', () => optim.adam({ clipValue: -Infinity }), ValueError, 'adam', 'clipValue', '-Infinity');
bad('adam: clipValue 0', () => optim.adam({ clipValue: 0 }), ValueError, 'adam', 'clipValue', 'got 0');
bad('adam: clipnorm typo', () => optim.adam({ clipnorm: 1 } as any), ValueError, 'adam', "unknown option 'clipnorm'", 'clipNorm');
bad('compile: optimizer config clipNorm -1', () => model({ compile: false }).compile({ optimizer: { name: 'adam', clipNorm: -1 }, loss: 'mse' }),
  ValueError, 'compile', 'adam', 'clipNorm', '-1');
bad('fromConfig: clipValue 0', () => optim.fromConfig({ name: 'rmsprop', clipValue: 0 }), ValueError, 'rmsprop', 'clipValue');

// ---- label smoothing ----------------------------------------------------------------------------
const logits = () => own(tensor([[1, 2, 3], [0, 1, -1]]));
const labels = () => own(tensor(new Int32Array([2, 0]), [2], 'int32'));
const onehot = () => own(tensor([[0, 0, 1], [1, 0, 0]]));
for (const [ls, frag] of [[1, 'got number 1'], [-0.1, '-0.1'], [NaN, 'NaN'], [1.5, '1.5'], ['0.1', 'string']] as const) {
  bad(`sparseCategoricalCrossentropy: labelSmoothing ${String(ls)}`, () => losses.sparseCategoricalCrossentropy(logits(), labels(), { fromLogits: true, labelSmoothing: ls as number }),
    ValueError, 'sparseCategoricalCrossentropy', 'labelSmoothing', '[0, 1)', frag);
  bad(`categoricalCrossentropy: labelSmoothing ${String(ls)}`, () => losses.categoricalCrossentropy(logits(), onehot(), { labelSmoothing: ls as number }),
    ValueError, 'categoricalCrossentropy', 'labelSmoothing', frag);
}
bad('getLoss: labelSmoothing on binaryCrossentropy', () => losses.getLoss({ name: 'binaryCrossentropy', labelSmoothing: 0.1 }),
  ValueError, 'binaryCrossentropy', "no option 'labelSmoothing'");
bad('getLoss: labelSmoothing 1', () => losses.getLoss({ name: 'categoricalCrossentropy', labelSmoothing: 1 }), ValueError, 'categoricalCrossentropy', 'labelSmoothing', '1');
bad('compile: labelSmoothing -1', () => model({ compile: false }).compile({ optimizer: 'sgd', loss: { name: 'sparseCategoricalCrossentropy', labelSmoothing: -1 } }),
  ValueError, 'compile', 'labelSmoothing', '-1');

// ---- regularisers -------------------------------------------------------------------------------
bad('regularizers.l1(-1)', () => nn.regularizers.l1(-1), ValueError, 'regularizers.l1', '>= 0', '-1');
bad('regularizers.l2(NaN)', () => nn.regularizers.l2(NaN), ValueError, 'regularizers.l2', 'NaN');
bad('regularizers.l2(Infinity)', () => nn.regularizers.l2(Infinity), ValueError, 'regularizers.l2', 'Infinity');
bad('regularizers.l2("0.1")', () => nn.regularizers.l2('0.1' as any), ValueError, 'regularizers.l2', '"0.1"');
bad('regularizers.l1l2({ l1: -1 })', () => nn.regularizers.l1l2({ l1: -1 }), ValueError, 'regularizers.l1l2', 'l1', '-1');
bad('regularizers.l1l2({ l2: NaN })', () => nn.regularizers.l1l2({ l2: NaN }), ValueError, 'regularizers.l1l2', 'l2', 'NaN');
bad('regularizers.l1l2({ l3 })', () => nn.regularizers.l1l2({ l3: 1 } as any), ValueError, 'regularizers.l1l2', "unknown option 'l3'");
bad('regularizers.l1l2(5)', () => nn.regularizers.l1l2(5 as any), ValueError, 'regularizers.l1l2', '5');
bad('dense: kernelRegularizer "l3"', () => nn.dense({ units: 2, kernelRegularizer: 'l3' as any }), ValueError, 'dense', "'kernelRegularizer'", '"l3"');
bad('dense: kernelRegularizer className L3', () => nn.dense({ units: 2, kernelRegularizer: { className: 'L3', config: {} } as any }),
  ValueError, 'dense', "'kernelRegularizer'", 'L3');
bad('dense: kernelRegularizer L2 with l1', () => nn.dense({ units: 2, kernelRegularizer: { className: 'L2', config: { l1: 0.1 } } as any }),
  ValueError, 'dense', 'L2', "no option 'l1'");
bad('conv2d: biasRegularizer L2 l2 -1', () => nn.conv2d({ filters: 2, kernelSize: 3, biasRegularizer: { className: 'L2', config: { l2: -1 } } }),
  ValueError, 'conv2d', "'biasRegularizer'", 'l2', '-1');
bad('conv1d: biasRegularizer 5', () => nn.conv1d({ filters: 2, kernelSize: 3, biasRegularizer: 5 as any }), ValueError, 'conv1d', "'biasRegularizer'", '5');
bad('separableConv2d: kernelRegularizer config null', () => nn.separableConv2d({ filters: 2, kernelSize: 3, kernelRegularizer: { className: 'L1', config: null } as any }),
  ValueError, 'separableConv2d', "'kernelRegularizer'", 'config');
bad('maxPool2d: kernelRegularizer (no kernel)', () => nn.maxPool2d({ kernelRegularizer: 'l2' } as any), ValueError, 'maxPool2d', "unknown option 'kernelRegularizer'");
bad('load: model.json with a bad regulariser', () => {
  const j = savedJson();
  j.model.layers[0].config.kernelRegularizer = { className: 'L2', config: { l2: 'x' } };
  return Sequential.fromJSON(j, savedWeights());
}, FormatError, 'kernelRegularizer', 'l2');
bad('load (Model): model.json with an unknown regulariser', () => {
  const j = savedJson();
  j.model.layers[2].config.biasRegularizer = { className: 'Orthogonal' };
  return Model.fromJSON(j, savedWeights());
}, FormatError, 'biasRegularizer', 'Orthogonal');

// ---- warmup / oneCycle --------------------------------------------------------------------------
const cos = () => optim.schedules.cosine({ initialLr: 0.1, totalSteps: 10 });
bad('warmup: steps 0', () => optim.schedules.warmup(cos(), 0), ValueError, 'warmup', 'steps', '0');
bad('warmup: steps 2.5', () => optim.schedules.warmup(cos(), 2.5), ValueError, 'warmup', 'steps', 'integer', '2.5');
bad('warmup: steps NaN', () => optim.schedules.warmup(cos(), NaN), ValueError, 'warmup', 'steps', 'NaN');
bad('warmup: steps missing', () => (optim.schedules.warmup as any)(cos()), ValueError, 'warmup', 'steps', 'undefined');
bad('warmup: schedule "cosine"', () => optim.schedules.warmup('cosine' as any, 3), ValueError, 'warmup', 'schedule', 'string');
bad('warmup: constant rate -0.1', () => optim.schedules.warmup(-0.1, 3), ValueError, 'warmup', 'constant rate', '-0.1');
bad('warmup: startFactor 0', () => optim.schedules.warmup(cos(), 3, { startFactor: 0 }), ValueError, 'warmup', 'startFactor', '(0, 1]', 'got 0');
bad('warmup: startFactor 1.5', () => optim.schedules.warmup(cos(), 3, { startFactor: 1.5 }), ValueError, 'warmup', 'startFactor', '1.5');
bad('warmup: unknown option', () => optim.schedules.warmup(cos(), 3, { start: 0.1 } as any), ValueError, 'warmup', "unknown option 'start'");
bad('oneCycle: no options', () => (optim.schedules.oneCycle as any)(), ValueError, 'oneCycle', 'required');
bad('oneCycle: maxLr missing', () => optim.schedules.oneCycle({ totalSteps: 10 } as any), ValueError, 'oneCycle', 'maxLr', 'undefined');
bad('oneCycle: maxLr -1', () => optim.schedules.oneCycle({ maxLr: -1, totalSteps: 10 }), ValueError, 'oneCycle', 'maxLr', '-1');
bad('oneCycle: totalSteps 0', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 0 }), ValueError, 'oneCycle', 'totalSteps', '0');
bad('oneCycle: totalSteps 12.5', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 12.5 }), ValueError, 'oneCycle', 'totalSteps', '12.5');
bad('oneCycle: pctStart 0', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 10, pctStart: 0 }), ValueError, 'oneCycle', 'pctStart', '(0, 1)');
bad('oneCycle: pctStart 1', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 10, pctStart: 1 }), ValueError, 'oneCycle', 'pctStart', 'got 1');
bad('oneCycle: divFactor 0', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 10, divFactor: 0 }), ValueError, 'oneCycle', 'divFactor', '0');
bad('oneCycle: finalDivFactor -5', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 10, finalDivFactor: -5 }), ValueError, 'oneCycle', 'finalDivFactor', '-5');
bad('oneCycle: a phase without steps', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 3 }), ValueError, 'oneCycle', 'pctStart 0.3', 'totalSteps 3', 'without steps');
bad('oneCycle: unknown option', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 10, anneal: 'linear' } as any), ValueError, 'oneCycle', "unknown option 'anneal'");
bad('oneCycle: schedule at epoch -1', () => optim.schedules.oneCycle({ maxLr: 0.1, totalSteps: 10 })(-1), ValueError, 'oneCycle', 'epoch', '-1');

errorTable('training extras', 70);
