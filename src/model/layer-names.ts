// Keras-style unique layer names (dense, dense_1, dense_2, ...) in time linear in the number of
// layers: each base name keeps a cursor below which every candidate is taken, so naming the k-th
// unnamed dense layer does not rescan the k names before it.

export class LayerNames {
  private readonly taken = new Set<string>();
  /** Per base name: every candidate with a smaller suffix is taken. */
  private readonly cursor = new Map<string, number>();

  has(name: string): boolean { return this.taken.has(name); }

  add(name: string): void { this.taken.add(name); }

  /** Frees a name; the cursors restart, since any of them may now have a free slot below it. */
  delete(name: string): void {
    this.taken.delete(name);
    this.cursor.clear();
  }

  /** The first of baseName, baseName_1, baseName_2, ... that is not taken (not yet added). */
  next(baseName: string): string {
    let n = this.cursor.get(baseName) ?? 0;
    while (this.taken.has(n === 0 ? baseName : `${baseName}_${n}`)) n++;
    this.cursor.set(baseName, n);
    return n === 0 ? baseName : `${baseName}_${n}`;
  }
}
