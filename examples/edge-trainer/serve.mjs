#!/usr/bin/env node
// Builds the trainer worker and serves it in workerd (miniflare) on http://127.0.0.1:8788
// (PORT to change it), with an in-memory KV namespace for the checkpoints.
import { Miniflare } from 'miniflare';
import { buildTrainer, trainerOptions } from './build.mjs';

await buildTrainer();
const port = Number(process.env.PORT ?? 8788);
const mf = new Miniflare({ ...trainerOptions({ kv: true }), host: '127.0.0.1', port });
const url = await mf.ready;
console.log(`wasm-cnn slice trainer running in workerd at ${url.href}
  each request trains one epoch from the last checkpoint:
    curl -s -X POST '${url.href}train?run=demo'
  Ctrl-C stops it.`);
const stop = async () => { await mf.dispose(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
