#!/usr/bin/env node
// The `wasm-cnn` command: all logic lives in src/cli/ (bundled to dist/pkg-cli.js).
import { fileURLToPath } from 'node:url';
import { run } from '../dist/pkg-cli.js';

const code = await run(process.argv.slice(2), fileURLToPath(import.meta.url));
process.exit(code);
