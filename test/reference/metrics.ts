// Naive references for the classification metrics: each counted the obvious way from rows of
// scores and integer labels, in float64.

/** Index of the first maximum of a row. */
export function argmaxRef(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}

const rowOf = (p: ArrayLike<number>, i: number, c: number) => Array.from({ length: c }, (_, j) => p[i * c + j]);

/** cm[t][p] counts, as nested arrays. */
export function confusionRef(pred: ArrayLike<number>, labels: ArrayLike<number>, c: number): number[][] {
  const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][argmaxRef(rowOf(pred, i, c))]++;
  return m;
}

/** Rows whose label's score has fewer than k scores strictly above it. */
export function topKRef(pred: ArrayLike<number>, labels: ArrayLike<number>, c: number, k: number): number {
  let hits = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = rowOf(pred, i, c);
    const s = row[labels[i]];
    if (row.filter((v) => v > s).length < k) hits++;
  }
  return hits;
}

/** Macro precision / recall / F1 (a class with an empty denominator scores 0), or the positive class's for binary. */
export function scoresRef(m: number[][], binary = false): { precision: number; recall: number; f1: number } {
  const c = m.length;
  const per = Array.from({ length: c }, (_, k) => {
    const tp = m[k][k];
    const predicted = m.reduce((a, row) => a + row[k], 0);
    const actual = m[k].reduce((a, b) => a + b, 0);
    const p = predicted ? tp / predicted : 0;
    const r = actual ? tp / actual : 0;
    return { p, r, f: p + r ? 2 * p * r / (p + r) : 0 };
  });
  if (binary) return { precision: per[1].p, recall: per[1].r, f1: per[1].f };
  const mean = (f: (x: typeof per[0]) => number) => per.reduce((a, x) => a + f(x), 0) / c;
  return { precision: mean((x) => x.p), recall: mean((x) => x.r), f1: mean((x) => x.f) };
}
