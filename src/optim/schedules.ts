// Learning-rate schedules: functions `epoch -> lr` an optimizer accepts as its `lr`
// (the optimizer evaluates them at `setEpoch(e)`). The unit is whatever counter feeds them:
// `model.fit` passes the 0-based epoch index; call `optimizer.setEpoch(step)` for per-batch
// schedules. Powers and cosines run in wasm (deterministic bits in every engine), never in the
// host's Math.
import { kernels } from '../backend/wasm.js';
import { ValueError } from '../errors.js';
import { describe } from '../ops/util.js';
import { checkNumber, checkOptions } from './optimizer.js';

export type ScheduleConfig =
  | { name: 'stepDecay'; initialLr: number; stepSize: number; gamma: number }
  | { name: 'exponential'; initialLr: number; gamma: number }
  | { name: 'cosine'; initialLr: number; totalSteps: number; minLr: number };

/** A learning-rate schedule: `lr = schedule(epoch)`, with its configuration attached. */
export interface LrSchedule {
  (epoch: number): number;
  readonly config: ScheduleConfig;
}

function make(config: ScheduleConfig, fn: (epoch: number) => number): LrSchedule {
  const sched = ((epoch: number) => {
    if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0) {
      throw new ValueError(`${config.name}: epoch must be a non-negative finite number, got ${describe(epoch)}`);
    }
    return fn(epoch);
  }) as LrSchedule;
  Object.defineProperty(sched, 'config', { value: Object.freeze({ ...config }), enumerable: true });
  return sched;
}

/**
 * Step decay (PyTorch StepLR): `initialLr * gamma ^ floor(epoch / stepSize)`, i.e. the rate is
 * multiplied by `gamma` (default 0.1) every `stepSize` epochs.
 */
export function stepDecay(options: { initialLr: number; stepSize: number; gamma?: number }): LrSchedule {
  const o = checkOptions('stepDecay', options, ['initialLr', 'stepSize', 'gamma']);
  if (options === undefined) throw new ValueError('stepDecay: options { initialLr, stepSize, gamma? } are required');
  const initialLr = checkNumber('stepDecay', 'initialLr', o.initialLr, { min: 0 });
  const stepSize = checkNumber('stepDecay', 'stepSize', o.stepSize, { min: 0, minExclusive: true });
  const gamma = checkNumber('stepDecay', 'gamma', o.gamma ?? 0.1, { min: 0 });
  return make({ name: 'stepDecay', initialLr, stepSize, gamma }, (epoch) =>
    initialLr * kernels().mathPow(gamma, Math.floor(epoch / stepSize)));
}

/** Exponential decay (PyTorch ExponentialLR): `initialLr * gamma ^ epoch`. */
export function exponential(options: { initialLr: number; gamma: number }): LrSchedule {
  const o = checkOptions('exponential', options, ['initialLr', 'gamma']);
  if (options === undefined) throw new ValueError('exponential: options { initialLr, gamma } are required');
  const initialLr = checkNumber('exponential', 'initialLr', o.initialLr, { min: 0 });
  const gamma = checkNumber('exponential', 'gamma', o.gamma, { min: 0 });
  return make({ name: 'exponential', initialLr, gamma }, (epoch) => initialLr * kernels().mathPow(gamma, epoch));
}

/**
 * Cosine annealing (PyTorch CosineAnnealingLR's closed form, Keras CosineDecay):
 * `minLr + (initialLr - minLr) * (1 + cos(pi * e / T)) / 2` with `e = min(epoch, T)`, so the
 * rate reaches `minLr` (default 0) at `T` and stays there. `T` is `totalSteps` or, the same
 * thing under another name, `epochs`.
 */
export function cosine(options: { initialLr: number; totalSteps?: number; epochs?: number; minLr?: number }): LrSchedule {
  const o = checkOptions('cosine', options, ['initialLr', 'totalSteps', 'epochs', 'minLr']);
  if (options === undefined) throw new ValueError('cosine: options { initialLr, totalSteps | epochs, minLr? } are required');
  const initialLr = checkNumber('cosine', 'initialLr', o.initialLr, { min: 0 });
  if (o.totalSteps !== undefined && o.epochs !== undefined) {
    throw new ValueError('cosine: give either totalSteps or epochs, not both');
  }
  const key = o.epochs !== undefined ? 'epochs' : 'totalSteps';
  const total = checkNumber('cosine', key, o[key], { min: 0, minExclusive: true });
  const minLr = checkNumber('cosine', 'minLr', o.minLr ?? 0, { min: 0 });
  return make({ name: 'cosine', initialLr, totalSteps: total, minLr }, (epoch) => {
    const e = Math.min(epoch, total);
    return minLr + (initialLr - minLr) * (1 + kernels().mathCos(Math.PI * e / total)) / 2;
  });
}
