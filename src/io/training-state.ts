// The `trainingState` section of a checkpoint's model.json (docs/FORMAT.md, formatVersion 2):
// where training stopped (epochs done, the random generators' states) and the optimizer's state,
// whose buffers follow the model's weights in weights.bin. Checked here for structure only;
// src/model/checkpoint.ts matches it against a model.
import { FormatError } from '../errors.js';
import { isRandomState } from '../random.js';

/** model.json's formatVersion for a file carrying a trainingState section (1 without). */
export const CHECKPOINT_FORMAT_VERSION = 2;
/** Layout version of the trainingState section itself. */
export const TRAINING_STATE_VERSION = 1;

/** One parameter's optimizer state: its buffers' values follow in weights.bin, in `buffers` order. */
export interface ParamStateJSON {
  /** The parameter's weight name, `<layer name>/<weight name>`. */
  name: string;
  shape: number[];
  /** Its update count (PyTorch's state['step']). */
  step: number;
  /** Buffer names ('momentumBuffer', 'expAvg', ...), in the order their values are stored. */
  buffers: string[];
}

export interface TrainingStateJSON {
  version: number;
  /** Epochs completed: the `initialEpoch` of the fit that continues. */
  epoch: number;
  /** The global random generator's state (4 unsigned 32-bit words, xoshiro128**). */
  random: number[];
  /** The last fit's own stream when it was given `seed`: that seed and the stream's state. */
  fitStream?: { seed: number; state: number[] };
  optimizer: {
    name: string;
    /** `step()` calls so far. */
    iterations: number;
    /** The epoch the learning-rate schedule is at. */
    epoch: number;
    /** Every parameter updated so far, in the model's parameter order. */
    params: ParamStateJSON[];
  };
  /** float32 values of the optimizer buffers, stored in weights.bin after the model's weights. */
  floats: number;
}

function fail(msg: string): never {
  throw new FormatError(`load: model.json trainingState ${msg}`);
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isDims = (v: unknown): v is number[] => Array.isArray(v) && v.every(isCount);

/** Checks the section's structure; FormatError naming the first problem. */
export function checkTrainingStateJSON(t: any): TrainingStateJSON {
  if (!t || typeof t !== 'object' || Array.isArray(t)) fail(`must be an object, got ${JSON.stringify(t)}`);
  if (t.version !== TRAINING_STATE_VERSION) fail(`has version ${JSON.stringify(t.version)}; this build reads version ${TRAINING_STATE_VERSION}`);
  if (!isCount(t.epoch)) fail(`epoch must be a non-negative integer, got ${JSON.stringify(t.epoch)}`);
  if (!isRandomState(t.random)) fail(`random must be 4 unsigned 32-bit integers, not all zero, got ${JSON.stringify(t.random)}`);
  if (t.fitStream !== undefined && !(t.fitStream && Number.isFinite(t.fitStream.seed) && isRandomState(t.fitStream.state))) {
    fail(`fitStream must be { seed: number, state: 4 unsigned 32-bit integers }, got ${JSON.stringify(t.fitStream)}`);
  }
  const o = t.optimizer;
  if (!o || typeof o !== 'object' || typeof o.name !== 'string') fail('optimizer must be { name, iterations, epoch, params }');
  if (!isCount(o.iterations)) fail(`optimizer.iterations must be a non-negative integer, got ${JSON.stringify(o.iterations)}`);
  if (typeof o.epoch !== 'number' || !(o.epoch >= 0) || !Number.isFinite(o.epoch)) fail(`optimizer.epoch must be a non-negative number, got ${JSON.stringify(o.epoch)}`);
  if (!Array.isArray(o.params)) fail('optimizer.params must be an array');
  let floats = 0;
  o.params.forEach((p: any, i: number) => {
    if (!p || typeof p.name !== 'string' || !isDims(p.shape) || !isCount(p.step) || !Array.isArray(p.buffers) || !p.buffers.every((b: unknown) => typeof b === 'string')) {
      fail(`optimizer.params[${i}] must be { name: string, shape: integer[], step: integer, buffers: string[] }, got ${JSON.stringify(p)}`);
    }
    floats += p.buffers.length * p.shape.reduce((a: number, d: number) => a * d, 1);
  });
  if (t.floats !== floats) fail(`floats is ${JSON.stringify(t.floats)} but the optimizer buffers listed hold ${floats} values`);
  return t as TrainingStateJSON;
}
