// Keras weight initialisers. Every draw comes from the one seeded generator (src/random.ts), so a
// seeded model starts from bit-identical weights; fans follow Keras' `_compute_fans` (HWIO and
// [kh, kw, C, multiplier] kernels: receptive field * shape[-2] in, receptive field * shape[-1] out).
import { Tensor, fillTensor, checkShape } from '../tensor.js';
import { fillUniform, fillNormal, fillTruncatedNormal } from '../random.js';
import { ValueError, fmtValue } from '../errors.js';

/** A Keras initialiser name ('glorotUniform' or 'glorot_uniform', ...) or `{ name, ...options }`. */
export type InitializerSpec = string | { name: string; [option: string]: unknown };

export interface Initializer {
  /** A new tensor of `shape` with the initial values. */
  init(shape: readonly number[]): Tensor;
  /** Serialisable form (as given, with the canonical name). */
  toJSON(): InitializerSpec;
}

/** Keras' fans: [fanIn, fanOut] for a weight shape. */
export function computeFans(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  let receptive = 1;
  for (let i = 0; i < shape.length - 2; i++) receptive *= shape[i];
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

// Keras' truncated normal is cut at 2 std, which shrinks the std by this factor; VarianceScaling
// divides it out so the drawn values have the asked-for variance.
const TRUNC_STD_CORRECTION = 0.87962566103423978;

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
type Dist = 'truncatedNormal' | 'uniform' | 'untruncatedNormal';

// While set (by loading a saved model), initialisers only allocate: weights are about to be
// overwritten and the seeded stream must not move.
let skipDraws = false;
/** @internal runs fn with initialisers that allocate without drawing. */
export function withoutInitDraws<T>(fn: () => T): T {
  const prev = skipDraws;
  skipDraws = true;
  try { return fn(); } finally { skipDraws = prev; }
}

// While set (loading a model with its weights.bin), the weights the layers create may hold at
// most this many values in total: a damaged model.json asking for more than the file holds fails
// before allocating it (instead of growing wasm memory by gigabytes and then failing the manifest check).
let budget: { left: number; what: string } | null = null;
/** @internal runs fn with initialisers refusing to create more than `floats` values in total. */
export function withWeightBudget<T>(floats: number, what: string, fn: () => T): T {
  const prev = budget;
  budget = { left: floats, what };
  try { return fn(); } finally { budget = prev; }
}
// While set (checking a model.json before building it), initialisers allocate nothing: each
// returns a tensor of the right shape with no memory behind it, and the values are counted.
let plan: { floats: number } | null = null;
/**
 * @internal runs fn with initialisers that allocate nothing (their tensors have shapes but no
 * memory: they must only be counted and disposed); returns fn's result and the values asked for.
 */
export function planWeights<T>(fn: () => T): { result: T; floats: number } {
  const prev = plan;
  plan = { floats: 0 };
  try { const result = fn(); return { result, floats: plan.floats }; } finally { plan = prev; }
}
/** A tensor with a shape and no memory (dispose frees nothing). */
function unbacked(shape: readonly number[]): Tensor {
  checkShape(shape, 'tensor'); // as Tensor.empty would, so a bad size cannot offset the count
  return new Tensor(shape, 'float32', { refs: 1, ptr: 0, bytes: 0 });
}

function claim(shape: readonly number[]): void {
  if (plan) { let n = 1; for (const d of shape) n *= d; plan.floats += n; }
  if (!budget) return;
  let n = 1;
  for (const d of shape) n *= d;
  budget.left -= n;
  if (budget.left < 0) throw new ValueError(`the layers need far more weight values than ${budget.what} holds (a weight of shape [${shape.join(',')}] goes past it)`);
}

function varianceScaling(shape: readonly number[], scale: number, mode: Mode, dist: Dist): Tensor {
  const t = Tensor.empty(shape);
  if (skipDraws) return t;
  const [fanIn, fanOut] = computeFans(shape);
  const n = mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
  const s = scale / Math.max(1, n);
  if (dist === 'uniform') {
    const limit = Math.sqrt(3 * s);
    fillUniform(t.ptr, t.size, -limit, limit);
  } else if (dist === 'truncatedNormal') {
    fillTruncatedNormal(t.ptr, t.size, 0, Math.sqrt(s) / TRUNC_STD_CORRECTION);
  } else {
    fillNormal(t.ptr, t.size, 0, Math.sqrt(s));
  }
  return t;
}

const VS: Record<string, [number, Mode, Dist]> = {
  glorotUniform: [1, 'fanAvg', 'uniform'],
  glorotNormal: [1, 'fanAvg', 'truncatedNormal'],
  heUniform: [2, 'fanIn', 'uniform'],
  heNormal: [2, 'fanIn', 'truncatedNormal'],
  lecunUniform: [1, 'fanIn', 'uniform'],
  lecunNormal: [1, 'fanIn', 'truncatedNormal'],
};

const NAMES = ['zeros', 'ones', 'constant', 'randomNormal', 'randomUniform', 'truncatedNormal', 'varianceScaling', ...Object.keys(VS)];

/** 'glorot_uniform' / 'GlorotUniform' / 'glorotUniform' -> 'glorotUniform'. */
function canonical(name: string): string {
  const camel = name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const lower = camel.charAt(0).toLowerCase() + camel.slice(1);
  return lower === 'zero' ? 'zeros' : lower === 'one' ? 'ones' : lower;
}

function num(opts: Record<string, unknown>, key: string, dflt: number, where: string, min = -Infinity): number {
  const v = opts[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new ValueError(`${where}: option '${key}' must be a finite number${min > -Infinity ? ` >= ${min}` : ''}, got ${fmtValue(v)}`);
  }
  return v;
}

/** Resolves a spec to an initialiser; throws ValueError naming `where` (e.g. "conv2d: kernelInitializer"). */
export function getInitializer(spec: InitializerSpec | Initializer, where: string): Initializer {
  if (spec && typeof spec === 'object' && typeof (spec as Initializer).init === 'function') return spec as Initializer;
  const given = typeof spec === 'string' ? { name: spec } : spec;
  if (!given || typeof given !== 'object' || typeof (given as any).name !== 'string') {
    throw new ValueError(`${where} must be an initialiser name such as 'glorotUniform' or { name, ...options }, got ${fmtValue(spec)}`);
  }
  const opts = given as Record<string, unknown>;
  const name = canonical(opts.name as string);
  if (!NAMES.includes(name)) {
    throw new ValueError(`${where}: unknown initialiser ${fmtValue(opts.name)} (known: ${NAMES.join(', ')})`);
  }
  const json = (): InitializerSpec => (typeof spec === 'string' ? name : { ...opts, name });
  const make = (init: (shape: readonly number[]) => Tensor): Initializer => ({
    init: (shape) => { claim(shape); return plan ? unbacked(shape) : init(shape); },
    toJSON: json,
  });
  const fromVS = (scale: number, mode: Mode, dist: Dist) => make((shape) => varianceScaling(shape, scale, mode, dist));
  switch (name) {
    case 'zeros': return make((shape) => fillTensor(shape, 0));
    case 'ones': return make((shape) => fillTensor(shape, 1));
    case 'constant': {
      const value = num(opts, 'value', 0, where);
      return make((shape) => fillTensor(shape, value));
    }
    case 'randomNormal': case 'truncatedNormal': {
      const mean = num(opts, 'mean', 0, where);
      const std = num(opts, 'stddev', num(opts, 'std', 0.05, where, 0), where, 0);
      return make((shape) => {
        const t = Tensor.empty(shape);
        if (skipDraws) return t;
        if (name === 'randomNormal') fillNormal(t.ptr, t.size, mean, std);
        else fillTruncatedNormal(t.ptr, t.size, mean, std);
        return t;
      });
    }
    case 'randomUniform': {
      const low = num(opts, 'minval', num(opts, 'low', -0.05, where), where);
      const high = num(opts, 'maxval', num(opts, 'high', 0.05, where), where);
      if (high < low) throw new ValueError(`${where}: randomUniform needs minval <= maxval, got ${low} > ${high}`);
      return make((shape) => {
        const t = Tensor.empty(shape);
        if (!skipDraws) fillUniform(t.ptr, t.size, low, high);
        return t;
      });
    }
    case 'varianceScaling': {
      const scale = num(opts, 'scale', 1, where, 0);
      const mode = canonical(String(opts.mode ?? 'fanIn')) as Mode;
      const dist = canonical(String(opts.distribution ?? 'truncatedNormal')) as Dist;
      if (!['fanIn', 'fanOut', 'fanAvg'].includes(mode)) throw new ValueError(`${where}: varianceScaling mode must be fanIn, fanOut or fanAvg, got ${fmtValue(opts.mode)}`);
      const d = dist === ('normal' as Dist) ? 'truncatedNormal' : dist;
      if (!['truncatedNormal', 'uniform', 'untruncatedNormal'].includes(d)) throw new ValueError(`${where}: varianceScaling distribution must be truncatedNormal, untruncatedNormal or uniform, got ${fmtValue(opts.distribution)}`);
      return fromVS(scale, mode, d);
    }
    default: {
      const [scale, mode, dist] = VS[name];
      return fromVS(scale, mode, dist);
    }
  }
}

// Factories for users who want to pass objects (`nn.initializers.heNormal()`).
export const glorotUniform = (): Initializer => getInitializer('glorotUniform', 'glorotUniform');
export const glorotNormal = (): Initializer => getInitializer('glorotNormal', 'glorotNormal');
export const heUniform = (): Initializer => getInitializer('heUniform', 'heUniform');
export const heNormal = (): Initializer => getInitializer('heNormal', 'heNormal');
export const lecunUniform = (): Initializer => getInitializer('lecunUniform', 'lecunUniform');
export const lecunNormal = (): Initializer => getInitializer('lecunNormal', 'lecunNormal');
export const zeros = (): Initializer => getInitializer('zeros', 'zeros');
export const ones = (): Initializer => getInitializer('ones', 'ones');
export const constant = (opts: { value: number }): Initializer => getInitializer({ name: 'constant', ...opts }, 'constant');
export const randomNormal = (opts: { mean?: number; stddev?: number } = {}): Initializer => getInitializer({ name: 'randomNormal', ...opts }, 'randomNormal');
export const randomUniform = (opts: { minval?: number; maxval?: number } = {}): Initializer => getInitializer({ name: 'randomUniform', ...opts }, 'randomUniform');
export const truncatedNormal = (opts: { mean?: number; stddev?: number } = {}): Initializer => getInitializer({ name: 'truncatedNormal', ...opts }, 'truncatedNormal');
