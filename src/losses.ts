// Losses (API.md "Losses and optimizers"): each is one fused kernel (assembly/loss.ts) that
// computes the mean loss and, when yPred needs a gradient, that gradient in the same pass;
// backward only scales the stored gradient by the upstream scalar.
import { Tensor, record, isGradEnabled, sameShape } from './tensor.js';
import { tensor } from './creation.js';
import { kernels } from './backend/wasm.js';
import { ShapeError, ValueError, fmtShape } from './errors.js';
import { asFloat, describe } from './ops/util.js';

/** Options of the cross-entropy losses. */
export interface CrossentropyOptions {
  /** yPred are unnormalised logits (softmax / sigmoid fused, numerically stable); default false. */
  fromLogits?: boolean;
}
/** Options of the categorical cross-entropies. */
export interface CategoricalCrossentropyOptions extends CrossentropyOptions {
  /**
   * In [0, 1): the targets become `yTrue * (1 - labelSmoothing) + labelSmoothing / classes`
   * before the loss (Keras; with logits the same as PyTorch's CrossEntropyLoss(label_smoothing)). Default 0.
   */
  labelSmoothing?: number;
}
/** Options of the Huber loss. */
export interface HuberOptions {
  /** Where the loss switches from quadratic to linear; default 1. */
  delta?: number;
}
/** Targets: a Tensor, or values `tensor()` accepts (an Int32Array gives int32 labels). */
export type Targets = Tensor | number[] | number[][] | Float32Array | Int32Array;
/** A loss as `model.compile` uses it. */
export type LossFn = (yPred: Tensor, yTrue: Tensor) => Tensor;
/** `{ name, fromLogits?, labelSmoothing?, delta? }` as accepted by `getLoss` / `model.compile`. */
export interface LossConfig { name: string; fromLogits?: boolean; labelSmoothing?: number; delta?: number; [option: string]: unknown }
/** A resolved loss: the function plus the configuration it came from (null for a user function). */
export type ResolvedLoss = LossFn & { config: LossConfig | null };

type Run = (gradPtr: number, outPtr: number) => void;

/**
 * Runs a fused loss kernel into a new scalar; when yPred needs a gradient the kernel also fills
 * a gradient tensor, which the recorded backward scales by the upstream gradient (and frees:
 * a graph is consumed by one backward()).
 */
function fused(op: string, yPred: Tensor, run: Run): Tensor {
  const needGrad = isGradEnabled() && yPred.requiresGrad;
  const out = Tensor.empty([]);
  let grad: Tensor | null = null;
  try {
    if (needGrad) grad = Tensor.empty(yPred.shape);
    run(grad ? grad.ptr : 0, out.ptr);
  } catch (e) {
    out.dispose();
    grad?.dispose();
    throw e;
  }
  if (!grad) return out;
  const stored = grad;
  return record(op, out, [yPred], (g) => {
    const gx = Tensor.empty(yPred.shape);
    kernels().lossGradScale(stored.ptr, g.ptr, gx.ptr, gx.size);
    stored.dispose();
    return [gx];
  }, [stored]);
}

function checkPred(yPred: unknown, op: string): Tensor {
  const p = asFloat(yPred, op, 'yPred');
  if (p.size === 0) throw new ShapeError(`${op}: yPred is empty (shape ${fmtShape(p.shape)})`);
  return p;
}

function toTensor(y: unknown, op: string): { t: Tensor; owned: boolean } {
  if (y instanceof Tensor) { y._checkLive(op, 'yTrue'); return { t: y, owned: false }; }
  if (Array.isArray(y) || ArrayBuffer.isView(y)) return { t: tensor(y as any), owned: true };
  throw new ValueError(`${op}: yTrue must be a Tensor or an array of values, got ${describe(y)}`);
}

/** Shapes equal, or equal but for a trailing 1 on one side ([B] targets for [B,1] outputs, as Keras). */
function compatible(a: readonly number[], b: readonly number[]): boolean {
  if (sameShape(a, b)) return true;
  if (a.length === b.length + 1 && a[a.length - 1] === 1) return sameShape(a.slice(0, -1), b);
  if (b.length === a.length + 1 && b[b.length - 1] === 1) return sameShape(b.slice(0, -1), a);
  return false;
}

/**
 * Float targets with yPred's element layout: int32 targets are converted (a temporary copy).
 * Calls `fn` with the float targets and frees any temporary.
 */
function withDenseTargets(op: string, yPred: Tensor, yTrue: unknown, fn: (t: Tensor) => Tensor): Tensor {
  const { t, owned } = toTensor(yTrue, op);
  let conv: Tensor | null = null;
  try {
    if (!compatible(yPred.shape, t.shape)) {
      throw new ShapeError(`${op}: yPred ${fmtShape(yPred.shape)} and yTrue ${fmtShape(t.shape)} must have the same shape`);
    }
    let f = t;
    if (t.dtype !== 'float32') {
      conv = Tensor.empty(t.shape, 'float32');
      conv.view().set(t.view());
      f = conv;
    }
    return fn(f);
  } finally {
    conv?.dispose();
    if (owned) t.dispose();
  }
}

function fromLogitsOf(options: CrossentropyOptions | undefined, op: string): boolean {
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object') throw new ValueError(`${op}: options must be an object, got ${describe(options)}`);
  const f = options.fromLogits;
  if (f === undefined) return false;
  if (typeof f !== 'boolean') throw new ValueError(`${op}: fromLogits must be a boolean, got ${describe(f)}`);
  return f;
}

/** The labelSmoothing option in [0, 1) (0 when omitted). */
function labelSmoothingOf(options: CategoricalCrossentropyOptions | undefined, op: string): number {
  const v = options?.labelSmoothing;
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new ValueError(`${op}: labelSmoothing must be a number in [0, 1), got ${describe(v)}`);
  return v;
}

/**
 * Smoothed dense targets `[rows, classes]`: `t * (1 - ls) + ls / classes` (Keras), with `t` the
 * one-hot row of each label when `labels` holds class indices. Only + * / in the host (the same
 * bits in every engine).
 */
function smoothedTargets(t: Tensor, rows: number, classes: number, ls: number, labels: boolean): Tensor {
  const out = Tensor.empty([rows, classes]);
  const src = t.view();
  const dst = out.view() as Float32Array;
  const off = ls / classes;
  if (labels) {
    dst.fill(off);
    for (let r = 0; r < rows; r++) dst[r * classes + src[r]] = (1 - ls) + off;
  } else {
    for (let i = 0; i < dst.length; i++) dst[i] = src[i] * (1 - ls) + off;
  }
  return out;
}

/** [rows, classes] of a class-scores tensor (classes on the last axis). */
function rowsClasses(yPred: Tensor, op: string): [number, number] {
  if (yPred.rank < 1) throw new ShapeError(`${op}: yPred must have a class axis (rank >= 1), got shape ${fmtShape(yPred.shape)}`);
  const classes = yPred.shape[yPred.rank - 1];
  return [yPred.size / classes, classes];
}

/**
 * Categorical cross-entropy with one-hot (or soft) targets of yPred's shape, classes on the last
 * axis: sum over classes, mean over the other axes (the batch).
 * Without fromLogits yPred are probabilities used as given, clipped to [1e-7, 1 - 1e-7] and not
 * renormalised (gradient -yTrue / yPred / B inside the clip range, 0 outside). With fromLogits
 * a fused, stable log-softmax: loss logsumexp(x) - sum(y x), gradient (softmax(x) - y) / B.
 * `labelSmoothing` replaces the targets by `y (1 - ls) + ls / classes` first (Keras).
 */
export function categoricalCrossentropy(yPred: Tensor, yTrue: Targets, options?: CategoricalCrossentropyOptions): Tensor {
  const op = 'categoricalCrossentropy';
  const p = checkPred(yPred, op);
  const fromLogits = fromLogitsOf(options, op);
  const smoothing = labelSmoothingOf(options, op);
  const [rows, classes] = rowsClasses(p, op);
  return withDenseTargets(op, p, yTrue, (t) => {
    if (!sameShape(p.shape, t.shape)) {
      throw new ShapeError(`${op}: yPred ${fmtShape(p.shape)} and yTrue ${fmtShape(t.shape)} must have the same shape`);
    }
    const targets = smoothing > 0 ? smoothedTargets(t, rows, classes, smoothing, false) : t;
    try {
      return denseCrossentropy(op, p, targets, rows, classes, fromLogits);
    } finally {
      if (targets !== t) targets.dispose();
    }
  });
}

/** The fused categorical cross-entropy of yPred against dense targets of its element layout. */
function denseCrossentropy(op: string, p: Tensor, t: Tensor, rows: number, classes: number, fromLogits: boolean): Tensor {
  return fused(op, p, (g, out) => {
    if (fromLogits) kernels().lossSoftmaxCrossEntropy(p.ptr, t.ptr, g, out, rows, classes);
    else kernels().lossCategoricalCrossEntropyProbs(p.ptr, t.ptr, g, out, rows, classes);
  });
}

/**
 * Sparse categorical cross-entropy: integer labels (int32, or floats holding integers) of shape
 * yPred.shape without its last (class) axis, e.g. [B] for yPred [B, C] ([B, 1] accepted too).
 * Same conventions as categoricalCrossentropy (`labelSmoothing` smooths each label's one-hot row).
 * A label outside [0, classes) or not an integer throws ValueError naming the label and its index.
 */
export function sparseCategoricalCrossentropy(yPred: Tensor, yTrue: Targets, options?: CategoricalCrossentropyOptions): Tensor {
  const op = 'sparseCategoricalCrossentropy';
  const p = checkPred(yPred, op);
  const fromLogits = fromLogitsOf(options, op);
  const smoothing = labelSmoothingOf(options, op);
  const [rows, classes] = rowsClasses(p, op);
  const { t, owned } = toTensor(yTrue, op);
  try {
    const want = p.shape.slice(0, -1);
    if (!sameShape(t.shape, want) && !sameShape(t.shape, [...want, 1])) {
      throw new ShapeError(`${op}: labels ${fmtShape(t.shape)} must have shape ${fmtShape(want)} (yPred ${fmtShape(p.shape)} without its class axis)`);
    }
    const isFloat = t.dtype === 'float32';
    const v = t.view();
    for (let i = 0; i < v.length; i++) {
      const label = v[i];
      if (isFloat && !Number.isInteger(label)) {
        throw new ValueError(`${op}: label ${label} at index ${i} is not an integer class index`);
      }
      if (!(label >= 0 && label < classes)) {
        throw new ValueError(`${op}: label ${label} at index ${i} is out of range [0, ${classes}) (yPred ${fmtShape(p.shape)})`);
      }
    }
    if (smoothing > 0) {
      // Smoothing spreads each target over every class: the dense kernels take the smoothed rows.
      const targets = smoothedTargets(t, rows, classes, smoothing, true);
      try {
        return denseCrossentropy(op, p, targets, rows, classes, fromLogits);
      } finally {
        targets.dispose();
      }
    }
    return fused(op, p, (g, out) => {
      if (fromLogits) kernels().lossSparseSoftmaxCrossEntropy(p.ptr, t.ptr, isFloat ? 1 : 0, g, out, rows, classes);
      else kernels().lossSparseCrossEntropyProbs(p.ptr, t.ptr, isFloat ? 1 : 0, g, out, rows, classes);
    });
  } finally {
    if (owned) t.dispose();
  }
}

/**
 * Binary cross-entropy, mean over all elements (targets in [0, 1], yPred's shape; [B] targets
 * for [B, 1] outputs accepted). Probabilities are clipped to [1e-7, 1 - 1e-7] (gradient 0
 * outside); with fromLogits the stable max(x, 0) - x y + log(1 + exp(-|x|)), gradient
 * (sigmoid(x) - y) / n.
 */
export function binaryCrossentropy(yPred: Tensor, yTrue: Targets, options?: CrossentropyOptions): Tensor {
  const op = 'binaryCrossentropy';
  const p = checkPred(yPred, op);
  const fromLogits = fromLogitsOf(options, op);
  return withDenseTargets(op, p, yTrue, (t) =>
    fused(op, p, (g, out) => kernels().lossBinaryCrossEntropy(p.ptr, t.ptr, g, out, p.size, fromLogits ? 1 : 0)));
}

/** Mean squared error, mean over all elements. */
export function meanSquaredError(yPred: Tensor, yTrue: Targets): Tensor {
  const op = 'meanSquaredError';
  const p = checkPred(yPred, op);
  return withDenseTargets(op, p, yTrue, (t) =>
    fused(op, p, (g, out) => kernels().lossMeanSquaredError(p.ptr, t.ptr, g, out, p.size)));
}

/** Mean absolute error, mean over all elements (gradient sign(yPred - yTrue) / n, 0 at ties). */
export function meanAbsoluteError(yPred: Tensor, yTrue: Targets): Tensor {
  const op = 'meanAbsoluteError';
  const p = checkPred(yPred, op);
  return withDenseTargets(op, p, yTrue, (t) =>
    fused(op, p, (g, out) => kernels().lossMeanAbsoluteError(p.ptr, t.ptr, g, out, p.size)));
}

/**
 * Hinge loss mean(max(1 - y yPred, 0)), mean over all elements. Labels are -1 / +1; when every
 * label is 0 or 1 they are mapped to -1 / +1 first, as Keras does.
 */
export function hinge(yPred: Tensor, yTrue: Targets): Tensor {
  const op = 'hinge';
  const p = checkPred(yPred, op);
  return withDenseTargets(op, p, yTrue, (t) =>
    fused(op, p, (g, out) => kernels().lossHinge(p.ptr, t.ptr, g, out, p.size)));
}

/** Huber loss (`delta` = 1): 0.5 e^2 for |e| <= delta, else delta (|e| - delta / 2); mean over all elements. */
export function huber(yPred: Tensor, yTrue: Targets, options?: HuberOptions): Tensor {
  const op = 'huber';
  const p = checkPred(yPred, op);
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new ValueError(`${op}: options must be an object, got ${describe(options)}`);
  }
  const delta = options?.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0) || !Number.isFinite(delta)) {
    throw new ValueError(`${op}: delta must be a positive finite number, got ${describe(delta)}`);
  }
  return withDenseTargets(op, p, yTrue, (t) =>
    fused(op, p, (g, out) => kernels().lossHuber(p.ptr, t.ptr, g, out, p.size, delta)));
}

// ---- resolving a loss for model.compile ------------------------------------------------------

const LOSSES = {
  categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy,
  meanSquaredError, meanAbsoluteError, hinge, huber,
} as const;
type LossName = keyof typeof LOSSES;

// Keras' snake_case names and short aliases.
const ALIASES: Record<string, LossName> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError', mse: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError', mae: 'meanAbsoluteError',
  huber_loss: 'huber',
};

/**
 * Resolves what `model.compile({ loss })` accepts: a loss name ('sparseCategoricalCrossentropy',
 * Keras' 'sparse_categorical_crossentropy', 'mse', ...), a config `{ name, fromLogits?, delta? }`,
 * or a function `(yPred, yTrue) => scalar Tensor` (returned as is). The result carries `config`
 * (canonical name and options, null for a user function) so a model can serialise it and know
 * whether outputs are logits.
 */
export function getLoss(loss: string | LossConfig | LossFn): ResolvedLoss {
  if (typeof loss === 'function') {
    const fn = ((yPred: Tensor, yTrue: Tensor) => loss(yPred, yTrue)) as ResolvedLoss;
    fn.config = null;
    return fn;
  }
  let name: unknown;
  let options: Record<string, unknown> = {};
  if (typeof loss === 'string') name = loss;
  else if (loss !== null && typeof loss === 'object' && !Array.isArray(loss)) {
    ({ name, ...options } = loss);
  } else {
    throw new ValueError(`getLoss: loss must be a name, a { name, ...options } object or a function, got ${describe(loss)}`);
  }
  if (typeof name !== 'string') throw new ValueError(`getLoss: the loss config needs a string name, got ${describe(name)}`);
  // Own keys only: 'constructor' or 'toString' must not resolve through Object.prototype.
  const canonical: LossName | undefined = Object.hasOwn(LOSSES, name) ? name as LossName
    : Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
  if (!canonical) {
    throw new ValueError(`getLoss: unknown loss '${name}' (known: ${Object.keys(LOSSES).join(', ')}; aliases: ${Object.keys(ALIASES).join(', ')})`);
  }
  const categorical = canonical === 'categoricalCrossentropy' || canonical === 'sparseCategoricalCrossentropy';
  const takesLogits = categorical || canonical === 'binaryCrossentropy';
  for (const key of Object.keys(options)) {
    const ok = (key === 'fromLogits' && takesLogits) || (key === 'labelSmoothing' && categorical) || (key === 'delta' && canonical === 'huber');
    if (!ok) throw new ValueError(`getLoss: ${canonical} has no option '${key}'`);
  }
  // Validate options now (compile time), not at the first batch.
  if (takesLogits) fromLogitsOf(options as CrossentropyOptions, canonical);
  if (categorical) labelSmoothingOf(options as CategoricalCrossentropyOptions, canonical);
  if (canonical === 'huber' && options.delta !== undefined) {
    const d = options.delta;
    if (typeof d !== 'number' || !(d > 0) || !Number.isFinite(d)) throw new ValueError(`huber: delta must be a positive finite number, got ${describe(d)}`);
  }
  const impl = LOSSES[canonical] as (p: Tensor, t: Tensor, o?: object) => Tensor;
  const fn = ((yPred: Tensor, yTrue: Tensor) => impl(yPred, yTrue, options)) as ResolvedLoss;
  fn.config = { name: canonical, ...options };
  return fn;
}
