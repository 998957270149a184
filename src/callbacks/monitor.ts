// What the Keras-style callbacks share: the monitored log key (checked when the callback is made),
// the direction it improves in, reading the value at an epoch's end, and integer options (the other
// option checks are the optimizers', src/optim/optimizer.ts).
import { ValueError, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { METRIC_KEY } from '../model/metric-specs.js';
import type { Logs } from '../model/callbacks.js';

export type MonitorMode = 'auto' | 'min' | 'max';

const isBase = (key: string) => key === 'loss' || METRIC_KEY.test(key);
const capitalised = (key: string) => key[0].toUpperCase() + key.slice(1);

/** The metric a log key reports: `valTopK5` -> 'topK5', `val_out_loss` -> 'loss'; null for a key fit never logs. */
function baseOf(key: string): string | null {
  if (isBase(key)) return key;
  const v = /^val([A-Z].*)$/.exec(key);
  if (v && isBase(v[1][0].toLowerCase() + v[1].slice(1))) return v[1][0].toLowerCase() + v[1].slice(1);
  const out = /^(?:val_)?.+_([A-Za-z0-9]+)$/.exec(key);
  if (out && isBase(out[1])) return out[1];
  return null;
}

/**
 * The log key to monitor: a key fit logs (`loss`, `valLoss`, `accuracy`, `valTopK5`, `precision`,
 * `<output>_loss`, `val_<output>_f1`, ...), or Keras' spelling of one (`val_loss`, `acc`, `val_acc`).
 * ValueError for a key fit can never log.
 */
export function checkMonitor(where: string, monitor: unknown): string {
  if (typeof monitor !== 'string' || monitor === '') throw new ValueError(`${where}: option 'monitor' must be a log key such as 'valLoss', got ${describe(monitor)}`);
  let key = monitor === 'acc' ? 'accuracy' : monitor === 'val_acc' ? 'valAccuracy' : monitor;
  const keras = /^val_(.+)$/.exec(key);
  if (keras && isBase(keras[1])) key = `val${capitalised(keras[1])}`;
  if (baseOf(key) === null) {
    throw new ValueError(`${where}: unknown monitor ${fmtValue(monitor)}: use 'loss', 'valLoss', a compiled metric ('accuracy', 'topK5', 'precision', 'recall', 'f1') ` +
      `or its val form ('valAccuracy', ...), or for a model with several outputs '<output>_loss' / 'val_<output>_<metric>'`);
  }
  return key;
}

/** 'min' or 'max': from `mode`, or for 'auto' from the metric (a loss falls, accuracy and the other metrics rise). */
export function directionOf(where: string, monitor: string, mode: unknown): 'min' | 'max' {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new ValueError(`${where}: option 'mode' must be 'auto', 'min' or 'max', got ${fmtValue(mode)}`);
  if (mode !== 'auto') return mode;
  return baseOf(monitor) === 'loss' ? 'min' : 'max';
}

/** The monitored value in an epoch's logs; ValueError naming the keys there are when it is missing. */
export function monitorValue(where: string, monitor: string, logs: Logs): number {
  const v = logs?.[monitor];
  if (typeof v === 'number') return v;
  const keys = Object.keys(logs ?? {}).filter((k) => typeof logs[k] === 'number');
  const hint = /^val/.test(monitor) ? ' (val* keys need validationData or validationSplit in fit)' : ' (metrics need compile({ metrics }))';
  throw new ValueError(`${where}: monitor '${monitor}' is not in the epoch's logs${hint}; available: ${keys.join(', ')}`);
}

/** An integer option >= 0. */
export function countOption(where: string, o: Record<string, unknown>, key: string, dflt: number): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ValueError(`${where}: option '${key}' must be an integer >= 0, got ${fmtValue(o[key])}`);
  return v;
}
