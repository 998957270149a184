// The resource budget every decoder applies before it allocates or inflates (docs/LIMITS.md):
// declared sizes (a model's parameters, a header's element count, an image's pixels, a file's
// length) are checked against these limits first, and a read or an inflation stops at them.
import { LimitError, ValueError, fmtValue } from './errors.js';

export interface Limits {
  /** Largest model.json (bytes of JSON text), from a file, a URL or a string. */
  maxModelJsonBytes: number;
  /** Largest total of float32 parameter bytes a saved model may declare or build (also caps weights.bin). */
  maxParameterBytes: number;
  /** Largest IDX file: its data after inflating, and the file itself. */
  maxIdxBytes: number;
  /** Largest image (width x height) the CLI decodes. */
  maxImagePixels: number;
  /** Labels of an IDX dataset must be integers in [0, maxClasses). */
  maxClasses: number;
}

const MiB = 1 << 20;

/** The limits a fresh process starts with. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxModelJsonBytes: 64 * MiB,
  maxParameterBytes: 1024 * MiB,
  maxIdxBytes: 1024 * MiB,
  maxImagePixels: 1 << 24,
  maxClasses: 10000,
});

let current: Limits = { ...DEFAULT_LIMITS };

/** The limits in force (a copy). */
export function getLimits(): Limits {
  return { ...current };
}

/**
 * Changes some limits (each a positive safe integer; `null` restores a default) and returns the
 * previous ones, so `setLimits(previous)` undoes the change. ValueError for an unknown name or a
 * bad value, leaving every limit as it was.
 */
export function setLimits(changes: Partial<{ [K in keyof Limits]: number | null }>): Limits {
  if (changes === null || typeof changes !== 'object' || Array.isArray(changes)) {
    throw new ValueError(`setLimits: expects an object of limits, got ${fmtValue(changes)}`);
  }
  const next = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, key)) {
      throw new ValueError(`setLimits: unknown limit '${key}' (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    }
    const k = key as keyof Limits;
    if (value === null) { next[k] = DEFAULT_LIMITS[k]; continue; }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new ValueError(`setLimits: ${key} must be a positive integer, got ${fmtValue(value)}`);
    }
    next[k] = value;
  }
  const previous = current;
  current = next;
  return { ...previous };
}

/** The value of one limit. */
export const limit = (name: keyof Limits): number => current[name];

/** Bytes as a short figure for messages: '1024 MiB', '512 KiB', '17 bytes'. */
export function fmtBytes(n: number): string {
  if (n >= MiB && n % MiB === 0) return `${n / MiB} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/**
 * LimitError unless `value <= limit(name)`: `what` says what was measured, e.g.
 * `load: model.json declares 4294967296 parameter bytes`.
 */
export function checkLimit(name: keyof Limits, value: number, what: string, unit: 'bytes' | 'count' = 'bytes'): void {
  const max = current[name];
  if (value <= max) return;
  const shown = unit === 'bytes' ? fmtBytes(max) : String(max);
  throw new LimitError(`${what}, above the limit ${name} = ${shown} (raise it with setLimits({ ${name} }) if the input is trusted)`, name);
}
