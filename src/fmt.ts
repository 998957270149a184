// Pure helpers for messages and shapes, with no imports and no state: the separately bundled
// entries (wasm-cnn/node, the CLI, the lazily loaded ONNX importer) may carry their own copy,
// while everything with state or identity (Tensor, the backend, error classes) comes from the
// main entry (scripts/build.mjs checks that).

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

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
