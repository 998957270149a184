// Reading a model from a URL or a fetch Response with a cap: the body is streamed and the read
// stops (the stream cancelled) as soon as it passes what the first bytes allow, so a body that
// never ends costs at most that much memory. Weights are fetched relative to the model's URL,
// from the same origin only.
import { FormatError } from '../errors.js';
import type { ReadCap } from './budget.js';
import { concatBytes } from './concat-bytes.js';

/** The body of `res`, refused by `capFor(head)`'s error once longer than its cap. */
export async function readBodyCapped(res: Response, capFor: (head: Uint8Array) => ReadCap): Promise<Uint8Array> {
  const declared = Number(res.headers?.get?.('content-length') ?? NaN);
  const body = res.body;
  if (!body || typeof body.getReader !== 'function') {
    // A Response-like object without a stream: its length is only known once read.
    const all = new Uint8Array(await res.arrayBuffer());
    const cap = capFor(all.subarray(0, 16));
    if (all.length > cap.bytes) throw cap.tooLong(all.length);
    return all;
  }
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let cap: ReadCap | null = null;
  const head = (): Uint8Array => concatBytes(chunks, Math.min(total, 16));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (!cap && total >= 16) {
        cap = capFor(head());
        if (Number.isFinite(declared) && declared > cap.bytes) throw cap.tooLong(declared);
      }
      if (cap && total > cap.bytes) throw cap.tooLong(null);
    }
  } catch (e) {
    reader.cancel().catch(() => { /* the stream is abandoned either way */ });
    throw e;
  }
  if (!cap) {
    cap = capFor(head());
    if (total > cap.bytes) throw cap.tooLong(total);
  }
  return concatBytes(chunks, total);
}

/** Fetches `url` and reads its body with a cap; FormatError for an HTTP error status. */
export async function fetchCapped(url: string, what: string, capFor: (head: Uint8Array) => ReadCap): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) {
    res.body?.cancel?.().catch?.(() => { /* not read */ });
    throw new FormatError(`load: fetching ${what} from ${url} failed: HTTP ${res.status} ${res.statusText}`);
  }
  return readBodyCapped(res, capFor);
}

/**
 * The URL of the weights file `file` (already checked by checkWeightsFileName) next to the model
 * at `modelUrl`; FormatError when it would leave the model's origin.
 */
export function weightsUrl(file: string, modelUrl: string): string {
  let base: URL, url: URL;
  try {
    base = new URL(modelUrl, (globalThis as any).location?.href);
    url = new URL(file, base);
  } catch {
    throw new FormatError(`load: model.json weights.file ${JSON.stringify(file)} cannot be resolved next to ${modelUrl}; load a packed model (the bytes save() returns) from such a URL`);
  }
  if (url.origin !== base.origin || url.protocol !== base.protocol) {
    throw new FormatError(`load: model.json weights.file ${JSON.stringify(file)} resolves to ${url.href}, outside the model's origin ${base.origin}`);
  }
  return url.href;
}
