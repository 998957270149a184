// Opt-in timing of a model's steps by kind (conv by algorithm, pooling, elementwise, layout
// changes...), for finding the next bottleneck. Off by default: every hook is then one boolean
// test. A step's time goes to its kind, minus the inner sections (a layout change inside a conv
// step) that are recorded under their own kind.

/** One kind of work: its total wall time in ms and how many steps or sections of it ran. */
export interface OpProfileRow { kind: string; ms: number; calls: number }

let active = false;
const totals = new Map<string, { ms: number; calls: number }>();
/** Wall time recorded by inner sections so far (steps subtract what ran inside them). */
let innerMs = 0;
/** The kind the running step named for itself (a conv's algorithm), or null. */
let stepKind: string | null = null;

function add(kind: string, ms: number): void {
  const t = totals.get(kind);
  if (t) { t.ms += ms; t.calls++; } else totals.set(kind, { ms, calls: 1 });
}

/** Starts collecting (clearing what an earlier profile collected). */
export function startOpProfile(): void {
  totals.clear();
  innerMs = 0;
  stepKind = null;
  active = true;
}

/** Stops collecting and returns the totals by kind since startOpProfile, largest first (empty when none ran). */
export function stopOpProfile(): OpProfileRow[] {
  active = false;
  const rows = [...totals].map(([kind, t]) => ({ kind, ms: t.ms, calls: t.calls })).sort((a, b) => b.ms - a.ms);
  totals.clear();
  return rows;
}

/** Whether a profile is being collected. */
export function opProfileActive(): boolean {
  return active;
}

/** Start time of a section when profiling, else 0 (pass it to profileSection). */
export function profileNow(): number {
  return active ? performance.now() : 0;
}

/** Ends an inner section begun at `t0` (from profileNow), recording it under `kind`. */
export function profileSection(kind: string, t0: number): void {
  if (!active || t0 === 0) return;
  const ms = performance.now() - t0;
  add(kind, ms);
  innerMs += ms;
}

/** Names the running step's kind more precisely than its op type (a conv's algorithm). */
export function profileStepKind(kind: string): void {
  if (active) stepKind = kind;
}

/** Runs one step, recording its own time (without inner sections) under the kind it named, else `kind`. */
export function profileStep(kind: string, run: () => void): void {
  stepKind = null;
  const inner0 = innerMs;
  const t0 = performance.now();
  try {
    run();
  } finally {
    const ms = performance.now() - t0 - (innerMs - inner0);
    add(stepKind ?? kind, ms);
    stepKind = null;
  }
}
