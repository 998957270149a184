// The typed errors of the public API. Each sets `name` to its class name so it survives
// structured cloning and bundlers that rename classes.

export class ShapeError extends Error {
  constructor(message: string) { super(message); this.name = 'ShapeError'; }
}
export class ValueError extends Error {
  constructor(message: string) { super(message); this.name = 'ValueError'; }
}
export class FormatError extends Error {
  constructor(message: string) { super(message); this.name = 'FormatError'; }
}
export class DisposedError extends Error {
  constructor(message: string) { super(message); this.name = 'DisposedError'; }
}

/** Formats a shape as `[8,28,28,3]` for error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** An option value for a message: JSON, but NaN / Infinity / undefined spelled out (JSON.stringify(NaN) is "null"). */
export function fmtValue(v: unknown): string {
  if (typeof v === 'function') return 'a function';
  let s: string | undefined;
  try {
    s = JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? `\u0000${x}\u0000`
      : x === undefined ? '\u0000undefined\u0000' : typeof x === 'bigint' ? `\u0000${x}n\u0000` : x));
  } catch {
    s = undefined; // circular
  }
  return s === undefined ? String(v) : s.replace(/"\\u0000(.*?)\\u0000"/g, '$1');
}
