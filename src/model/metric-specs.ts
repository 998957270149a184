// The metrics compile accepts ('accuracy', 'topK:k', 'precision', 'recall', 'f1'), what each batch
// adds to them (counts from the kernels in assembly/metrics.ts) and the values History reports.
// Precision, recall and F1 come from a confusion matrix summed over the epoch, so an epoch's value
// is that of all its samples, not a mean of per-batch values.
import type { Tensor } from '../tensor.js';
import { ValueError, fmtValue } from '../errors.js';
import { describe } from '../ops/util.js';
import { countCorrect, countTopK, confusionOf } from './metrics.js';

export type MetricKind = 'accuracy' | 'topK' | 'precision' | 'recall' | 'f1';

/** One compiled metric: its kind, k for top-k, its log key and the canonical name model.json keeps. */
export interface MetricSpec { kind: MetricKind; k: number; key: string; name: string }

/** Metric keys as they appear in logs and History (valid JS identifiers, without '_'). */
export const METRIC_KEY = /^(accuracy|precision|recall|f1|topK[1-9][0-9]*)$/;

/** Parses compile's `metrics` list (duplicates kept once); ValueError naming the model for anything unknown. */
export function parseMetrics(metrics: unknown, model: string): MetricSpec[] {
  if (!Array.isArray(metrics)) throw new ValueError(`${model}.compile: option 'metrics' must be an array such as ['accuracy'], got ${describe(metrics)}`);
  const specs: MetricSpec[] = [];
  for (const m of metrics) {
    const spec = parseMetric(m, model);
    if (!specs.some((s) => s.key === spec.key)) specs.push(spec);
  }
  return specs;
}

function parseMetric(m: unknown, model: string): MetricSpec {
  if (m === 'accuracy' || m === 'acc') return { kind: 'accuracy', k: 1, key: 'accuracy', name: 'accuracy' };
  if (m === 'precision' || m === 'recall' || m === 'f1') return { kind: m, k: 0, key: m, name: m };
  if (typeof m === 'string' && m.startsWith('topK')) {
    const k = m === 'topK' ? 5 : /^topK:[1-9][0-9]*$/.test(m) ? Number(m.slice(5)) : NaN;
    if (!Number.isSafeInteger(k)) throw new ValueError(`${model}.compile: metric ${fmtValue(m)}: write 'topK:k' with k a positive integer, e.g. 'topK:5'`);
    return { kind: 'topK', k, key: `topK${k}`, name: `topK:${k}` };
  }
  throw new ValueError(`${model}.compile: unknown metric ${fmtValue(m)} (supported: 'accuracy', 'topK:k', 'precision', 'recall', 'f1')`);
}

/** What a set of batches adds up to for one output: correct predictions, top-k hits per top-k metric, the confusion matrix. */
export interface MetricCounts {
  correct: number;
  topK: number[];
  confusion: Int32Array | null;
  /** The confusion matrix is of one output unit (2x2, positive class 1). */
  binary: boolean;
}

export function zeroCounts(specs: readonly MetricSpec[]): MetricCounts {
  return { correct: 0, topK: specs.filter((s) => s.kind === 'topK').map(() => 0), confusion: null, binary: false };
}

const needsConfusion = (specs: readonly MetricSpec[]) => specs.some((s) => s.kind === 'precision' || s.kind === 'recall' || s.kind === 'f1');

/** One batch's counts for one output (`threshold`: where a single output unit turns positive). */
export function countBatch(specs: readonly MetricSpec[], pred: Tensor, y: Tensor, threshold: number): MetricCounts {
  const counts = zeroCounts(specs);
  let t = 0;
  for (const s of specs) {
    if (s.kind === 'accuracy') counts.correct = countCorrect(pred, y, threshold);
    else if (s.kind === 'topK') counts.topK[t++] = countTopK(pred, y, s.k);
  }
  if (needsConfusion(specs)) {
    const name = specs.find((s) => s.kind !== 'accuracy' && s.kind !== 'topK')!.name;
    ({ matrix: counts.confusion, binary: counts.binary } = confusionOf(pred, y, threshold, name));
  }
  return counts;
}

/** Adds `from` into `into`. */
export function addCounts(into: MetricCounts, from: MetricCounts): void {
  into.correct += from.correct;
  from.topK.forEach((h, i) => { into.topK[i] += h; });
  if (from.confusion) {
    if (!into.confusion) { into.confusion = new Int32Array(from.confusion.length); into.binary = from.binary; }
    for (let i = 0; i < from.confusion.length; i++) into.confusion[i] += from.confusion[i];
  }
}

/** The metrics' values over `n` samples, keyed as History (accuracy, topK5, precision, ...). */
export function metricValues(specs: readonly MetricSpec[], counts: MetricCounts, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  const scores = counts.confusion ? classScores(counts.confusion, counts.binary) : null;
  let t = 0;
  for (const s of specs) {
    if (s.kind === 'accuracy') out[s.key] = counts.correct / n;
    else if (s.kind === 'topK') out[s.key] = counts.topK[t++] / n;
    else out[s.key] = scores ? scores[s.kind] : 0;
  }
  return out;
}

/**
 * Precision, recall and F1 from a confusion matrix (rows true, columns predicted): of the positive
 * class for a 2x2 matrix of one output unit, otherwise the unweighted mean over every class (macro,
 * as scikit-learn's average='macro'). A class whose denominator is 0 scores 0 (scikit-learn's
 * zero_division=0, Keras' F1Score); its F1 is the harmonic mean of its precision and recall.
 */
export function classScores(cm: ArrayLike<number>, binary: boolean): { precision: number; recall: number; f1: number } {
  const c = Math.round(Math.sqrt(cm.length));
  const score = (k: number) => {
    let predicted = 0, actual = 0;
    for (let i = 0; i < c; i++) { predicted += cm[i * c + k]; actual += cm[k * c + i]; }
    const tp = cm[k * c + k];
    const p = predicted > 0 ? tp / predicted : 0;
    const r = actual > 0 ? tp / actual : 0;
    return { p, r, f: p + r > 0 ? (2 * p * r) / (p + r) : 0 };
  };
  if (binary) { const s = score(1); return { precision: s.p, recall: s.r, f1: s.f }; }
  let p = 0, r = 0, f = 0;
  for (let k = 0; k < c; k++) { const s = score(k); p += s.p; r += s.r; f += s.f; }
  return { precision: p / c, recall: r / c, f1: f / c };
}

