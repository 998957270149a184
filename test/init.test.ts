// init() misuse in a fresh process (the test process is initialised already): typed errors for
// use before init and for bad wasm sources, and a valid init after them.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

describe('init() misuse before the backend exists (child process on dist/)', () => {
  const dist = new URL('../dist/index.js', import.meta.url);
  it.skipIf(!existsSync(fileURLToPath(dist)))('typed errors for use before init and for bad wasm sources; a valid init works after them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-cnn-init-'));
    const file = join(dir, 'child.mjs');
    writeFileSync(file, `
      import * as W from ${JSON.stringify(dist.href)};
      import { readFileSync } from 'node:fs';
      const out = [];
      const attempt = async (name, fn) => { try { await fn(); out.push([name, 'ok']); } catch (e) { out.push([name, e.name, e.message]); } };
      await attempt('backendInfo before init', () => W.backendInfo());
      await attempt('ops.add before init', () => W.ops.add(1, 2));
      await attempt('zeros before init', () => W.zeros([2]));
      await attempt('wasm: 123', () => W.init({ wasm: 123 }));
      await attempt('wasm: junk bytes', () => W.init({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9]) }));
      await attempt('wasm: missing file', () => W.init({ wasm: '/nonexistent/wasm-cnn.wasm' }));
      await attempt('wasm: another module', () => W.init({ wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) }));
      await attempt('threads: 0', () => W.init({ threads: 0 }));
      await attempt('valid init', () => W.init({ wasm: readFileSync(new URL('./wasm-cnn.wasm', ${JSON.stringify(dist.href)})) }));
      out.push(['after', Array.from(W.ops.add(W.tensor([1, 2]), 3).dataSync())]);
      console.log(JSON.stringify(out));
    `);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const out = Object.fromEntries((JSON.parse(r.stdout.trim().split('\n').pop()!) as string[][]).map(([k, ...v]) => [k, v]));
    expect(out['backendInfo before init']).toEqual(['ValueError', expect.stringContaining('call `await init()` first')]);
    expect(out['ops.add before init'][0]).toBe('ValueError');
    expect(out['zeros before init'][0]).toBe('ValueError');
    expect(out['wasm: 123']).toEqual(['ValueError', expect.stringContaining("init: option 'wasm' must be the kernel bytes")]);
    expect(out['wasm: junk bytes']).toEqual(['ValueError', expect.stringContaining('not a valid WebAssembly module')]);
    expect(out['wasm: missing file']).toEqual(['ValueError', expect.stringContaining('/nonexistent/wasm-cnn.wasm')]);
    expect(out['wasm: another module']).toEqual(['ValueError', expect.stringContaining('not a wasm-cnn kernel build')]);
    expect(out['threads: 0']).toEqual(['ValueError', expect.stringContaining('threads')]);
    expect(out['valid init']).toEqual(['ok']);
    expect(out.after).toEqual([[4, 5]]);
  });
});
