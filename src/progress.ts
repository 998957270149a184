// Training progress for `fit`: a `\r`-redrawn bar when stdout is a terminal (Node, verbose 1),
// one line per epoch otherwise (or with verbose 2), nothing with verbose 0 or in a browser unless
// a `log` callback is given. No Node import: stdout is reached through globalThis.process.

export type Verbosity = 0 | 1 | 2;

export interface ProgressOptions {
  verbose: Verbosity;
  epochs: number;
  /** Training samples per epoch; null when unknown (a dataset of unknown size): counted as they come. */
  samples: number | null;
  /** Receives each finished line (then no bar is drawn): for browsers, loggers, tests. */
  log?: (line: string) => void;
}

interface Stdout { isTTY?: boolean; columns?: number; write(s: string): boolean }

function stdout(): Stdout | null {
  const p = (globalThis as any).process;
  const out = p?.stdout;
  return out && typeof out.write === 'function' ? (out as Stdout) : null;
}

/** Milliseconds from a monotonic clock where there is one (performance.now), else Date.now. */
export function nowMs(): number {
  const perf = (globalThis as any).performance;
  return perf && typeof perf.now === 'function' ? perf.now() : Date.now();
}

/** Keras' label of a log key: `valLoss` -> 'val_loss', `valTopK5` -> 'val_topK5'; other keys as they are. */
const label = (key: string): string => (/^val[A-Z]/.test(key) ? `val_${key[3].toLowerCase()}${key.slice(4)}` : key);

/** ' - loss: 0.1234 - accuracy: 0.9812' */
export function formatLogs(logs: Record<string, number | undefined>): string {
  let s = '';
  for (const [k, v] of Object.entries(logs)) {
    if (v === undefined || typeof v !== 'number') continue;
    s += ` - ${label(k)}: ${v.toFixed(4)}`;
  }
  return s;
}

function formatTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${String(Math.floor(seconds) % 60).padStart(2, '0')}`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds) % 60).padStart(2, '0')}`;
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
}

export class ProgressReporter {
  private readonly mode: 'bar' | 'line' | 'none';
  private readonly out: Stdout | null;
  private epoch = 0;
  private start = 0;
  private lastDraw = 0;
  private readonly width = 30;

  constructor(private readonly opts: ProgressOptions) {
    const out = stdout();
    this.out = out;
    if (opts.log) this.mode = opts.verbose === 0 ? 'none' : 'line';
    else if (opts.verbose === 0 || !out) this.mode = 'none';
    else if (opts.verbose === 1 && out.isTTY) this.mode = 'bar';
    else this.mode = 'line';
  }

  /** The samples of an epoch, once known (after a full pass over a dataset of unknown size). */
  setSamples(samples: number): void {
    this.opts.samples = samples;
  }

  epochBegin(epoch: number): void {
    this.epoch = epoch;
    this.start = nowMs();
    this.lastDraw = 0;
    if (this.mode === 'bar') this.out!.write(`Epoch ${epoch + 1}/${this.opts.epochs}\n`);
  }

  /** After a batch: `done` samples of this epoch so far, running averages in `logs`. */
  batchEnd(done: number, logs: Record<string, number | undefined>): void {
    if (this.mode !== 'bar') return;
    const t = nowMs();
    const total = this.opts.samples;
    if ((total === null || done < total) && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    const elapsed = (t - this.start) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    if (total === null) {
      this.out!.write(`\r${done}/Unknown - ${formatTime(elapsed)}${formatLogs(logs)} - ${Math.round(rate)} samples/s\x1b[K`);
      return;
    }
    const eta = rate > 0 ? (total - done) / rate : Infinity;
    this.out!.write(`\r${this.bar(done)} - ETA: ${formatTime(eta)}${formatLogs(logs)} - ${Math.round(rate)} samples/s\x1b[K`);
  }

  /** At the end of an epoch (after validation): final bar or the epoch's line; `seen` samples were trained on (default: all). */
  epochEnd(logs: Record<string, number | undefined>, seen: number = this.opts.samples ?? 0): void {
    if (this.mode === 'none') return;
    const elapsed = (nowMs() - this.start) / 1000;
    const rate = elapsed > 0 ? Math.round(seen / elapsed) : 0;
    if (this.mode === 'bar') {
      const shown = this.opts.samples === null ? `${seen}/${seen}` : this.bar(this.opts.samples);
      this.out!.write(`\r${shown} - ${formatTime(elapsed)}${formatLogs(logs)} - ${rate} samples/s\x1b[K\n`);
      return;
    }
    const line = `Epoch ${this.epoch + 1}/${this.opts.epochs} - ${seen} samples - ${formatTime(elapsed)} - ${rate} samples/s${formatLogs(logs)}`;
    if (this.opts.log) this.opts.log(line);
    else this.out!.write(line + '\n');
  }

  private bar(done: number): string {
    const total = this.opts.samples ?? done;
    const digits = String(total).length;
    const filled = total > 0 ? Math.floor((this.width * done) / total) : this.width;
    const body = done >= total ? '='.repeat(this.width)
      : '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + '.'.repeat(this.width - filled);
    return `${String(done).padStart(digits)}/${total} [${body}]`;
  }
}
