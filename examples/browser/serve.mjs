#!/usr/bin/env node
// A dependency-free static server for the browser demo (`npm run demo:web`): serves the
// repository root on 127.0.0.1 with the headers that make a page cross-origin isolated
// (COOP same-origin + COEP require-corp), so the demo's training worker can run kernel threads
// over SharedArrayBuffer. Paths under /no-isolation/ serve the same files without those headers
// (to see the single-thread fallback). The MNIST digits are made from the `mnist` package on
// first request (build-data.mjs) and served gzipped (precompressed .gz files are used as they are).
// Usage: node examples/browser/serve.mjs   (PORT=8080 by default)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDigitsBin } from './build-data.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(here, '..', '..');
const DATA_PATH = '/examples/browser/data/mnist-digits.bin';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.wasm', '.bin', '.map', '.svg', '.txt', '.md']);

/**
 * Starts the server; resolves to { url, port, close() }. port 0 picks a free port.
 * `log` receives one line per request (none by default).
 */
export function startServer({ port = 0, host = '127.0.0.1', root = ROOT, log = null } = {}) {
  const gzCache = new Map(); // path -> { mtimeMs, gz }
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = decodeURIComponent(url.pathname);
    let isolated = true;
    if (path === '/no-isolation' || path.startsWith('/no-isolation/')) { isolated = false; path = path.slice('/no-isolation'.length) || '/'; }
    const headers = {
      'Cache-Control': 'no-cache',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      ...(isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
    };
    const send = (status, body, type = 'text/plain; charset=utf-8', extra = {}) => {
      res.writeHead(status, { ...headers, 'Content-Type': type, ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
      log?.(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', undefined, { Allow: 'GET, HEAD' });
    if (path === '/' || path === '/examples/browser') {
      return send(302, '', undefined, { Location: `${isolated ? '' : '/no-isolation'}/examples/browser/` });
    }
    if (path.endsWith('/')) path += 'index.html';
    // No dot-files (.git), nothing outside the root.
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep) || path.split('/').some((s) => s.startsWith('.'))) return send(403, 'forbidden\n');
    try {
      if (path === DATA_PATH) await ensureDigitsBin();
      const info = await stat(file);
      if (!info.isFile()) return send(404, 'not found\n');
      const ext = extname(file);
      const type = MIME[ext] ?? 'application/octet-stream';
      const gzipOk = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
      if (gzipOk && existsSync(`${file}.gz`) && statSync(`${file}.gz`).mtimeMs >= info.mtimeMs) {
        const gz = await readFile(`${file}.gz`); // precompressed (the digits: build-data.mjs)
        return send(200, gz, type, { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', 'Content-Length': gz.length });
      }
      if (COMPRESSIBLE.has(ext) && gzipOk) {
        let hit = gzCache.get(file);
        if (!hit || hit.mtimeMs !== info.mtimeMs) {
          hit = { mtimeMs: info.mtimeMs, gz: gzipSync(await readFile(file), { level: 6 }) };
          gzCache.set(file, hit);
        }
        return send(200, hit.gz, type, { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding', 'Content-Length': hit.gz.length });
      }
      const body = await readFile(file);
      return send(200, body, type, { 'Content-Length': body.length });
    } catch (e) {
      if (e && (e.code === 'ENOENT' || e.code === 'ENOTDIR')) return send(404, 'not found\n');
      return send(500, `error: ${e?.message ?? e}\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        port: actual,
        url: `http://${host}:${actual}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // Build on a fresh clone (the bundle, the kernels, the kernel worker).
  const needed = ['wasm-cnn.browser.js', 'wasm-cnn.worker.js', 'wasm-cnn.wasm', 'wasm-cnn.relaxed.wasm', 'wasm-cnn.threads.wasm', 'wasm-cnn.relaxed.threads.wasm'];
  if (needed.some((f) => !existsSync(join(ROOT, 'dist', f)))) {
    console.log('building dist/ (node scripts/build.mjs) ...');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  }
  await ensureDigitsBin();
  const port = Number(process.env.PORT ?? 8080);
  const { url } = await startServer({ port, log: process.env.VERBOSE ? (l) => console.log(l) : null });
  console.log(`wasm-cnn browser demo: ${url}/examples/browser/`);
  console.log(`  (cross-origin isolated: kernel threads on; ${url}/no-isolation/examples/browser/ runs without them)`);
  console.log('  Ctrl+C to stop');
}
