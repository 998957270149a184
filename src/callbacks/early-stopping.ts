// callbacks.earlyStopping: Keras' EarlyStopping. At each epoch's end the monitored value either
// improves on the best so far by more than minDelta, or the wait counter grows; training stops once
// it reaches patience. With restoreBestWeights the weights of the best epoch are put back when
// training ends (whether it stopped early or ran to the last epoch), as Keras 3 does.
import { ValueError, fmtValue } from '../errors.js';
import { checkOptions, numberOption, boolOption } from '../optim/optimizer.js';
import type { Callbacks, Logs } from '../model/callbacks.js';
import type { Model } from '../model/model.js';
import { checkMonitor, directionOf, monitorValue, countOption, type MonitorMode } from './monitor.js';

export interface EarlyStoppingOptions {
  /** The log key to watch (default 'valLoss'). */
  monitor?: string;
  /** Epochs without improvement before stopping (default 0: stop at the first one, from the second epoch on). */
  patience?: number;
  /** An improvement must beat the best by more than this (default 0; >= 0). */
  minDelta?: number;
  /** 'min', 'max' or 'auto' (a loss falls, the metrics rise). */
  mode?: MonitorMode;
  /** Put back the weights of the best epoch when training ends (default false). */
  restoreBestWeights?: boolean;
  /** The wait counter restarts only on epochs that also beat this value. */
  baseline?: number;
  /** Epochs (0-based index) before monitoring starts, a warm-up (default 0). */
  startFromEpoch?: number;
}

const NAME = 'earlyStopping';

export class EarlyStopping implements Callbacks {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: 'min' | 'max';
  readonly restoreBestWeights: boolean;
  readonly baseline: number | undefined;
  readonly startFromEpoch: number;
  /** Epochs since the last improvement. */
  wait = 0;
  /** The best monitored value so far (±Infinity before the first). */
  best = Infinity;
  /** The epoch (0-based) of the best value, -1 before the first. */
  bestEpoch = -1;
  /** The epoch (0-based) training was stopped at, -1 when it was not stopped. */
  stoppedEpoch = -1;
  private model: Model | null = null;
  private bestWeights: Float32Array[] | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    const o = checkOptions(NAME, options, ['monitor', 'patience', 'minDelta', 'mode', 'restoreBestWeights', 'baseline', 'startFromEpoch']);
    this.monitor = checkMonitor(NAME, o.monitor ?? 'valLoss');
    this.patience = countOption(NAME, o, 'patience', 0);
    this.minDelta = numberOption(NAME, o, 'minDelta', 0, { min: 0 });
    this.mode = directionOf(NAME, this.monitor, o.mode ?? 'auto');
    this.restoreBestWeights = boolOption(NAME, o, 'restoreBestWeights', false);
    if (o.baseline !== undefined && (typeof o.baseline !== 'number' || !Number.isFinite(o.baseline))) {
      throw new ValueError(`${NAME}: option 'baseline' must be a finite number, got ${fmtValue(o.baseline)}`);
    }
    this.baseline = o.baseline as number | undefined;
    this.startFromEpoch = countOption(NAME, o, 'startFromEpoch', 0);
  }

  setModel(model: Model): void { this.model = model; }

  onTrainBegin(): void {
    this.wait = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.bestWeights = null;
  }

  onEpochEnd(epoch: number, logs: Logs): void {
    const current = monitorValue(NAME, this.monitor, logs);
    if (epoch < this.startFromEpoch) return;
    // The first monitored epoch's weights stand in until one improves.
    if (this.restoreBestWeights && this.bestWeights === null) { this.bestWeights = this.copyWeights(); this.bestEpoch = epoch; }
    this.wait++;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.copyWeights();
      // The wait restarts only when the value also beats the baseline.
      if (this.baseline === undefined || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.requireModel().stopTraining = true;
    }
  }

  onTrainEnd(): void {
    if (!this.restoreBestWeights || this.bestWeights === null) return;
    const saved = this.bestWeights;
    this.requireModel().weights().forEach((w, i) => w.view().set(saved[i]));
  }

  /** Keras' comparison: beyond the reference by more than minDelta, in the mode's direction. */
  private improves(value: number, reference: number): boolean {
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  private copyWeights(): Float32Array[] {
    return this.requireModel().weights().map((w) => (w.view() as Float32Array).slice());
  }

  private requireModel(): Model {
    if (!this.model) throw new ValueError(`${NAME}: not attached to a model; pass it to fit({ callbacks: [...] })`);
    return this.model;
  }
}

/** Keras' EarlyStopping (see EarlyStopping). */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping { return new EarlyStopping(options); }
