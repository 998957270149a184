/// <reference types="node" />
// Command-line parsing: UsageError (bad usage, exit code 2), node:util's parseArgs with its errors
// as UsageError, and the options of `wasm-cnn train` checked against the presets.
import { parseArgs } from 'node:util';
import type { AugmentOptions } from '../data/augment.js';
import { _planAugment as planAugment } from '../index.js';
import { PRESETS, OPTIMIZERS, SCHEDULES } from './presets.js';

export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** parseArgs in strict mode; its complaints (unknown option, missing value, ...) become UsageError. */
export function parseOptions(args: string[], options: OptionSpec, allowPositionals: boolean): ParsedArgs {
  try {
    const r = parseArgs({ args, options, allowPositionals, strict: true });
    return { values: r.values as ParsedArgs['values'], positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface TrainOptions {
  dataset: 'mnist' | 'fashion';
  data?: string;
  model: string;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  schedule: string;
  augment: AugmentOptions | null;
  augmentText: string;
  seed: number;
  threads: number | 'auto';
  simd: 'auto' | 'relaxed' | 'baseline';
  save?: string;
  /** --data DIR of class folders: the side images are resized to (square); undefined: 64. */
  imageSize?: number;
  /** --data DIR of class folders without train/test: the share held out for testing. */
  validationSplit: number;
  verbose: boolean;
  quiet: boolean;
}

const TRAIN_OPTIONS: OptionSpec = {
  dataset: { type: 'string' },
  data: { type: 'string' },
  model: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  optimizer: { type: 'string' },
  lr: { type: 'string' },
  schedule: { type: 'string' },
  augment: { type: 'string' },
  seed: { type: 'string' },
  threads: { type: 'string' },
  simd: { type: 'string' },
  save: { type: 'string' },
  'image-size': { type: 'string' },
  'validation-split': { type: 'string' },
  verbose: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

function intArg(name: string, v: string | undefined, fallback: number, min: number): number {
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return Number(v);
}

/** `--augment` words that take a number, and the data.augment option each sets. */
const NUMERIC_AUGMENTS: Record<string, (v: number) => AugmentOptions> = {
  rotate: (v) => ({ rotation: v }),
  zoom: (v) => ({ zoom: v }),
  brightness: (v) => ({ brightness: v }),
  contrast: (v) => ({ contrast: v }),
  cutout: (v) => ({ cutout: { size: v } }),
};
const AUGMENT_WORDS = 'flip, vflip, crop[:PAD], rotate:DEG, zoom:F, brightness:F, contrast:F, cutout:N or none';

export function parseAugment(text: string): AugmentOptions | null {
  let out: AugmentOptions = {};
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, arg] = part.split(':');
    if (name === 'none' && arg === undefined) continue;
    if (name === 'flip' && arg === undefined) { out.flipHorizontal = true; continue; }
    if (name === 'vflip' && arg === undefined) { out.flipVertical = true; continue; }
    if (name === 'crop') {
      const pad = arg === undefined ? 2 : /^\d+$/.test(arg) ? Number(arg) : NaN;
      if (!Number.isInteger(pad)) throw new UsageError(`--augment: crop padding must be an integer, got '${arg}'`);
      out.randomCrop = { padding: pad };
      continue;
    }
    const numeric = Object.hasOwn(NUMERIC_AUGMENTS, name) ? NUMERIC_AUGMENTS[name] : undefined;
    if (numeric) {
      const v = arg !== undefined && /^\d+(\.\d+)?$/.test(arg) ? Number(arg) : NaN;
      if (Number.isNaN(v)) throw new UsageError(`--augment: ${name} needs a number, as in ${name}:${name === 'rotate' ? '15' : name === 'cutout' ? '8' : '0.2'}, got '${part}'`);
      out = { ...out, ...numeric(v) };
      continue;
    }
    throw new UsageError(`--augment: unknown augmentation '${part}' (use ${AUGMENT_WORDS})`);
  }
  if (!Object.keys(out).length) return null;
  try {
    planAugment(out); // the ranges data.augment accepts, reported before training starts
  } catch (e) {
    throw new UsageError(`--augment: ${(e as Error).message.replace(/^augment: /, '')}`);
  }
  return out;
}

/** Parses `train` options (argv without the command word). Throws UsageError. */
export function parseTrainArgs(argv: string[]): TrainOptions {
  const { values } = parseOptions(argv, TRAIN_OPTIONS, false);
  const str = (k: string) => values[k] as string | undefined;
  const dataset = str('dataset') ?? 'mnist';
  if (dataset !== 'mnist' && dataset !== 'fashion') throw new UsageError(`--dataset must be mnist or fashion, got '${dataset}'`);
  if (str('data') !== undefined && str('dataset') !== undefined) throw new UsageError('give --dataset or --data, not both');
  const model = str('model') ?? 'lenet';
  // Own keys only: '--model constructor' must not find Object.prototype's.
  const preset = Object.hasOwn(PRESETS, model) ? PRESETS[model] : undefined;
  if (!preset) throw new UsageError(`--model must be one of ${Object.keys(PRESETS).join(', ')}, got '${model}'`);
  const optimizer = str('optimizer') ?? preset.optimizer;
  if (!OPTIMIZERS.includes(optimizer)) throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${optimizer}'`);
  let lr = preset.lr;
  if (str('lr') !== undefined) {
    lr = Number(str('lr'));
    if (!(lr > 0) || !Number.isFinite(lr)) throw new UsageError(`--lr must be a positive number, got '${str('lr')}'`);
  }
  const schedule = str('schedule') ?? preset.schedule;
  if (!SCHEDULES.includes(schedule)) throw new UsageError(`--schedule must be one of ${SCHEDULES.join(', ')}, got '${schedule}'`);
  let seed = 1;
  if (str('seed') !== undefined) {
    if (!/^-?\d+$/.test(str('seed')!)) throw new UsageError(`--seed must be an integer, got '${str('seed')}'`);
    seed = Number(str('seed'));
  }
  let threads: number | 'auto' = 'auto';
  if (str('threads') !== undefined && str('threads') !== 'auto') threads = intArg('threads', str('threads'), 1, 1);
  const simd = (str('simd') ?? 'auto') as TrainOptions['simd'];
  if (!['auto', 'relaxed', 'baseline'].includes(simd)) throw new UsageError(`--simd must be auto, relaxed or baseline, got '${simd}'`);
  const augmentText = str('augment') ?? preset.augment;
  let validationSplit = 0.2;
  if (str('validation-split') !== undefined) {
    validationSplit = Number(str('validation-split'));
    if (!(validationSplit > 0 && validationSplit < 1)) throw new UsageError(`--validation-split must be a number between 0 and 1, got '${str('validation-split')}'`);
  }
  return {
    dataset, data: str('data'), model,
    epochs: intArg('epochs', str('epochs'), preset.epochs, 1),
    batchSize: intArg('batch-size', str('batch-size'), preset.batchSize, 1),
    optimizer, lr, schedule,
    augment: parseAugment(augmentText), augmentText,
    seed, threads, simd,
    save: str('save'),
    imageSize: str('image-size') === undefined ? undefined : intArg('image-size', str('image-size'), 64, 1),
    validationSplit,
    verbose: !!values.verbose, quiet: !!values.quiet,
  };
}
