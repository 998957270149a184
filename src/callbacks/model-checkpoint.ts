// callbacks.modelCheckpoint: Keras' ModelCheckpoint, saving at each epoch's end with model.save
// (with includeOptimizer, a checkpoint that a later fit resumes from).
// A string path may hold placeholders filled from the epoch (1-based, as Keras) and the epoch's logs:
// `{epoch}`, `{epoch:03d}` (zero-padded), `{valLoss}`, `{valLoss:.4f}` (fixed decimals). With
// saveBestOnly the model is written only when the monitored value beats the best so far.
import { ValueError, fmtValue } from '../errors.js';
import { checkOptions, boolOption } from '../optim/optimizer.js';
import type { SaveTarget } from '../io/format.js';
import type { Callbacks, Logs } from '../model/callbacks.js';
import type { Model } from '../model/model.js';
import { checkMonitor, directionOf, monitorValue, type MonitorMode } from './monitor.js';

export interface ModelCheckpointOptions {
  /** Where model.save writes: a directory path (placeholders allowed), a URL, or an object with save(artifacts). */
  path: SaveTarget;
  /** The log key saveBestOnly compares (default 'valLoss'). */
  monitor?: string;
  /** Save only when the monitored value improves on the best so far (default false: every epoch). */
  saveBestOnly?: boolean;
  /** 'min', 'max' or 'auto' (a loss falls, the metrics rise). */
  mode?: MonitorMode;
  /** Write checkpoints a later fit resumes from: model.save(path, { includeOptimizer: true }) (default false). */
  includeOptimizer?: boolean;
}

const NAME = 'modelCheckpoint';
const PLACEHOLDER = /\{([^{}]*)\}/g;
const FIELD = /^([A-Za-z][A-Za-z0-9_]*)(?::(?:0(\d+)d|\.(\d+)f))?$/;

export class ModelCheckpoint implements Callbacks {
  readonly path: SaveTarget;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly mode: 'min' | 'max';
  readonly includeOptimizer: boolean;
  /** The best monitored value so far (saveBestOnly). */
  best = Infinity;
  /** Where each save went, in order (the formatted paths; the target itself for non-string targets). */
  readonly saved: SaveTarget[] = [];
  private model: Model | null = null;

  constructor(options: ModelCheckpointOptions) {
    if (options === undefined) throw new ValueError(`${NAME}: options { path, monitor?, saveBestOnly?, mode? } are required`);
    const o = checkOptions(NAME, options, ['path', 'monitor', 'saveBestOnly', 'mode', 'includeOptimizer']);
    const path = o.path;
    const isTarget = path instanceof URL || (path !== null && typeof path === 'object' && typeof (path as { save?: unknown }).save === 'function');
    if (!(typeof path === 'string' && path !== '') && !isTarget) {
      throw new ValueError(`${NAME}: option 'path' must be a non-empty directory path, a URL or an object with save(artifacts), got ${fmtValue(path)}`);
    }
    if (typeof path === 'string') {
      for (const [, field] of path.matchAll(PLACEHOLDER)) {
        if (!FIELD.test(field)) throw new ValueError(`${NAME}: placeholder {${field}} in path ${fmtValue(path)}: use {epoch}, {epoch:03d}, {<log key>} or {<log key>:.4f}`);
      }
    }
    this.path = path as SaveTarget;
    this.monitor = checkMonitor(NAME, o.monitor ?? 'valLoss');
    this.saveBestOnly = boolOption(NAME, o, 'saveBestOnly', false);
    this.mode = directionOf(NAME, this.monitor, o.mode ?? 'auto');
    this.includeOptimizer = boolOption(NAME, o, 'includeOptimizer', false);
  }

  setModel(model: Model): void { this.model = model; }

  onTrainBegin(): void { this.best = this.mode === 'min' ? Infinity : -Infinity; }

  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.saveBestOnly) {
      const current = monitorValue(NAME, this.monitor, logs);
      if (!(this.mode === 'min' ? current < this.best : current > this.best)) return;
      this.best = current;
    }
    if (!this.model) throw new ValueError(`${NAME}: not attached to a model; pass it to fit({ callbacks: [...] })`);
    const target = typeof this.path === 'string' ? fillPath(this.path, epoch + 1, logs) : this.path;
    await this.model.save(target, { includeOptimizer: this.includeOptimizer });
    this.saved.push(target);
  }
}

/** The path with its placeholders filled; ValueError naming the log keys when one is missing. */
function fillPath(path: string, epoch: number, logs: Logs): string {
  return path.replace(PLACEHOLDER, (_, field: string) => {
    const [, key, pad, decimals] = FIELD.exec(field)!;
    const v = key === 'epoch' ? epoch : logs[key];
    if (typeof v !== 'number') {
      throw new ValueError(`${NAME}: placeholder {${field}} in path '${path}' names no log value (available: epoch, ${Object.keys(logs).join(', ')})`);
    }
    if (decimals !== undefined) return v.toFixed(Number(decimals));
    return pad !== undefined ? String(v).padStart(Number(pad), '0') : String(v);
  });
}

/** Keras' ModelCheckpoint (see ModelCheckpoint). */
export function modelCheckpoint(options: ModelCheckpointOptions): ModelCheckpoint { return new ModelCheckpoint(options); }
