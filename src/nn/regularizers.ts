// Keras weight regularisers, for a layer's `kernelRegularizer` / `biasRegularizer`: a penalty on a
// weight that fit / trainOnBatch / evaluate add to the loss (and its gradient to the weight's).
// l1: f * sum(|w|); l2: f * sum(w^2); l1l2 both. Saved in model.json as Keras serialises them:
// `{ className: 'L2', config: { l2: 0.01 } }`.
import type { Tensor } from '../tensor.js';
import { ValueError, fmtValue, rejectUnknownOptions } from '../errors.js';
import { ops } from './ops.js';

/** A regulariser: its penalty on one weight (a differentiable scalar) and its saved form. */
export interface Regularizer {
  /** The penalty on `w`, a scalar Tensor recorded for backward. */
  penalty(w: Tensor): Tensor;
  /** `{ className: 'L1' | 'L2' | 'L1L2', config }`, as Keras saves it. */
  toJSON(): RegularizerJSON;
}

export interface RegularizerJSON {
  className: 'L1' | 'L2' | 'L1L2';
  config: { l1?: number; l2?: number };
}

/** A regulariser object, its saved form, or a Keras name ('l1', 'l2', 'l1l2' / 'l1_l2') with Keras' default factors. */
export type RegularizerSpec = Regularizer | RegularizerJSON | 'l1' | 'l2' | 'l1l2' | 'l1_l2';

function factor(where: string, key: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new ValueError(`${where}: ${key} must be a finite number >= 0, got ${fmtValue(v)}`);
  }
  return v;
}

function make(l1: number, l2: number, className: RegularizerJSON['className']): Regularizer {
  return {
    penalty(w: Tensor): Tensor {
      const terms: Tensor[] = [];
      if (l1 !== 0) terms.push(ops.mul(ops.sum(ops.abs(w)), l1));
      if (l2 !== 0) terms.push(ops.mul(ops.sum(ops.mul(w, w)), l2));
      if (terms.length === 0) return ops.mul(ops.sum(w), 0);
      return terms.length === 1 ? terms[0] : ops.add(terms[0], terms[1]);
    },
    toJSON(): RegularizerJSON {
      const config = className === 'L1' ? { l1 } : className === 'L2' ? { l2 } : { l1, l2 };
      return { className, config };
    },
  };
}

/** L1: adds `f * sum(|w|)` (Keras' default f = 0.01). */
export function l1(f = 0.01): Regularizer {
  return make(factor('regularizers.l1', 'the factor', f), 0, 'L1');
}

/** L2: adds `f * sum(w^2)` (Keras' default f = 0.01; PyTorch's weight_decay is 2f). */
export function l2(f = 0.01): Regularizer {
  return make(0, factor('regularizers.l2', 'the factor', f), 'L2');
}

/** L1 and L2 together: adds `l1 * sum(|w|) + l2 * sum(w^2)` (each default 0, as Keras' L1L2). */
export function l1l2(options: { l1?: number; l2?: number } = {}): Regularizer {
  const where = 'regularizers.l1l2';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ValueError(`${where}: options must be { l1?, l2? }, got ${fmtValue(options)}`);
  }
  rejectUnknownOptions(where, options, ['l1', 'l2']);
  return make(factor(where, 'l1', options.l1 ?? 0), factor(where, 'l2', options.l2 ?? 0), 'L1L2');
}

/** Resolves a layer option (null when absent); ValueError naming `where` (e.g. "dense: option 'kernelRegularizer'"). */
export function getRegularizer(spec: unknown, where: string): Regularizer | null {
  if (spec === undefined || spec === null) return null;
  if (typeof spec === 'object' && typeof (spec as Regularizer).penalty === 'function') return spec as Regularizer;
  if (spec === 'l1') return l1();
  if (spec === 'l2') return l2();
  if (spec === 'l1l2' || spec === 'l1_l2') return l1l2();
  if (typeof spec === 'object' && !Array.isArray(spec)) {
    const { className, config = {} } = spec as { className?: unknown; config?: Record<string, unknown> };
    if (config === null || typeof config !== 'object') throw new ValueError(`${where}: config must be an object, got ${fmtValue(config)}`);
    const keys = className === 'L1' ? ['l1'] : className === 'L2' ? ['l2'] : className === 'L1L2' ? ['l1', 'l2'] : null;
    if (keys) {
      for (const k of Object.keys(config)) {
        if (!keys.includes(k)) throw new ValueError(`${where}: ${String(className)} has no option '${k}' (known: ${keys.join(', ')})`);
      }
      const f = (k: string) => factor(where, k, config[k] ?? (className === 'L1L2' ? 0 : 0.01));
      if (className === 'L1') return make(f('l1'), 0, 'L1');
      if (className === 'L2') return make(0, f('l2'), 'L2');
      return make(f('l1'), f('l2'), 'L1L2');
    }
  }
  throw new ValueError(`${where} must be nn.regularizers.l1(f) | l2(f) | l1l2({ l1, l2 }), 'l1' | 'l2' | 'l1l2', or { className: 'L1' | 'L2' | 'L1L2', config }, got ${fmtValue(spec)}`);
}
