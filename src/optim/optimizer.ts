// The optimizer base: parameter binding, per-parameter state (kept out of tidy), learning rate
// as a number or a schedule, gradient clipping (clipNorm / clipValue) and argument checks shared
// by every optimizer. Subclasses only describe their state buffers and call their one fused
// kernel (assembly/optim.ts) per tensor.
import { Tensor, keep, fillTensor, sameShape } from '../tensor.js';
import { DisposedError, ShapeError, ValueError, fmtShape, rejectUnknownOptions } from '../errors.js';
import { describe } from '../ops/util.js';
import { kernels } from '../backend/wasm.js';
import type { LrSchedule } from './schedules.js';

/** A learning rate: a constant, or a schedule `epoch -> lr` (see `optim.schedules`). */
export type LearningRate = number | LrSchedule | ((epoch: number) => number);

/** Parameters as `step`/`zeroGrad`/`bind` accept them: an array or iterable of tensors, or an object of named tensors. */
export type ParamList = Iterable<Tensor> | Record<string, Tensor>;

/** Gradient clipping, an option of every optimizer (applied in `step` before the update). */
export interface ClipOptions {
  /**
   * Clip by the global L2 norm over the step's gradients, as `torch.nn.utils.clip_grad_norm_`: when
   * `maxNorm / (norm + 1e-6) < 1` every gradient is multiplied by that factor. Keras' `global_clipnorm`.
   */
  clipNorm?: number;
  /** Clamp every gradient element to [-clipValue, clipValue] (`clip_grad_value_`, Keras' `clipvalue`). */
  clipValue?: number;
}

/** The option names the base reads besides lr (every optimizer accepts them). */
const CLIP_OPTIONS = ['clipNorm', 'clipValue'] as const;

/** Per-parameter state: PyTorch's `state['step']` and the optimizer's buffers (kept tensors). */
export interface ParamState {
  step: number;
  buffers: Record<string, Tensor>;
}

/** One parameter's optimizer state as plain data: its step count and a copy of each buffer. */
export interface ParamStateDict {
  step: number;
  buffers: Record<string, Float32Array>;
}

/**
 * An optimizer's whole state as plain data (PyTorch's `state_dict`): what `stateDict()` returns
 * and `loadStateDict()` takes, e.g. to save training and resume it elsewhere.
 */
export interface OptimizerStateDict {
  /** The optimizer's name ('sgd', 'adam', ...): a state loads only into the same kind. */
  name: string;
  /** `step()` calls so far. */
  iterations: number;
  /** The epoch the learning-rate schedule is at (the last `setEpoch`). */
  epoch: number;
  /** One entry per parameter, in the order of the list: null for a parameter not updated yet. */
  params: (ParamStateDict | null)[];
}

/**
 * Base class of every optimizer.
 *
 * Learning rate and epochs: `lr` is a number or a schedule (a function `epoch -> lr`, e.g.
 * `optim.schedules.cosine({...})`). The optimizer keeps a current epoch (0 at construction);
 * `setEpoch(e)` moves it and re-evaluates the schedule, so `lr` reads `schedule(e)`. A model's
 * `fit` calls `setEpoch(e)` at the start of each epoch `e` (0-based: the first epoch trains
 * with `schedule(0)`, the initial rate). For per-batch schedules call `setEpoch(step)` yourself
 * with a step counter (the schedule's unit is whatever counter feeds it). With a constant lr,
 * `setEpoch` only records the epoch. Assigning `optimizer.lr = x` replaces the rate (number or
 * schedule) and keeps the current epoch.
 */
export abstract class Optimizer {
  /** The optimizer's name as in `optim.<name>` ('sgd', 'adam', ...). */
  abstract readonly name: string;
  private bound: Tensor[] | null = null;
  private readonly state = new Map<Tensor, ParamState>();
  private schedule: ((epoch: number) => number) | null = null;
  private currentLr = 0;
  private currentEpoch = 0;
  private stepCount = 0;
  /** The clipNorm option (null when off). */
  readonly clipNorm: number | null;
  /** The clipValue option (null when off). */
  readonly clipValue: number | null;

  /** @internal `options`: the checked options object, for the base's own (clipNorm, clipValue). */
  protected constructor(name: string, lr: unknown, params?: ParamList, options: Record<string, unknown> = {}) {
    this.setLr(name, lr);
    this.clipNorm = options.clipNorm === undefined ? null : checkNumber(name, 'clipNorm', options.clipNorm, { min: 0, minExclusive: true });
    this.clipValue = options.clipValue === undefined ? null : checkNumber(name, 'clipValue', options.clipValue, { min: 0, minExclusive: true });
    if (params !== undefined) this.bound = toParamArray(params, name, 'params');
  }

  /** The learning rate in use now (a schedule's value at the current epoch). */
  get lr(): number { return this.currentLr; }
  /** Sets a constant rate or a schedule (evaluated at the current epoch). */
  set lr(value: LearningRate) { this.setLr(this.name, value); }

  /** The epoch the schedule is at (0 until `setEpoch` is called). */
  get epoch(): number { return this.currentEpoch; }

  /** Number of `step()` calls so far. */
  get iterations(): number { return this.stepCount; }

  /** The schedule in use, or null for a constant rate. */
  get lrSchedule(): ((epoch: number) => number) | null { return this.schedule; }

  /** Moves the schedule to `epoch` (a non-negative number, normally the 0-based epoch index). */
  setEpoch(epoch: number): void {
    if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0) {
      throw new ValueError(`${this.name}.setEpoch: epoch must be a non-negative finite number, got ${describe(epoch)}`);
    }
    if (this.schedule) this.currentLr = evalSchedule(this.name, this.schedule, epoch);
    this.currentEpoch = epoch;
  }

  /** Binds the parameters `step()` and `zeroGrad()` use when called without arguments (`model.compile` does this). */
  bind(params: ParamList): this {
    this.bound = toParamArray(params, this.name, 'params');
    return this;
  }

  /** The bound parameters (null when none). */
  get params(): readonly Tensor[] | null { return this.bound; }

  /**
   * Updates every parameter whose `.grad` is set (others are skipped, as PyTorch) with one
   * fused kernel per tensor. `params` defaults to the bound list. Every parameter is checked
   * before any is updated, so an error leaves all of them untouched. With clipNorm / clipValue
   * the update uses clipped copies of the gradients (norm first, then values, as Keras); `.grad`
   * itself is left as backward made it.
   */
  step(params?: ParamList): void {
    const list = this.resolve(params, 'step');
    const todo: [Tensor, Tensor][] = [];
    list.forEach((p, i) => {
      const g = p.grad;
      if (g === null || g === undefined) return;
      if (p.isDisposed) throw new DisposedError(`${this.name}.step: parameter ${i}${label(p)} ${fmtShape(p.shape)} was disposed`);
      if (p.dtype !== 'float32') throw new ValueError(`${this.name}.step: parameter ${i}${label(p)} must be float32, got ${p.dtype}`);
      if (!(g instanceof Tensor) || g.isDisposed) {
        throw new DisposedError(`${this.name}.step: the gradient of parameter ${i}${label(p)} ${fmtShape(p.shape)} was disposed (call zeroGrad() instead of disposing .grad)`);
      }
      if (!sameShape(g.shape, p.shape)) {
        throw new ShapeError(`${this.name}.step: gradient ${fmtShape(g.shape)} does not match parameter${label(p)} ${fmtShape(p.shape)} (parameter ${i} of ${list.length})`);
      }
      if (g.dtype !== 'float32') throw new ValueError(`${this.name}.step: the gradient of parameter ${i}${label(p)} must be float32, got ${g.dtype}`);
      todo.push([p, g]);
    });
    this.dropStaleState();
    // Create every missing state buffer before the first update, so running out of memory
    // here cannot leave some parameters updated and others not.
    const fresh: ParamState[] = [];
    try {
      for (const [p] of todo) {
        if (this.state.has(p)) continue;
        const s: ParamState = { step: 0, buffers: {} };
        fresh.push(s);
        for (const [key, init] of Object.entries(this.stateSpec())) {
          const t = keep(fillTensor(p.shape, init));
          t.name = `${p.name ?? 'param'}.${key}`;
          s.buffers[key] = t;
        }
        this.state.set(p, s);
      }
    } catch (e) {
      for (const [p, s] of this.state) if (fresh.includes(s)) this.state.delete(p);
      for (const s of fresh) for (const t of Object.values(s.buffers)) t.dispose();
      throw e;
    }
    const clip = this.clipping(todo.map(([, g]) => g));
    this.stepCount++;
    try {
      for (const [p, g] of todo) {
        const s = this.state.get(p)!;
        s.step++;
        if (p.size === 0) continue;
        if (!clip) { this.update(p, g, s, this.currentLr); continue; }
        const clipped = clip.scratch._viewAs(p.shape);
        kernels().optimClipGrad(g.ptr, clipped.ptr, g.size, clip.scale, clip.limit);
        this.update(p, clipped, s, this.currentLr);
        clipped.dispose();
      }
    } finally {
      clip?.scratch.dispose();
    }
  }

  /**
   * The clipping of this step, or null when off: the factor every gradient is multiplied by
   * (torch's clip_coef clamped to 1, rounded to float32 as torch's tensor is), the clamp limit,
   * and scratch memory for one clipped gradient (made before any update, so running out of
   * memory here leaves every parameter untouched).
   */
  private clipping(grads: Tensor[]): { scale: number; limit: number; scratch: Tensor } | null {
    if (this.clipNorm === null && this.clipValue === null) return null;
    let scale = 1;
    if (this.clipNorm !== null) {
      let sumSquares = 0;
      for (const g of grads) sumSquares += kernels().optimSumSquares(g.ptr, g.size);
      const norm = Math.fround(Math.sqrt(sumSquares));
      scale = Math.fround(Math.min(1, Math.fround(this.clipNorm / Math.fround(norm + 1e-6))));
    }
    const limit = this.clipValue ?? Infinity;
    let largest = 0;
    for (const g of grads) largest = Math.max(largest, g.size);
    return { scale, limit, scratch: Tensor.empty([largest]) };
  }

  /** Resets `.grad` to null (disposing it) for `params`, else the bound parameters, else every parameter this optimizer has updated. */
  zeroGrad(params?: ParamList): void {
    const list = params !== undefined ? toParamArray(params, this.name, 'params')
      : this.bound ?? [...this.state.keys()];
    for (const p of list) {
      if (p.grad) { p.grad.dispose(); p.grad = null; }
    }
  }

  /** The state buffers of one parameter (undefined before its first update); for inspection and tests. */
  getState(param: Tensor): Readonly<ParamState> | undefined {
    return this.state.get(param);
  }

  /**
   * The whole state as plain data: step count, schedule epoch, and per parameter of `params`
   * (default: the bound ones) its step and a copy of each buffer (momentum, Adam's moments, ...).
   */
  stateDict(params?: ParamList): OptimizerStateDict {
    const list = this.resolve(params, 'stateDict');
    return {
      name: this.name, iterations: this.stepCount, epoch: this.currentEpoch,
      params: list.map((p) => {
        const s = this.state.get(p);
        if (!s) return null;
        const buffers: Record<string, Float32Array> = {};
        for (const [key, t] of Object.entries(s.buffers)) buffers[key] = t.dataSync() as Float32Array;
        return { step: s.step, buffers };
      }),
    };
  }

  /** The names of the buffers each parameter's state holds ('momentumBuffer', 'expAvg', ...), sorted. */
  stateKeys(): string[] {
    return Object.keys(this.stateSpec()).sort();
  }

  /**
   * Replaces the state by one `stateDict()` returned (same optimizer kind, same parameter list
   * and shapes): the next `step` continues exactly where that optimizer stopped. Everything is
   * checked before anything changes: on error the optimizer keeps its state.
   */
  loadStateDict(state: OptimizerStateDict, params?: ParamList): void {
    const list = this.resolve(params, 'loadStateDict');
    const where = `${this.name}.loadStateDict`;
    if (!state || typeof state !== 'object') throw new ValueError(`${where}: expects the object stateDict() returns, got ${describe(state)}`);
    if (state.name !== this.name) throw new ValueError(`${where}: the state is of optimizer '${String(state.name)}', not '${this.name}'`);
    const count = (v: unknown, what: string) => {
      if (!Number.isInteger(v) || (v as number) < 0) throw new ValueError(`${where}: ${what} must be a non-negative integer, got ${describe(v)}`);
      return v as number;
    };
    const iterations = count(state.iterations, 'iterations');
    if (typeof state.epoch !== 'number' || !Number.isFinite(state.epoch) || state.epoch < 0) throw new ValueError(`${where}: epoch must be a non-negative finite number, got ${describe(state.epoch)}`);
    if (!Array.isArray(state.params) || state.params.length !== list.length) {
      throw new ValueError(`${where}: the state holds ${Array.isArray(state.params) ? state.params.length : describe(state.params)} parameter entries but ${list.length} parameters are given`);
    }
    const slots = this.stateKeys();
    state.params.forEach((e, i) => {
      if (e === null) return;
      const p = list[i];
      count(e.step, `the step of parameter ${i}${label(p)}`);
      const keys = Object.keys(e.buffers ?? {}).sort();
      if (keys.join() !== slots.join()) {
        throw new ValueError(`${where}: parameter ${i}${label(p)} has buffers [${keys.join(', ')}] but this ${this.name} keeps [${slots.join(', ')}]`);
      }
      for (const key of keys) {
        const b = e.buffers[key];
        if (!(b instanceof Float32Array) || b.length !== p.size) {
          throw new ShapeError(`${where}: buffer '${key}' of parameter ${i}${label(p)} ${fmtShape(p.shape)} holds ${b instanceof Float32Array ? b.length : describe(b)} values, expected ${p.size}`);
        }
      }
    });
    const lr = this.schedule ? evalSchedule(this.name, this.schedule, state.epoch) : this.currentLr;
    const next = new Map<Tensor, ParamState>();
    try {
      state.params.forEach((e, i) => {
        if (e === null) return;
        const s: ParamState = { step: e.step, buffers: {} };
        next.set(list[i], s);
        for (const key of slots) {
          const t = keep(Tensor.empty(list[i].shape));
          t.view().set(e.buffers[key]);
          t.name = `${list[i].name ?? 'param'}.${key}`;
          s.buffers[key] = t;
        }
      });
    } catch (err) {
      for (const s of next.values()) for (const t of Object.values(s.buffers)) t.dispose();
      throw err;
    }
    this.dispose();
    for (const [p, s] of next) this.state.set(p, s);
    this.stepCount = iterations;
    this.currentEpoch = state.epoch;
    this.currentLr = lr;
  }

  /** Frees every state buffer; a later `step` starts from fresh state (step counts restart). */
  dispose(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.buffers)) t.dispose();
    this.state.clear();
  }

  /** The hyper-parameters (and lr or its schedule's config), e.g. for saving a model. */
  getConfig(): Record<string, unknown> {
    const sched = this.schedule as (LrSchedule | null);
    const clip = { ...(this.clipNorm !== null ? { clipNorm: this.clipNorm } : {}), ...(this.clipValue !== null ? { clipValue: this.clipValue } : {}) };
    return { name: this.name, lr: sched ? (sched.config ?? 'custom schedule') : this.currentLr, ...this.hyperParameters(), ...clip };
  }

  /** @internal buffer name -> initial value, created per parameter at its first update. */
  protected abstract stateSpec(): Record<string, number>;
  /** @internal one fused kernel call updating `p` (and `state`) from `g`; `state.step` is already incremented. */
  protected abstract update(p: Tensor, g: Tensor, state: ParamState, lr: number): void;
  /** @internal hyper-parameters other than lr. */
  protected abstract hyperParameters(): Record<string, unknown>;

  private setLr(name: string, value: unknown): void {
    if (typeof value === 'function') {
      const sched = value as (epoch: number) => number;
      this.currentLr = evalSchedule(name, sched, this.currentEpoch);
      this.schedule = sched;
      return;
    }
    this.currentLr = checkNumber(name, 'lr', value, { min: 0 });
    this.schedule = null;
  }

  private resolve(params: ParamList | undefined, method: string): Tensor[] {
    if (params !== undefined) return toParamArray(params, this.name, 'params');
    if (this.bound) return this.bound;
    throw new ValueError(`${this.name}.${method}: no parameters: pass them (${method}(model.parameters())) or bind them (compile / bind / the constructor)`);
  }

  private dropStaleState(): void {
    for (const [p, s] of this.state) {
      if (p.isDisposed) {
        for (const t of Object.values(s.buffers)) t.dispose();
        this.state.delete(p);
      }
    }
  }
}

function label(p: Tensor): string {
  return p.name ? ` '${p.name}'` : '';
}

function evalSchedule(name: string, sched: (epoch: number) => number, epoch: number): number {
  const v = sched(epoch);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ValueError(`${name}: the learning-rate schedule returned ${describe(v)} at epoch ${epoch}; it must give a non-negative finite number`);
  }
  return v;
}

function toParamArray(params: ParamList, name: string, arg: string): Tensor[] {
  let items: unknown[];
  if (params !== null && typeof params === 'object' && typeof (params as any)[Symbol.iterator] === 'function') {
    items = [...(params as Iterable<unknown>)];
  } else if (params !== null && typeof params === 'object') {
    items = Object.values(params);
  } else {
    throw new ValueError(`${name}: ${arg} must be an array of tensors, got ${describe(params)}`);
  }
  const seen = new Set<Tensor>();
  const out: Tensor[] = [];
  items.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new ValueError(`${name}: ${arg}[${i}] is not a Tensor (${describe(p)})`);
    p._checkLive(name, `${arg}[${i}]`);
    if (!seen.has(p)) { seen.add(p); out.push(p); }
  });
  return out;
}

// ---- hyper-parameter checks (at construction, naming the optimizer and the value) ----------

export interface NumberRule { min?: number; max?: number; maxExclusive?: boolean; minExclusive?: boolean }

/** A finite number within [min, max] (or the exclusive variants); ValueError otherwise. */
export function checkNumber(opt: string, key: string, value: unknown, rule: NumberRule = {}): number {
  const range = () => {
    const lo = rule.min === undefined ? '(-inf' : `${rule.minExclusive ? '(' : '['}${rule.min}`;
    const hi = rule.max === undefined ? 'inf)' : `${rule.max}${rule.maxExclusive ? ')' : ']'}`;
    return `${lo}, ${hi}`;
  };
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${opt}: ${key} must be a finite number in ${range()}, got ${describe(value)}`);
  }
  const bad = (rule.min !== undefined && (rule.minExclusive ? value <= rule.min : value < rule.min)) ||
    (rule.max !== undefined && (rule.maxExclusive ? value >= rule.max : value > rule.max));
  if (bad) throw new ValueError(`${opt}: ${key} must be in ${range()}, got ${value}`);
  return value;
}

export function checkBool(opt: string, key: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValueError(`${opt}: ${key} must be a boolean, got ${describe(value)}`);
  return value;
}

/** Checks the options object and rejects unknown keys (a typo such as `learningRate` fails loudly). */
export function checkOptions(opt: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${opt}: options must be an object, got ${describe(options)}`);
  }
  rejectUnknownOptions(opt, options, known);
  return options as Record<string, unknown>;
}

/** checkOptions for an optimizer: its own keys (with lr) plus the base's clipNorm and clipValue. */
export function checkOptimizerOptions(opt: string, options: unknown, own: readonly string[]): Record<string, unknown> {
  return checkOptions(opt, options, [...own, ...CLIP_OPTIONS]);
}

/** `options[key]` or its default, checked as a number. */
export function numberOption(opt: string, options: Record<string, unknown>, key: string, dflt: number, rule: NumberRule): number {
  const v = options[key];
  return checkNumber(opt, key, v === undefined ? dflt : v, rule);
}

export function boolOption(opt: string, options: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = options[key];
  return checkBool(opt, key, v === undefined ? dflt : v);
}
