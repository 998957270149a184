// Bad input for resumable training (the error table of test/harness/error-table.ts): save options,
// checkpoints whose optimizer section does not match the model or its optimizer (FormatError
// naming what differs, the model freed, the random generator untouched), and loadStateDict misuse.
import { expect, it } from 'vitest';
import { tensor, randn, setSeed, nn, optim, Sequential, Model, ValueError, ShapeError, FormatError } from '../src/index.js';
import { bad, errorTable, own, model } from './harness/error-table.js';

// A checkpoint of a tiny compiled model after one SGD + momentum step, as JSON and weights.bin.
setSeed(21);
const source = new Sequential([nn.conv2d({ filters: 2, kernelSize: 3 }), nn.flatten(), nn.dense({ units: 3 })], { inputShape: [5, 5, 1] });
source.compile({ optimizer: optim.sgd({ lr: 0.1, momentum: 0.9 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
{
  const x = randn([2, 5, 5, 1]);
  const y = tensor(new Int32Array([0, 2]), [2], 'int32');
  source.trainOnBatch(x, y);
  x.dispose(); y.dispose();
}
const packed = await source.save(undefined, { includeOptimizer: true });
source.dispose();
const jsonLength = new DataView(packed.buffer, packed.byteOffset).getUint32(8, true);
const checkpointJson = (): any => JSON.parse(new TextDecoder().decode(packed.subarray(16, 16 + jsonLength)));
const checkpointWeights = packed.subarray(16 + jsonLength + ((4 - (jsonLength % 4)) % 4));
const loadEdited = (edit: (j: any) => void) => { const j = checkpointJson(); edit(j); return Model.fromJSON(j, checkpointWeights); };

bad('save: includeOptimizer on a model not compiled', () => model({ compile: false }).save(undefined, { includeOptimizer: true }), ValueError, 'save', 'includeOptimizer', 'not compiled');
bad('save: includeOptimizer with a loss function', () => {
  const m = model({ compile: false });
  m.compile({ optimizer: optim.sgd({ lr: 0.1 }), loss: (p) => p.mean() });
  return m.save(undefined, { includeOptimizer: true });
}, ValueError, 'save', 'includeOptimizer', 'loss is a function');
bad('save: includeOptimizer with a custom schedule', () => {
  const m = model({ compile: false });
  m.compile({ optimizer: optim.sgd({ lr: (e: number) => 0.1 / (1 + e) }), loss: 'sparseCategoricalCrossentropy' });
  return m.save(undefined, { includeOptimizer: true });
}, ValueError, 'save', 'includeOptimizer', "optimizer's config", 'custom learning-rate schedule');
bad('save: includeOptimizer with a warm-up around a custom schedule', () => {
  const m = model({ compile: false });
  m.compile({ optimizer: optim.sgd({ lr: optim.schedules.warmup((e: number) => 0.1 / (1 + e), 2) }), loss: 'sparseCategoricalCrossentropy' });
  return m.save(undefined, { includeOptimizer: true });
}, ValueError, 'save', 'includeOptimizer', 'rebuilt from its config');
bad('save: includeOptimizer "yes"', () => model().save(undefined, { includeOptimizer: 'yes' as any }), ValueError, 'save', 'includeOptimizer', '"yes"');
bad('save: unknown option', () => model().save(undefined, { includeOptimiser: true } as any), ValueError, 'save', "unknown option 'includeOptimiser'");

bad('checkpoint: optimizer state of another optimizer kind', () => loadEdited((j) => { j.trainingState.optimizer.name = 'adam'; }),
  FormatError, 'load', "'adam'", "training.optimizer is 'sgd'");
bad('checkpoint: optimizer without the saved buffers (momentum 0)', () => loadEdited((j) => { j.training.optimizer.momentum = 0; }),
  FormatError, 'load', '"conv2d/kernel"', '[momentumBuffer]', '"momentum":0', 'keeps []');
bad('checkpoint: state for a parameter the model lacks', () => loadEdited((j) => { j.trainingState.optimizer.params[2].name = 'head/kernel'; }),
  FormatError, 'load', '"head/kernel"', 'does not have', 'dense/kernel');
bad('checkpoint: state of another shape', () => loadEdited((j) => { j.trainingState.optimizer.params[3].shape = [1, 3]; }),
  FormatError, 'load', '"dense/bias"', '[1,3]', '[3]');
bad('checkpoint: a parameter listed twice', () => loadEdited((j) => { j.trainingState.optimizer.params[1].name = 'conv2d/kernel'; }),
  FormatError, 'load', '"conv2d/kernel"', 'twice');
bad('checkpoint: section version 9', () => loadEdited((j) => { j.trainingState.version = 9; }), FormatError, 'trainingState', 'version 9');
bad('checkpoint: formatVersion 2 without trainingState', () => loadEdited((j) => { delete j.trainingState; }), FormatError, 'format version 2', 'no trainingState');
bad('checkpoint: trainingState in a formatVersion 1 file', () => loadEdited((j) => { j.formatVersion = 1; }), FormatError, 'trainingState', 'needs format version 2');
bad('checkpoint: floats disagree with the buffers', () => loadEdited((j) => { j.trainingState.floats += 1; }), FormatError, 'trainingState', 'floats');
bad('checkpoint: random state all zero', () => loadEdited((j) => { j.trainingState.random = [0, 0, 0, 0]; }), FormatError, 'trainingState', 'random', '[0,0,0,0]');
bad('checkpoint: negative epoch', () => loadEdited((j) => { j.trainingState.epoch = -1; }), FormatError, 'trainingState', 'epoch', '-1');
bad('checkpoint: no training section', () => loadEdited((j) => { delete j.training; }), FormatError, 'load', 'no training section');
bad('checkpoint: weights.bin without the optimizer buffers', () => Model.fromJSON(checkpointJson(), own(Sequential.fromJSON(checkpointJson())).weightsBytes()),
  FormatError, 'load', 'weights.bin holds');

const params = () => [own(tensor([1, 2, 3]).requireGrad()), own(tensor([4, 5]).requireGrad())];
const sgdState = () => ({ name: 'sgd', iterations: 1, epoch: 0, params: [{ step: 1, buffers: { momentumBuffer: new Float32Array(3) } }, null] });
bad('loadStateDict: state of another optimizer', () => optim.adam({}, params()).loadStateDict(sgdState()), ValueError, 'adam.loadStateDict', "'sgd'", "not 'adam'");
bad('loadStateDict: fewer parameters than entries', () => optim.sgd({ lr: 0.1, momentum: 0.9 }, params().slice(0, 1)).loadStateDict(sgdState()),
  ValueError, 'sgd.loadStateDict', '2 parameter entries', '1 parameters');
bad('loadStateDict: buffer of the wrong size', () => {
  const s = sgdState(); s.params[0]!.buffers.momentumBuffer = new Float32Array(4);
  return optim.sgd({ lr: 0.1, momentum: 0.9 }, params()).loadStateDict(s);
}, ShapeError, 'sgd.loadStateDict', 'momentumBuffer', '[3]', 'holds 4', 'expected 3');
bad('loadStateDict: negative step', () => { const s = sgdState(); s.params[0]!.step = -2; return optim.sgd({ lr: 0.1, momentum: 0.9 }, params()).loadStateDict(s); },
  ValueError, 'sgd.loadStateDict', 'step', '-2');

errorTable('resumable training', 20);

it('a checkpoint that fails to load leaves the random generator as it was', () => {
  setSeed(77);
  const want = randn([4]).dataSync();
  setSeed(77);
  expect(() => loadEdited((j) => { j.trainingState.optimizer.params[3].shape = [1, 3]; })).toThrow(FormatError);
  expect(randn([4]).dataSync()).toEqual(want);
});
