// The main-thread side of a bench worker that answers one message with one reply (bench/zoo.mjs'
// onnxruntime-web workers, bench/zoo-tfjs.mjs' tfjs workers): the worker posts its first reply
// when ready, then one reply per request; `{ stop: true }` asks it to release what it holds.
import { Worker } from 'node:worker_threads';

/** First line of an error's message, safe inside a Markdown table cell. */
export function shortError(e) {
  return String(e?.message ?? e).split('\n')[0].replace(/\|/g, '/').slice(0, 160);
}

/**
 * Starts `script` as a worker with `data`: { ready: Promise<first reply>, time(request) resolving
 * to the reply (throws on `{ error }`), stop() }.
 */
export function timingWorker(script, data) {
  const w = new Worker(script, { workerData: data });
  let pending = null;
  const ready = new Promise((res) => { pending = res; });
  w.on('message', (m) => { const p = pending; pending = null; p?.(m); });
  w.on('error', (e) => { const p = pending; pending = null; p?.({ error: shortError(e) }); });
  const ask = (msg) => new Promise((res) => { pending = res; w.postMessage(msg); });
  return {
    ready,
    time: async (request) => { const r = await ask(request); if (r.error) throw new Error(r.error); return r; },
    stop: async () => { await Promise.race([ask({ stop: true }), new Promise((r) => setTimeout(r, 2000))]); await w.terminate(); },
  };
}
