// Misuse of data.augment's pixel options in the table of test/harness/error-table.ts.
import { data, nn, ShapeError, ValueError, DisposedError } from '../src/index.js';
import { T, bad, errorTable, z } from './harness/error-table.js';

const img = () => z([2, 6, 6, 3]);
bad('augment: rotation -5', () => data.augment(img(), { rotation: -5 }), ValueError, 'augment', 'rotation (degrees)', '[0, 180]', '-5');
bad('augment: zoom 1', () => data.augment(img(), { zoom: 1 }), ValueError, 'augment', 'zoom', '[0, 1)', '1');
bad('augment: brightness Infinity', () => data.augment(img(), { brightness: Infinity }), ValueError, 'augment', 'brightness', 'Infinity');
bad('augment: contrast 2', () => data.augment(img(), { contrast: 2 }), ValueError, 'augment', 'contrast', '[0, 1]', '2');
bad('augment: cutout size 0', () => data.augment(img(), { cutout: { size: 0 } }), ValueError, 'augment', 'cutout.size', 'positive integer');
bad('augment: cutout a number', () => data.augment(img(), { cutout: 3 as any }), ValueError, 'augment', 'cutout.size', 'undefined');
bad('augment: valueRange reversed', () => data.augment(img(), { valueRange: [1, 0] }), ValueError, 'augment', 'valueRange', 'low < high');
bad('augment: rotation of an [H, W, C] image', () => data.augment(z([6, 6, 3]), { rotation: 10 }), ShapeError, 'augment', 'rank 4', '[6,6,3]');
bad('augment: disposed', () => data.augment(T.gone, { zoom: 0.1 }), DisposedError, 'augment');


// ---- preprocessing layers ------------------------------------------------------------------
bad('randomFlip: mode diagonal', () => nn.randomFlip({ mode: 'diagonal' as any }), ValueError, 'randomFlip', "'mode'", 'diagonal');
bad('randomRotation: no factor', () => nn.randomRotation({} as any), ValueError, 'randomRotation', "'factor' is required");
bad('randomRotation: factor 0.6', () => nn.randomRotation({ factor: 0.6 }), ValueError, 'randomRotation', '[0, 0.5]', '0.6');
bad('randomZoom: heightFactor 1', () => nn.randomZoom({ heightFactor: 1 }), ValueError, 'randomZoom', 'heightFactor', '[0, 1)');
bad('randomContrast: unknown option', () => nn.randomContrast({ factor: 0.1, lower: 0 } as any), ValueError, 'randomContrast', "'lower'");
bad('randomBrightness: valueRange [1, 1]', () => nn.randomBrightness({ factor: 0.1, valueRange: [1, 1] }), ValueError, 'randomBrightness', 'valueRange', 'low < high');
bad('randomRotation: rank-3 input', () => nn.randomRotation({ factor: 0.1 }).apply(z([4, 4, 1]), { training: true }), ShapeError, 'random_rotation');

errorTable('augment', 16);
