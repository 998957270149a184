// Training checkpoints: `save(target, { includeOptimizer: true })` adds to a saved model where its
// training stands (epochs done, the random generators' states, the optimizer's state), and loading
// such a file restores all of it, so `fit({ initialEpoch })` continues bit for bit. The section's
// layout is src/io/training-state.ts (docs/FORMAT.md).
import type { Tensor } from '../tensor.js';
import { FormatError, ShapeError, ValueError, fmtShape, fmtValue, rejectUnknownOptions } from '../errors.js';
import { describe } from '../ops/util.js';
import { getRandomState, setRandomState, randomStream, type RandomStream } from '../random.js';
import { encodeWeights, type ModelJSON } from '../io/format.js';
import { CHECKPOINT_FORMAT_VERSION, TRAINING_STATE_VERSION, type ParamStateJSON, type TrainingStateJSON } from '../io/training-state.js';
import type { OptimizerStateDict, ParamStateDict } from '../optim/optimizer.js';
import { fromConfig } from '../optim/index.js';
import type { Model } from './model.js';

/** Where a model's training stands: what a checkpoint records besides the optimizer. */
export interface TrainingProgress {
  /** Epochs completed by fit: the `initialEpoch` that continues. */
  epoch: number;
  /** The last fit's `seed` option and its stream's state after the last completed epoch (null without). */
  fitSeed: number | null;
  fitStream: number[] | null;
}

export interface SaveOptions {
  /** Also save the optimizer's state, the epochs completed and the random state (a checkpoint to resume from). Default false. */
  includeOptimizer?: boolean;
}

/** save()'s options checked: true when they ask for a checkpoint. */
export function includeOptimizer(model: string, options: SaveOptions): boolean {
  if (options === null || typeof options !== 'object') throw new ValueError(`${model}.save: options must be { includeOptimizer? }, got ${describe(options)}`);
  rejectUnknownOptions(`${model}.save`, options, ['includeOptimizer']);
  const include = options.includeOptimizer ?? false;
  if (typeof include !== 'boolean') throw new ValueError(`${model}.save: option 'includeOptimizer' must be a boolean, got ${fmtValue(include)}`);
  return include;
}

export const noProgress = (): TrainingProgress => ({ epoch: 0, fitSeed: null, fitStream: null });

/**
 * The random stream of a fit given `seed`: the stream the model's last fit left, when this fit
 * continues it (same seed, starting at the epoch that one completed), else a fresh one.
 */
export function fitStream(progress: TrainingProgress, seed: number, initialEpoch: number): RandomStream {
  if (initialEpoch > 0 && progress.fitSeed === seed && progress.epoch === initialEpoch && progress.fitStream) {
    return { state: progress.fitStream.slice() as RandomStream['state'] };
  }
  return randomStream(seed);
}

/** Records a completed epoch (`epochsDone` in all) and the fit stream's state after it. */
export function recordEpoch(progress: TrainingProgress, epochsDone: number, seed: number | undefined, stream: RandomStream | null): void {
  progress.epoch = epochsDone;
  progress.fitSeed = seed ?? null;
  progress.fitStream = stream ? stream.state.map((w) => w >>> 0) : null;
}

/** Every parameter of the model with its saved weight name. */
function namedParameters(model: Model, names: Map<Tensor, string>): { name: string; tensor: Tensor }[] {
  return model.parameters().map((tensor) => ({ name: names.get(tensor) ?? tensor.name ?? '?', tensor }));
}

/**
 * model.json and weights.bin of a checkpoint: `json` (toJSON's output) gains the trainingState
 * section and formatVersion 2; weights.bin holds the weights, then every optimizer buffer.
 */
export function checkpointArtifacts(model: Model, json: ModelJSON, progress: TrainingProgress, names: Map<Tensor, string>): { json: ModelJSON; weights: Uint8Array } {
  const opt = model.optimizer;
  if (!opt || !json.training?.optimizer || json.training.loss === undefined) {
    const why = !opt ? 'the model is not compiled'
      : !json.training ? 'its loss is a function, which is not saved'
        : `its optimizer's config cannot be saved (${describe(opt.getConfig().lr)} as lr: a custom learning-rate schedule, or a custom optimizer)`;
    throw new ValueError(`${model.name}.save: includeOptimizer needs a model compiled with an optimizer and a loss that can be saved; ${why}`);
  }
  try {
    fromConfig(json.training.optimizer as { name: string }); // what loading will rebuild (a warm-up around a custom schedule cannot be)
  } catch (e) {
    throw new ValueError(`${model.name}.save: includeOptimizer needs an optimizer that can be rebuilt from its config; ${(e as Error).message}`);
  }
  const params = namedParameters(model, names);
  const dict = opt.stateDict(params.map((p) => p.tensor));
  const entries: ParamStateJSON[] = [];
  const values: Float32Array[] = [];
  dict.params.forEach((s, i) => {
    if (!s) return;
    const buffers = Object.keys(s.buffers);
    entries.push({ name: params[i].name, shape: params[i].tensor.shape.slice(), step: s.step, buffers });
    for (const b of buffers) values.push(s.buffers[b]);
  });
  const section: TrainingStateJSON = {
    version: TRAINING_STATE_VERSION,
    epoch: progress.epoch,
    random: getRandomState(),
    ...(progress.fitStream && progress.fitSeed !== null ? { fitStream: { seed: progress.fitSeed, state: progress.fitStream.slice() } } : {}),
    optimizer: { name: dict.name, iterations: dict.iterations, epoch: dict.epoch, params: entries },
    floats: values.reduce((a, v) => a + v.length, 0),
  };
  const out: ModelJSON = { ...json, formatVersion: CHECKPOINT_FORMAT_VERSION, trainingState: section };
  return { json: out, weights: encodeWeights(model.weights(), values) };
}

/**
 * Restores a checkpoint into a freshly loaded model (its weights already copied): compiles it
 * from the training section, loads the optimizer state from `values` (the bytes after the
 * weights), then sets the global random generator and the model's progress. Everything is
 * checked before the generator changes; FormatError naming what differs.
 */
export function restoreCheckpoint(model: Model, j: ModelJSON, values: Uint8Array, names: Map<Tensor, string>): TrainingProgress {
  const t = j.trainingState!;
  const training = j.training;
  if (!training?.optimizer || training.loss === undefined) {
    throw new FormatError('load: model.json has a trainingState section but no training section (optimizer and loss) to compile the model with');
  }
  try {
    model.compile({
      optimizer: training.optimizer as any, loss: training.loss as any, metrics: training.metrics ?? [],
      ...(training.lossWeights !== undefined ? { lossWeights: training.lossWeights } : {}),
    });
  } catch (e) {
    if (e instanceof ValueError || e instanceof ShapeError) throw new FormatError(`load: the checkpoint's training settings cannot be restored: ${e.message}`);
    throw e;
  }
  const opt = model.optimizer!;
  if (opt.name !== t.optimizer.name) {
    throw new FormatError(`load: the checkpoint's optimizer state is for '${t.optimizer.name}' but training.optimizer is '${opt.name}'`);
  }
  const params = namedParameters(model, names);
  const index = new Map(params.map((p, i) => [p.name, i]));
  const dict: OptimizerStateDict = { name: t.optimizer.name, iterations: t.optimizer.iterations, epoch: t.optimizer.epoch, params: params.map(() => null) };
  let at = 0;
  for (const e of t.optimizer.params) {
    const i = index.get(e.name);
    if (i === undefined) {
      throw new FormatError(`load: the checkpoint's optimizer state names parameter "${e.name}", which the model does not have (its parameters: ${params.map((p) => p.name).join(', ')})`);
    }
    if (dict.params[i]) throw new FormatError(`load: the checkpoint's optimizer state lists parameter "${e.name}" twice`);
    const p = params[i].tensor;
    if (e.shape.length !== p.rank || e.shape.some((d, k) => d !== p.shape[k])) {
      throw new FormatError(`load: the checkpoint's optimizer state has parameter "${e.name}" with shape ${fmtShape(e.shape)} but the model's is ${fmtShape(p.shape)}`);
    }
    if ([...e.buffers].sort().join() !== opt.stateKeys().join()) {
      throw new FormatError(`load: the checkpoint's optimizer state of parameter "${e.name}" has buffers [${e.buffers.join(', ')}] ` +
        `but the optimizer of training.optimizer (${JSON.stringify(training.optimizer)}) keeps [${opt.stateKeys().join(', ')}]`);
    }
    const s: ParamStateDict = { step: e.step, buffers: {} };
    for (const b of e.buffers) {
      // A copy: aligned for a Float32Array whatever the source's offset (little-endian, as in wasm memory).
      s.buffers[b] = new Float32Array(values.slice(at, at + p.size * 4).buffer);
      at += p.size * 4;
    }
    dict.params[i] = s;
  }
  try {
    opt.loadStateDict(dict, params.map((p) => p.tensor));
  } catch (e) {
    if (e instanceof ValueError || e instanceof ShapeError) throw new FormatError(`load: the checkpoint's optimizer state does not match the model: ${e.message}`);
    throw e;
  }
  setRandomState(t.random);
  return { epoch: t.epoch, fitSeed: t.fitStream ? t.fitStream.seed : null, fitStream: t.fitStream ? t.fitStream.state.slice() : null };
}
