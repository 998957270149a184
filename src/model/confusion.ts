// model.confusionMatrix(x, y): predictions in batches (inference mode), each batch added by the
// kernel to one int32 matrix [C, C], rows the true class and columns the predicted class.
import { Tensor, tidy, noGrad } from '../tensor.js';
import { zeros } from '../creation.js';
import { ValueError, fmtValue } from '../errors.js';
import { checkBatchSize, takeRows } from '../data/batches.js';
import { accumulateConfusion } from './metrics.js';
import { checkInput, checkLabels, checkXs, sampleCount, takeInputRows, type ModelInput } from './inputs.js';
import type { Compiled } from './compile.js';
import type { Model } from './model.js';

export interface ConfusionOptions {
  batchSize?: number;
  /** Which output, by index or layer name, for a model with several (default the first). */
  output?: number | string;
  /** Where a single output unit turns positive (default 0 when the compiled loss takes logits, else 0.5). */
  threshold?: number;
}

/** The confusion matrix of the model's predictions on x against y: int32 [C, C] (C = 2 for one output unit). */
export function confusionMatrix(model: Model, compiled: Compiled | null, x: ModelInput, y: Tensor, options: ConfusionOptions = {}): Tensor {
  const where = `${model.name}.confusionMatrix`;
  checkXs(where, model, x, y, false);
  checkInput(model, x, 'confusionMatrix');
  const o = options ?? {};
  const batchSize = checkBatchSize(where, o.batchSize ?? 32);
  const outputs = model.outputShapes.length;
  const names = model.outputs.map((t) => t.layer.name);
  const index = o.output === undefined ? 0 : typeof o.output === 'string' ? names.indexOf(o.output) : o.output;
  if (!Number.isInteger(index) || index < 0 || index >= outputs) {
    throw new ValueError(`${where}: option 'output' must be an output index in [0, ${outputs}) or an output layer name${names.length ? ` (${names.map((n) => `'${n}'`).join(', ')})` : ''}, got ${fmtValue(o.output)}`);
  }
  const threshold = o.threshold ?? compiled?.thresholds[index] ?? 0.5;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) throw new ValueError(`${where}: option 'threshold' must be a finite number, got ${fmtValue(o.threshold)}`);
  checkLabels(model, y, 'confusionMatrix', model.outputShapes[index]);
  const n = sampleCount(x);
  const shape = model.outputShapes[index];
  const classes = shape.length === 1 && shape[0] > 1 ? shape[0] : 2;
  const cm = zeros([classes, classes], 'int32');
  try {
    for (let start = 0; start < n; start += batchSize) {
      const count = Math.min(batchSize, n - start);
      tidy(() => noGrad(() => {
        const out = model.forward(takeInputRows(x, null, start, count) as Tensor, { training: false });
        const pred = Array.isArray(out) ? out[index] : out;
        accumulateConfusion(pred, takeRows(y, null, start, count), threshold, cm.ptr, 'confusionMatrix');
      }));
    }
  } catch (e) {
    cm.dispose();
    throw e;
  }
  return cm;
}
