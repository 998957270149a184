// callbacks.reduceLROnPlateau: Keras' ReduceLROnPlateau. When the monitored value has not improved
// (by more than minDelta) for `patience` epochs, the optimizer's learning rate is multiplied by
// `factor` (never below minLr), then `cooldown` epochs pass before the wait counts again.
// With a schedule as the rate, the reduction scales the schedule: lr(e) = max(schedule(e) * s, minLr),
// s the product of the factors applied so far, so the schedule keeps its shape from the new level.
import { ValueError } from '../errors.js';
import { describe } from '../ops/util.js';
import { checkOptions, numberOption } from '../optim/optimizer.js';
import type { Callbacks, Logs } from '../model/callbacks.js';
import type { Model } from '../model/model.js';
import { checkMonitor, directionOf, monitorValue, countOption, type MonitorMode } from './monitor.js';

export interface ReduceLROnPlateauOptions {
  /** The log key to watch (default 'valLoss'). */
  monitor?: string;
  /** new lr = lr * factor; in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** An improvement must beat the best by more than this (default 1e-4; >= 0). */
  minDelta?: number;
  /** Epochs after a reduction during which the wait does not count (default 0). */
  cooldown?: number;
  /** The rate is never reduced below this (default 0). */
  minLr?: number;
  /** 'min', 'max' or 'auto' (a loss falls, the metrics rise). */
  mode?: MonitorMode;
}

/** A schedule scaled by the reductions applied so far. */
type ScaledSchedule = ((epoch: number) => number) & { base: (epoch: number) => number; scale: number };

const NAME = 'reduceLROnPlateau';

export class ReduceLROnPlateau implements Callbacks {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly mode: 'min' | 'max';
  /** Epochs since the last improvement (not counting cooldown). */
  wait = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** The best monitored value so far. */
  best = Infinity;
  private model: Model | null = null;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    const o = checkOptions(NAME, options, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr', 'mode']);
    this.monitor = checkMonitor(NAME, o.monitor ?? 'valLoss');
    this.factor = numberOption(NAME, o, 'factor', 0.1, { min: 0, max: 1, maxExclusive: true });
    this.patience = countOption(NAME, o, 'patience', 10);
    this.minDelta = numberOption(NAME, o, 'minDelta', 1e-4, { min: 0 });
    this.cooldown = countOption(NAME, o, 'cooldown', 0);
    this.minLr = numberOption(NAME, o, 'minLr', 0, { min: 0 });
    this.mode = directionOf(NAME, this.monitor, o.mode ?? 'auto');
  }

  setModel(model: Model): void { this.model = model; }

  onTrainBegin(): void {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = monitorValue(NAME, this.monitor, logs);
    if (this.cooldownCounter > 0) { this.cooldownCounter--; this.wait = 0; }
    if (this.improves(current)) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter === 0) {
      this.wait++;
      if (this.wait >= this.patience && this.reduce()) {
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  }

  private improves(value: number): boolean {
    return this.mode === 'min' ? value < this.best - this.minDelta : value > this.best + this.minDelta;
  }

  /** Multiplies the rate by factor (at least minLr); false when it is already at minLr or below. */
  private reduce(): boolean {
    const opt = this.model?.optimizer;
    if (!opt) throw new ValueError(`${NAME}: the model has no optimizer; compile it and pass this callback to fit({ callbacks: [...] })`);
    if (typeof opt.lr !== 'number') throw new ValueError(`${NAME}: the optimizer has no numeric lr to reduce, got ${describe(opt.lr)}`);
    if (!(opt.lr > this.minLr)) return false;
    const schedule = opt.lrSchedule;
    if (!schedule) {
      opt.lr = Math.max(opt.lr * this.factor, this.minLr);
      return true;
    }
    const prior = schedule as Partial<ScaledSchedule>;
    const base = prior.base ?? schedule;
    const scale = (prior.scale ?? 1) * this.factor;
    const minLr = this.minLr;
    opt.lr = Object.assign((epoch: number) => Math.max(base(epoch) * scale, minLr), { base, scale }) as ScaledSchedule;
    return true;
  }
}

/** Keras' ReduceLROnPlateau (see ReduceLROnPlateau). */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateau { return new ReduceLROnPlateau(options); }
