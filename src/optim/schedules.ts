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
  | { name: 'cosine'; initialLr: number; totalSteps: number; minLr: number }
  | { name: 'warmup'; schedule: ScheduleConfig | number | 'custom schedule'; steps: number; startFactor: number }
  | { name: 'oneCycle'; maxLr: number; totalSteps: number; pctStart: number; divFactor: number; finalDivFactor: number };

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

/**
 * Linear warm-up before `schedule` (a schedule or a constant rate), as PyTorch's
 * `SequentialLR([LinearLR(start_factor, total_iters=steps), schedule], milestones=[steps])`:
 * for `e < steps`, `lr = schedule(0) * (startFactor + (1 - startFactor) * e / steps)`; from
 * `e = steps` on, `lr = schedule(e - steps)` (the wrapped schedule starts after the warm-up).
 * `startFactor` defaults to `1 / (steps + 1)`, so the rate climbs `schedule(0) * (e + 1) / (steps + 1)`
 * and reaches `schedule(0)` exactly when the wrapped schedule takes over.
 */
export function warmup(schedule: LrSchedule | ((epoch: number) => number) | number, steps: number, options?: { startFactor?: number }): LrSchedule {
  const o = checkOptions('warmup', options, ['startFactor']);
  const n = checkNumber('warmup', 'steps', steps, { min: 1 });
  if (!Number.isInteger(n)) throw new ValueError(`warmup: steps must be an integer >= 1, got ${n}`);
  const startFactor = checkNumber('warmup', 'startFactor', o.startFactor ?? 1 / (n + 1), { min: 0, minExclusive: true, max: 1 });
  let after: (epoch: number) => number;
  let inner: ScheduleConfig | number | 'custom schedule';
  if (typeof schedule === 'number') {
    const lr = checkNumber('warmup', 'schedule (a constant rate)', schedule, { min: 0 });
    after = () => lr;
    inner = lr;
  } else if (typeof schedule === 'function') {
    after = schedule;
    inner = (schedule as Partial<LrSchedule>).config ?? 'custom schedule';
  } else {
    throw new ValueError(`warmup: schedule must be a schedule (optim.schedules.*, or epoch => lr) or a constant rate, got ${describe(schedule)}`);
  }
  return make({ name: 'warmup', schedule: inner, steps: n, startFactor }, (epoch) => {
    if (epoch >= n) return after(epoch - n);
    return after(0) * (startFactor + (1 - startFactor) * epoch / n);
  });
}

/**
 * One-cycle policy, PyTorch's `OneCycleLR(max_lr, total_steps, pct_start, div_factor,
 * final_div_factor, anneal_strategy='cos', three_phase=False)`, learning rate only (no momentum
 * cycling): from `maxLr / divFactor` up to `maxLr` over steps 0 .. `pctStart * totalSteps - 1`,
 * then down to `maxLr / divFactor / finalDivFactor` at step `totalSteps - 1`, each phase a cosine
 * `end + (start - end) * (1 + cos(pi * t)) / 2`. Past the last step the final rate holds (PyTorch
 * raises an error there).
 */
export function oneCycle(options: { maxLr: number; totalSteps: number; pctStart?: number; divFactor?: number; finalDivFactor?: number }): LrSchedule {
  const o = checkOptions('oneCycle', options, ['maxLr', 'totalSteps', 'pctStart', 'divFactor', 'finalDivFactor']);
  if (options === undefined) throw new ValueError('oneCycle: options { maxLr, totalSteps, pctStart?, divFactor?, finalDivFactor? } are required');
  const maxLr = checkNumber('oneCycle', 'maxLr', o.maxLr, { min: 0 });
  const totalSteps = checkNumber('oneCycle', 'totalSteps', o.totalSteps, { min: 1 });
  if (!Number.isInteger(totalSteps)) throw new ValueError(`oneCycle: totalSteps must be an integer >= 1, got ${totalSteps}`);
  const pctStart = checkNumber('oneCycle', 'pctStart', o.pctStart ?? 0.3, { min: 0, minExclusive: true, max: 1, maxExclusive: true });
  const divFactor = checkNumber('oneCycle', 'divFactor', o.divFactor ?? 25, { min: 0, minExclusive: true });
  const finalDivFactor = checkNumber('oneCycle', 'finalDivFactor', o.finalDivFactor ?? 1e4, { min: 0, minExclusive: true });
  // PyTorch's phase ends: the warm-up ends at step pctStart * totalSteps - 1, the annealing at totalSteps - 1.
  const upEnd = pctStart * totalSteps - 1;
  const downEnd = totalSteps - 1;
  if (!(upEnd > 0 && downEnd > upEnd)) {
    throw new ValueError(`oneCycle: pctStart ${pctStart} of totalSteps ${totalSteps} leaves a phase without steps (the rise ends at step ${+upEnd.toFixed(6)}, the fall at step ${downEnd}); both need at least one`);
  }
  const initialLr = maxLr / divFactor;
  const minLr = initialLr / finalDivFactor;
  const cosAnneal = (start: number, end: number, t: number) => end + (start - end) / 2 * (kernels().mathCos(Math.PI * t) + 1);
  return make({ name: 'oneCycle', maxLr, totalSteps, pctStart, divFactor, finalDivFactor }, (epoch) => {
    if (epoch <= upEnd) return cosAnneal(initialLr, maxLr, epoch / upEnd);
    if (epoch >= downEnd) return minLr;
    return cosAnneal(maxLr, minLr, (epoch - upEnd) / (downEnd - upEnd));
  });
}
