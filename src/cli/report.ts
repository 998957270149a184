// What `wasm-cnn train` prints about a finished run: the confusion matrix of the test images, their
// precision / recall / F1 and durations.

/** The matrix as text lines, one row per class with its recall, under a header of class numbers. */
export function formatConfusion(m: number[][], names: string[]): string[] {
  const k = m.length;
  // Loops, not Math.max(...cells): a spread of k*k values overflows the stack for a few hundred classes.
  let cellW = 4, nameW = 4;
  for (const row of m) for (const v of row) cellW = Math.max(cellW, String(v).length);
  cellW += 1;
  for (const n of names) nameW = Math.max(nameW, n.length);
  const lines: string[] = [];
  lines.push(`confusion matrix (rows: true class, columns: predicted class)`);
  lines.push(' '.repeat(nameW) + ' ' + Array.from({ length: k }, (_, j) => String(j).padStart(cellW)).join('') + '   recall');
  for (let i = 0; i < k; i++) {
    const row = m[i];
    const total = row.reduce((a, b) => a + b, 0);
    const recall = total ? (100 * row[i] / total).toFixed(1).padStart(6) + '%' : '     -';
    lines.push(`${names[i].padStart(nameW)} ` + row.map((v) => String(v).padStart(cellW)).join('') + '  ' + recall);
  }
  return lines;
}

/** 'test precision 97.10%, recall 97.05%, f1 97.07% (macro over 10 classes)' from evaluate's metrics. */
export function formatScores(r: Record<string, number | undefined>, classes: number): string {
  const pct = (v: number | undefined) => `${(100 * (v ?? 0)).toFixed(2)}%`;
  return `test precision ${pct(r.precision)}, recall ${pct(r.recall)}, f1 ${pct(r.f1)} (macro over ${classes} classes)`;
}

/** A duration for the report: `12.3 s`, whole seconds from 100 s on. */
export function fmtSeconds(s: number): string {
  return s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(1)} s`;
}
