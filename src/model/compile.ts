// compile(): turns { optimizer, loss, metrics } as the user gives them (objects, names, configs)
// into the resolved settings fit / evaluate / trainOnBatch use.
import { ValueError, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { getLoss, type LossConfig, type LossFn, type ResolvedLoss } from '../losses.js';
import * as optim from '../optim/index.js';
import { parseMetrics, type MetricSpec } from './metric-specs.js';
import type { Model } from './model.js';

/** An optimizer as `compile` takes it: an `optim.*` object, its name, or `{ name, ...options }`. */
export type OptimizerSpec = optim.Optimizer | string | { name: string; [option: string]: unknown };

export interface CompileOptions {
  optimizer: OptimizerSpec;
  /**
   * A loss name, `{ name, fromLogits?, ... }`, or `(yPred, yTrue) => scalar Tensor`; for a model
   * with several outputs either one loss (applied to every output) or an array of one per output.
   */
  loss: LossSpec | LossSpec[];
  /** One weight per output (default all 1): the total loss is the weighted sum of the outputs' losses. */
  lossWeights?: number[];
  /** 'accuracy' (alias 'acc'), 'topK:k' ('topK' is k = 5), 'precision', 'recall', 'f1' (see metric-specs.ts). */
  metrics?: string[];
}

/** One loss as compile takes it. */
export type LossSpec = string | LossConfig | LossFn;

/** What compile() resolved: the settings of every training and evaluation step. */
export interface Compiled {
  optimizer: optim.Optimizer;
  /** The first output's loss (the only one of a single-output model). */
  loss: ResolvedLoss;
  /** One loss per output, in outputs order. */
  losses: ResolvedLoss[];
  /** One weight per output, in outputs order. */
  lossWeights: number[];
  /** The output layers' names, the prefixes of the per-output logs (one name for a single output). */
  outputNames: string[];
  /** The loss as given, for model.json (null for a loss function, which is not saved). */
  lossSpec: unknown;
  accuracy: boolean;
  /** Every metric asked for, in order (accuracy included). */
  metrics: MetricSpec[];
  /** Threshold for single-unit outputs: 0 with fromLogits, else 0.5 (the first output's). */
  threshold: number;
  /** The threshold of each output. */
  thresholds: number[];
}

/**
 * Checks and resolves compile's options for the model named `model`, whose outputs' layers are
 * named `outputNames` (one name, or none for a model not built yet, means a single output).
 */
export function resolveCompile(options: CompileOptions, model: string, outputNames: string[] = []): Compiled {
  if (!options || typeof options !== 'object') throw new ValueError(`${model}.compile: expects { optimizer, loss, metrics? }, got ${describe(options)}`);
  const { optimizer, loss, metrics = [] } = options;
  if (optimizer === undefined) throw new ValueError(`${model}.compile: option 'optimizer' is required`);
  if (loss === undefined) throw new ValueError(`${model}.compile: option 'loss' is required`);
  const names = outputNames.length > 0 ? uniqueNames(outputNames) : ['output'];
  const specs = lossPerOutput(loss, names, model);
  const lossWeights = weightPerOutput(options.lossWeights, names, model);
  let opt: optim.Optimizer;
  let losses: ResolvedLoss[];
  try {
    opt = resolveOptimizer(optimizer, model);
    losses = specs.map((l) => getLoss(l as any));
  } catch (e) {
    // Name where it happened: "sequential.compile: getLoss: unknown loss 'foo' ...".
    if (e instanceof ValueError && !e.message.startsWith(`${model}.compile`)) throw new ValueError(`${model}.compile: ${e.message}`);
    throw e;
  }
  const metricSpecs = parseMetrics(metrics, model);
  const accuracy = metricSpecs.some((m) => m.kind === 'accuracy');
  const thresholds = losses.map((l) => (l.config?.fromLogits ? 0 : 0.5));
  const savable = !(typeof loss === 'function' || (Array.isArray(loss) && loss.some((l) => typeof l === 'function')));
  return {
    optimizer: opt, loss: losses[0], losses, lossWeights, outputNames: names, lossSpec: savable ? loss : null, accuracy,
    metrics: metricSpecs,
    threshold: thresholds[0], thresholds,
  };
}

/** One loss spec per output: the single spec repeated, or the array checked against the outputs. */
function lossPerOutput(loss: LossSpec | LossSpec[], names: string[], model: string): LossSpec[] {
  if (!Array.isArray(loss)) return names.map(() => loss);
  if (loss.length !== names.length) {
    throw new ValueError(`${model}.compile: option 'loss' must be one loss or an array of ${names.length} (one per output: ${quoted(names)}), got an array of ${loss.length}`);
  }
  return loss;
}

/** One weight per output (default all 1). */
function weightPerOutput(weights: unknown, names: string[], model: string): number[] {
  if (weights === undefined) return names.map(() => 1);
  if (!Array.isArray(weights) || weights.length !== names.length || !weights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
    throw new ValueError(`${model}.compile: option 'lossWeights' must be an array of ${names.length} finite number${names.length === 1 ? '' : 's'} (one per output: ${quoted(names)}), got ${fmtValue(weights)}`);
  }
  return weights.slice();
}

/** Output names made distinct (an output used twice gets a `_2` suffix) so their log keys differ. */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}_${k}`;
  });
}

const quoted = (names: string[]): string => names.map((n) => `'${n}'`).join(', ');

/** The compiled settings, or a ValueError telling to compile first. */
export function requireCompiled(compiled: Compiled | null, model: string, what: string): Compiled {
  if (!compiled) throw new ValueError(`${model}.${what}: call compile({ optimizer, loss, metrics }) first`);
  return compiled;
}

/** Binds the model's parameters to an unbound optimizer (so `opt.step()` works without arguments). */
export function bindOptimizer(model: Model, opt: optim.Optimizer): void {
  if (model.built && opt.params === null && typeof opt.bind === 'function') opt.bind(model.parameters());
}

function resolveOptimizer(spec: OptimizerSpec, model: string): optim.Optimizer {
  if (spec instanceof optim.Optimizer) return spec;
  if (spec && typeof spec === 'object' && typeof (spec as any).step === 'function' && typeof (spec as any).setEpoch === 'function') {
    return spec as unknown as optim.Optimizer;
  }
  // Names take Keras' default learning rates ('sgd' 0.01, 'adam' 0.001, ...).
  const kerasLr: Record<string, number> = { sgd: 0.01, adam: 0.001, adamw: 0.001, rmsprop: 0.001, adagrad: 0.001, adadelta: 0.001 };
  const cfg = typeof spec === 'string' ? { name: spec } : spec;
  if (!cfg || typeof cfg !== 'object' || typeof (cfg as any).name !== 'string') {
    throw new ValueError(`${model}.compile: optimizer must be an optim.* object, a name such as 'adam', or { name, ...options }, got ${describe(spec)}`);
  }
  const name = String((cfg as any).name).toLowerCase();
  const full = { lr: Object.hasOwn(kerasLr, name) ? kerasLr[name] : undefined, ...cfg, name } as { name: string; [k: string]: unknown };
  if (full.lr === undefined) delete full.lr;
  return optim.fromConfig(full) as optim.Optimizer;
}
