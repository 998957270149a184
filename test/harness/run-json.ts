// A runtime's child process (node, deno, bun) that prints one JSON line: used by the tests of
// test/runtimes/ to compare what each runtime computes.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a command from the repository root, resolves to the JSON of its last stdout line; rejects with its stderr. */
export function runJson<T>(binary: () => string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    let cmd: string;
    try { cmd = binary(); } catch (e) { reject(e); return; }
    const child = spawn(cmd, args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1' },
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) { reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${err}${out}`)); return; }
      try { resolve(JSON.parse(out.trim().split('\n').pop()!)); } catch { reject(new Error(`no JSON from ${cmd}:\n${out}\n${err}`)); }
    });
  });
}
