// compile(): turns { optimizer, loss, metrics } as the user gives them (objects, names, configs)
// into the resolved settings fit / evaluate / trainOnBatch use.
import { ValueError, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { getLoss, type LossConfig, type LossFn, type ResolvedLoss } from '../losses.js';
import * as optim from '../optim/index.js';
import type { Model } from './model.js';

/** An optimizer as `compile` takes it: an `optim.*` object, its name, or `{ name, ...options }`. */
export type OptimizerSpec = optim.Optimizer | string | { name: string; [option: string]: unknown };

export interface CompileOptions {
  optimizer: OptimizerSpec;
  /** A loss name, `{ name, fromLogits?, ... }`, or `(yPred, yTrue) => scalar Tensor`. */
  loss: string | LossConfig | LossFn;
  /** Only 'accuracy' (alias 'acc'). */
  metrics?: string[];
}

/** What compile() resolved: the settings of every training and evaluation step. */
export interface Compiled {
  optimizer: optim.Optimizer;
  loss: ResolvedLoss;
  /** The loss as given, for model.json (null for a loss function, which is not saved). */
  lossSpec: unknown;
  accuracy: boolean;
  /** Threshold for single-unit outputs: 0 with fromLogits, else 0.5. */
  threshold: number;
}

/** Checks and resolves compile's options for the model named `model`. */
export function resolveCompile(options: CompileOptions, model: string): Compiled {
  if (!options || typeof options !== 'object') throw new ValueError(`${model}.compile: expects { optimizer, loss, metrics? }, got ${describe(options)}`);
  const { optimizer, loss, metrics = [] } = options;
  if (optimizer === undefined) throw new ValueError(`${model}.compile: option 'optimizer' is required`);
  if (loss === undefined) throw new ValueError(`${model}.compile: option 'loss' is required`);
  let opt: optim.Optimizer;
  let resolved: ResolvedLoss;
  try {
    opt = resolveOptimizer(optimizer, model);
    resolved = getLoss(loss as any);
  } catch (e) {
    // Name where it happened: "sequential.compile: getLoss: unknown loss 'foo' ...".
    if (e instanceof ValueError && !e.message.startsWith(`${model}.compile`)) throw new ValueError(`${model}.compile: ${e.message}`);
    throw e;
  }
  if (!Array.isArray(metrics)) throw new ValueError(`${model}.compile: option 'metrics' must be an array such as ['accuracy'], got ${describe(metrics)}`);
  let accuracy = false;
  for (const m of metrics) {
    if (m === 'accuracy' || m === 'acc') accuracy = true;
    else throw new ValueError(`${model}.compile: unknown metric ${fmtValue(m)} (supported: 'accuracy')`);
  }
  const cfg = resolved.config;
  return {
    optimizer: opt, loss: resolved, lossSpec: typeof loss === 'function' ? null : loss, accuracy,
    threshold: cfg?.fromLogits ? 0 : 0.5,
  };
}

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
  const full = { lr: kerasLr[name], ...cfg, name } as { name: string; [k: string]: unknown };
  if (full.lr === undefined) delete full.lr;
  return optim.fromConfig(full) as optim.Optimizer;
}
