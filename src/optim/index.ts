// The `optim` namespace (API.md): optimizers with torch.optim's update rules, one fused wasm
// kernel per parameter tensor, and learning-rate schedules.
//
//   const opt = optim.adam({ lr: optim.schedules.cosine({ initialLr: 1e-3, epochs: 10 }) });
//   opt.setEpoch(e);              // at each epoch start (model.fit does it): lr = schedule(e)
//   opt.step(model.parameters()); // params whose .grad is null are skipped
//   opt.zeroGrad(model.parameters());
import { SGD, type SGDOptions } from './sgd.js';
import { Adam, AdamW, type AdamOptions } from './adam.js';
import { RMSprop, type RMSpropOptions } from './rmsprop.js';
import { Adagrad, type AdagradOptions } from './adagrad.js';
import { Adadelta, type AdadeltaOptions } from './adadelta.js';
import type { ParamList } from './optimizer.js';
import * as schedules from './schedules.js';
import { ValueError } from '../errors.js';

export { Optimizer, type LearningRate, type ParamList, type ParamState, type ClipOptions } from './optimizer.js';
export type { OptimizerStateDict, ParamStateDict } from './optimizer.js';
export { SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta };
export type { SGDOptions, AdamOptions, RMSpropOptions, AdagradOptions, AdadeltaOptions };
export type { LrSchedule, ScheduleConfig } from './schedules.js';
export { schedules };

/** SGD (`lr` required): momentum, nesterov, dampening, weightDecay (L2) as torch.optim.SGD. */
export function sgd(options: SGDOptions, params?: ParamList): SGD { return new SGD(options, params); }
/** Adam (lr 1e-3, betas 0.9 / 0.999, eps 1e-8, L2 weightDecay 0) as torch.optim.Adam. */
export function adam(options: AdamOptions = {}, params?: ParamList): Adam { return new Adam(options, params); }
/** AdamW (decoupled weightDecay, default 0.01) as torch.optim.AdamW. */
export function adamw(options: AdamOptions = {}, params?: ParamList): AdamW { return new AdamW(options, params); }
/** RMSprop (lr 1e-2, rho = PyTorch's alpha 0.99, eps 1e-8, momentum 0, centered false) as torch.optim.RMSprop. */
export function rmsprop(options: RMSpropOptions = {}, params?: ParamList): RMSprop { return new RMSprop(options, params); }
/** Adagrad (lr 1e-2, eps 1e-10) as torch.optim.Adagrad. */
export function adagrad(options: AdagradOptions = {}, params?: ParamList): Adagrad { return new Adagrad(options, params); }
/** Adadelta (lr 1.0, rho 0.9, eps 1e-6) as torch.optim.Adadelta. */
export function adadelta(options: AdadeltaOptions = {}, params?: ParamList): Adadelta { return new Adadelta(options, params); }

/** A schedule from its `config` (a warm-up holds the config of the schedule it wraps). */
function scheduleFromConfig(config: { name: string; [key: string]: unknown }): schedules.LrSchedule {
  const { name, ...opts } = config;
  if (name === 'warmup') {
    const inner = opts.schedule;
    const wrapped = inner !== null && typeof inner === 'object' ? scheduleFromConfig(inner as { name: string }) : inner;
    return schedules.warmup(wrapped as number, opts.steps as number, { startFactor: opts.startFactor as number });
  }
  const make = Object.prototype.hasOwnProperty.call(schedules, name) ? (schedules as Record<string, unknown>)[name] : undefined;
  if (typeof make !== 'function') throw new ValueError(`fromConfig: unknown schedule '${String(name)}'`);
  return (make as (o: unknown) => schedules.LrSchedule)(opts);
}

/** Builds an optimizer from its `getConfig()` output or `{ name, ...options }` (e.g. for a saved model). */
export function fromConfig(config: { name: string; [key: string]: unknown }, params?: ParamList) {
  const { name, lr, ...rest } = config;
  const rate = lr !== null && typeof lr === 'object' ? scheduleFromConfig(lr as { name: string }) : lr;
  const options = { ...rest, ...(rate === undefined ? {} : { lr: rate }) };
  switch (name) {
    case 'sgd': return new SGD(options as unknown as SGDOptions, params);
    case 'adam': return new Adam(options as AdamOptions, params);
    case 'adamw': return new AdamW(options as AdamOptions, params);
    case 'rmsprop': return new RMSprop(options as RMSpropOptions, params);
    case 'adagrad': return new Adagrad(options as AdagradOptions, params);
    case 'adadelta': return new Adadelta(options as AdadeltaOptions, params);
    default: throw new ValueError(`fromConfig: unknown optimizer '${String(name)}' (known: sgd, adam, adamw, rmsprop, adagrad, adadelta)`);
  }
}
