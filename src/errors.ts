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
/** A declared size (a file, a header, a model) above one of the limits of `setLimits`; `limit` names it. */
export class LimitError extends FormatError {
  constructor(message: string, readonly limit: string) { super(message); this.name = 'LimitError'; }
}
export class DisposedError extends Error {
  constructor(message: string) { super(message); this.name = 'DisposedError'; }
}

/** Rejects option keys `where` does not know (a typo would otherwise be silently ignored). */
export function rejectUnknownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new ValueError(`${where}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

export { fmtShape, fmtValue } from './fmt.js';
