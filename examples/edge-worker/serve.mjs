#!/usr/bin/env node
// `npm run demo:edge`: builds the worker bundle if needed and serves it locally in workerd
// (Cloudflare's runtime, through miniflare) on http://127.0.0.1:8787 (PORT to change it).
import { Miniflare } from 'miniflare';
import { buildWorker, workerOptions } from './build.mjs';

await buildWorker();
const port = Number(process.env.PORT ?? 8787);
const mf = new Miniflare({ ...workerOptions(), host: '127.0.0.1', port });
const url = await mf.ready;
const sample = 'examples/edge-worker/sample-digit.json';
console.log(`wasm-cnn digit classifier running in workerd at ${url.href}
  POST a 28x28 image (JSON array of 784 numbers in [0, 1], or 784 raw bytes), e.g.
    curl -s -H 'content-type: application/json' --data-binary @${sample} ${url.href}
  Ctrl-C stops it.`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await mf.dispose();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
