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

export { fmtShape, fmtValue } from './fmt.js';
