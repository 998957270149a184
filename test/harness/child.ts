// Runs a snippet in a child Node process against the built dist/ (imported as `W`), so a case
// that could crash the process (a V8 abort, heap exhaustion) or needs a fresh backend (threads,
// shutdown) cannot take the test runner down with it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = new URL('../../dist/index.js', import.meta.url);
/** dist/ is built, with the threaded kernels. */
export const haveDist = existsSync(fileURLToPath(dist)) && existsSync(fileURLToPath(new URL('../../dist/wasm-cnn.threads.wasm', import.meta.url)));

export interface ChildResult { status: number | null; signal: string | null; stdout: string; stderr: string; ms: number }

/** Runs `body` (an ES module body; `W` is wasm-cnn) with the given node flags; `files` are written next to it. */
export function runChild(body: string, { timeoutMs = 20_000, nodeFlags = [] as string[], files = {} as Record<string, Uint8Array> } = {}): ChildResult {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-child-'));
  const file = join(dir, 'child.mjs');
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  writeFileSync(file, `import * as W from ${JSON.stringify(pathToFileURL(fileURLToPath(dist)).href)};\n${body}\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeFlags, file], { encoding: 'utf8', timeout: timeoutMs, cwd: dir });
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms };
}
