// Misuse of the training extras in the table of test/harness/error-table.ts: the callbacks' options
// (ValueError at construction), monitors fit does not log, classWeight / sampleWeight, compile's
// metrics and model.confusionMatrix.
import { callbacks, nn, Model, ShapeError, ValueError } from '../src/index.js';
import { T, bad, errorTable, t, z, o, model } from './harness/error-table.js';

// ---- callbacks: construction ------------------------------------------------------------------
bad('earlyStopping: patience -1', () => callbacks.earlyStopping({ patience: -1 }), ValueError, 'earlyStopping', "'patience'", '-1');
bad('earlyStopping: patience 1.5', () => callbacks.earlyStopping({ patience: 1.5 }), ValueError, 'earlyStopping', "'patience'", '1.5');
bad('earlyStopping: minDelta -0.1', () => callbacks.earlyStopping({ minDelta: -0.1 }), ValueError, 'earlyStopping', 'minDelta', '-0.1');
bad('earlyStopping: mode "up"', () => callbacks.earlyStopping({ mode: 'up' as any }), ValueError, 'earlyStopping', "'mode'", '"up"');
bad('earlyStopping: monitor "valLos"', () => callbacks.earlyStopping({ monitor: 'valLos' }), ValueError, 'earlyStopping', 'unknown monitor "valLos"');
bad('earlyStopping: monitor 5', () => callbacks.earlyStopping({ monitor: 5 as any }), ValueError, 'earlyStopping', "'monitor'", '5');
bad('earlyStopping: baseline NaN', () => callbacks.earlyStopping({ baseline: NaN }), ValueError, 'earlyStopping', "'baseline'", 'NaN');
bad('earlyStopping: restoreBestWeights "yes"', () => callbacks.earlyStopping({ restoreBestWeights: 'yes' as any }), ValueError, 'earlyStopping', 'restoreBestWeights', 'string yes');
bad('earlyStopping: unknown option', () => callbacks.earlyStopping({ patients: 3 } as any), ValueError, 'earlyStopping', "unknown option 'patients'");
bad('reduceLROnPlateau: factor 1', () => callbacks.reduceLROnPlateau({ factor: 1 }), ValueError, 'reduceLROnPlateau', 'factor', '1');
bad('reduceLROnPlateau: factor -0.5', () => callbacks.reduceLROnPlateau({ factor: -0.5 }), ValueError, 'reduceLROnPlateau', 'factor', '-0.5');
bad('reduceLROnPlateau: patience -2', () => callbacks.reduceLROnPlateau({ patience: -2 }), ValueError, 'reduceLROnPlateau', "'patience'", '-2');
bad('reduceLROnPlateau: cooldown 0.5', () => callbacks.reduceLROnPlateau({ cooldown: 0.5 }), ValueError, 'reduceLROnPlateau', "'cooldown'", '0.5');
bad('reduceLROnPlateau: minLr -1', () => callbacks.reduceLROnPlateau({ minLr: -1 }), ValueError, 'reduceLROnPlateau', 'minLr', '-1');
bad('reduceLROnPlateau: monitor "lr"', () => callbacks.reduceLROnPlateau({ monitor: 'lr' }), ValueError, 'reduceLROnPlateau', 'unknown monitor "lr"');
bad('modelCheckpoint: no options', () => callbacks.modelCheckpoint(undefined as any), ValueError, 'modelCheckpoint', 'path');
bad('modelCheckpoint: path ""', () => callbacks.modelCheckpoint({ path: '' }), ValueError, 'modelCheckpoint', "'path'", '""');
bad('modelCheckpoint: path 5', () => callbacks.modelCheckpoint({ path: 5 as any }), ValueError, 'modelCheckpoint', "'path'", '5');
bad('modelCheckpoint: placeholder {epoch:x}', () => callbacks.modelCheckpoint({ path: 'ck/{epoch:x}' }), ValueError, 'modelCheckpoint', '{epoch:x}');
bad('modelCheckpoint: saveBestOnly "yes"', () => callbacks.modelCheckpoint({ path: 'ck', saveBestOnly: 'yes' as any }), ValueError, 'modelCheckpoint', 'saveBestOnly', 'string yes');
bad('modelCheckpoint: includeOptimizer 1', () => callbacks.modelCheckpoint({ path: 'ck', includeOptimizer: 1 as any }), ValueError, 'modelCheckpoint', 'includeOptimizer', 'number 1');
bad('modelCheckpoint: monitor "val-loss"', () => callbacks.modelCheckpoint({ path: 'ck', monitor: 'val-loss' }), ValueError, 'modelCheckpoint', 'unknown monitor "val-loss"');

// ---- callbacks: monitors fit does not log (at the first epoch's end) ---------------------------
bad('fit: earlyStopping on valLoss without validation', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, callbacks: [callbacks.earlyStopping()] }),
  ValueError, "earlyStopping: monitor 'valLoss' is not in the epoch's logs", 'available: loss, accuracy');
bad('fit: modelCheckpoint placeholder without a log value', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, callbacks: [callbacks.modelCheckpoint({ path: 'ck-{valF1}' })] }),
  ValueError, 'modelCheckpoint', '{valF1}', 'available: epoch, loss, accuracy');

// ---- classWeight / sampleWeight -----------------------------------------------------------------
bad('fit: classWeight label 3 of 3 classes', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, classWeight: { 3: 1 } }), ValueError, 'classWeight', "label '3'", '3 classes');
bad('fit: classWeight label "a"', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, classWeight: { a: 1 } as any }), ValueError, 'classWeight', "label 'a'");
bad('fit: classWeight negative', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, classWeight: { 1: -2 } }), ValueError, 'classWeight of label 1', '-2');
bad('fit: classWeight an array', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, classWeight: [1, 2] as any }), ValueError, "'classWeight'", '{ [label]: weight }');
bad('fit: sampleWeight wrong length', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, sampleWeight: t([1, 2, 3]) }), ShapeError, "'sampleWeight'", '[2]', '[3]');
bad('fit: sampleWeight negative', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, sampleWeight: t([1, -1]) }), ValueError, "'sampleWeight'", '-1 at index 1');
bad('fit: sampleWeight NaN', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, sampleWeight: t([NaN, 1]) }), ValueError, "'sampleWeight'", 'NaN at index 0');
bad('fit: sampleWeight an array', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, sampleWeight: [1, 1] as any }), ValueError, "'sampleWeight'", 'Tensor');
bad('fit: classWeight and sampleWeight', () => model().fit(o([2, 5, 5, 1]), T.i32, { verbose: 0, classWeight: { 0: 1 }, sampleWeight: t([1, 1]) }), ValueError, 'classWeight or sampleWeight, not both');
bad('fit: classWeight on two outputs', () => {
  const input = nn.input({ shape: [2] });
  const m = new Model({ inputs: input, outputs: [nn.dense({ units: 2, name: 'p' }).apply(input), nn.dense({ units: 2, name: 'q' }).apply(input)] });
  m.compile({ optimizer: 'sgd', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true } });
  return m.fit(o([2, 2]), [T.i32, T.i32], { verbose: 0, classWeight: { 0: 2 } }).finally(() => m.dispose());
}, ValueError, 'classWeight is for a model with one output', 'sampleWeight');

// ---- metrics and confusionMatrix ------------------------------------------------------------------
bad('compile: metric topK:0', () => model({ compile: false }).compile({ optimizer: 'sgd', loss: 'mse', metrics: ['topK:0'] }), ValueError, 'compile', '"topK:0"', "'topK:k'");
bad('compile: metric "auc"', () => model({ compile: false }).compile({ optimizer: 'sgd', loss: 'mse', metrics: ['auc'] }), ValueError, 'compile', 'unknown metric "auc"', "'f1'");
bad('evaluate: topK on one output unit', () => {
  const m = model({ units: 1, compile: false });
  m.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['topK:2'] });
  return m.evaluate(o([2, 5, 5, 1]), z([2, 1]));
}, ShapeError, 'topK:2', '[2,1]');
bad('confusionMatrix: label out of range', () => model().confusionMatrix(o([2, 5, 5, 1]), t(new Int32Array([0, 3]), [2], 'int32')), ValueError, 'confusionMatrix', 'label 3 at index 1');
bad('confusionMatrix: output 2 of 1', () => model().confusionMatrix(o([2, 5, 5, 1]), T.i32, { output: 2 }), ValueError, 'confusionMatrix', "'output'", '2');
bad('confusionMatrix: batchSize 0', () => model().confusionMatrix(o([2, 5, 5, 1]), T.i32, { batchSize: 0 }), ValueError, 'confusionMatrix', 'batchSize', '0');
bad('confusionMatrix: y of 3 samples for 2', () => model().confusionMatrix(o([2, 5, 5, 1]), t(new Int32Array([0, 1, 2]), [3], 'int32')), ShapeError, 'confusionMatrix', '[3]');

errorTable('callbacks, metrics and sample weights', 40);
