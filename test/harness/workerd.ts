// A test worker of test/runtimes/ run once in workerd (miniflare): its entry module, the prebuilt
// browser bundle, the plain-JS modules it imports, and the baseline kernels as a CompiledWasm
// module (workerd compiles no wasm from bytes). One request; resolves to the JSON answer.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare, type RequestInit } from 'miniflare';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `entry` (a path under the repository root) with `modules` beside it; rejects with the body of a non-200 answer. */
export async function workerdJson<T>(entry: string, modules: string[], wasm: Uint8Array, init?: RequestInit): Promise<T> {
  const mf = new Miniflare({
    modulesRoot: root,
    modules: [
      { type: 'ESModule', path: join(root, entry) },
      { type: 'ESModule', path: join(root, 'dist/wasm-cnn.browser.js') },
      ...modules.map((m) => ({ type: 'ESModule' as const, path: join(root, m) })),
      { type: 'CompiledWasm', path: join(root, 'dist/wasm-cnn.wasm'), contents: wasm },
    ],
    compatibilityDate: '2025-09-01',
  });
  try {
    const res = await mf.dispatchFetch('http://localhost/', init);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`workerd answered ${res.status}: ${text}`);
    return JSON.parse(text);
  } finally {
    await mf.dispose();
  }
}
