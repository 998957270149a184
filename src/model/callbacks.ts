// The hooks `fit` calls (Keras' callback protocol) and the values it hands them: per-batch and
// per-epoch logs, and the history of every epoch.
import { ValueError } from '../errors.js';
import { describe } from '../ops/util.js';
import type { Model } from './model.js';

/** Per-batch / per-epoch values passed to callbacks (with per-output keys as History's). */
export interface Logs {
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  [key: string]: number | undefined;
}

/**
 * One value per epoch; metric keys exist only when asked for. A model with several outputs adds
 * `<output>_loss` / `<output>_accuracy` per output (and `val_<output>_loss` / ... with validation).
 */
export interface History {
  loss: number[];
  accuracy?: number[];
  valLoss?: number[];
  valAccuracy?: number[];
  [key: string]: number[] | undefined;
}

export interface Callbacks {
  /** Called by fit before onTrainBegin with the model being trained (Keras' set_model). */
  setModel?: (model: Model) => void;
  onTrainBegin?: () => void | Promise<void>;
  onTrainEnd?: (history: History) => void | Promise<void>;
  onEpochBegin?: (epoch: number) => void | Promise<void>;
  /** `logs`: the epoch's mean loss (and accuracy, validation values). */
  onEpochEnd?: (epoch: number, logs: Logs) => void | Promise<void>;
  onBatchBegin?: (batch: number) => void | Promise<void>;
  /** `logs`: this batch's loss (and accuracy) and its `size`. */
  onBatchEnd?: (batch: number, logs: Logs & { size: number }) => void | Promise<void>;
}

const HOOKS = ['setModel', 'onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/** The fit options themselves (their own hooks) followed by `options.callbacks`, each checked and given the model. */
export function collectCallbacks(options: Callbacks & { callbacks?: Callbacks | Callbacks[] }, model: Model): Callbacks[] {
  const list: Callbacks[] = [options];
  if (options.callbacks) {
    const extra = Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks];
    for (const cb of extra) {
      if (!cb || typeof cb !== 'object') throw new ValueError(`fit: option 'callbacks' must hold objects with onEpochEnd / onBatchEnd / ... hooks, got ${describe(cb)}`);
      list.push(cb);
    }
  }
  for (const cb of list) {
    for (const k of HOOKS) {
      if (cb[k] !== undefined && typeof cb[k] !== 'function') throw new ValueError(`fit: callback '${k}' must be a function, got ${describe(cb[k])}`);
    }
  }
  for (const cb of list) cb.setModel?.(model);
  return list;
}

/** Calls `hook` on every callback that has it (as a method: class-based callbacks use `this`), in order, awaiting each. */
export async function callAll(list: Callbacks[], hook: keyof Callbacks, ...args: unknown[]): Promise<void> {
  for (const cb of list) {
    const f = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (f) await f.apply(cb, args);
  }
}
