// The host/kernel interface: src/backend/kernels.generated.ts is what scripts/gen-kernels.mjs makes
// of assembly/ today (a stale binding fails here), and its export list is exactly what every
// built kernel module exports (besides its memory).
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { KERNEL_EXPORT_NAMES, ConvArgsLayout, PoolArgsLayout, BinaryOp, UnaryOp } from '../src/backend/kernels.generated.js';
import { generate, OUTPUT } from '../scripts/gen-kernels.mjs';

const builds = ['wasm-cnn.wasm', 'wasm-cnn.relaxed.wasm', 'wasm-cnn.threads.wasm', 'wasm-cnn.relaxed.threads.wasm'];

/**
 * The export section of a wasm binary, read directly (Node 20 cannot compile the relaxed-SIMD
 * builds without a flag): [name, kind] with kind 0 function, 1 table, 2 memory, 3 global.
 */
function wasmExports(bytes: Uint8Array): [string, number][] {
  let at = 8; // magic and version
  const leb = (): number => {
    let value = 0, shift = 0, byte: number;
    do { byte = bytes[at++]; value |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return value >>> 0;
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    if (id !== 7) { at += size; continue; }
    const out: [string, number][] = [];
    for (let n = leb(); n > 0; n--) {
      const len = leb();
      const name = new TextDecoder().decode(bytes.subarray(at, at + len));
      at += len;
      const kind = bytes[at++];
      leb(); // index
      out.push([name, kind]);
    }
    return out;
  }
  return [];
}

describe('kernel ABI', () => {
  it('the committed bindings are what the generator makes of assembly/ (run node scripts/gen-kernels.mjs)', () => {
    expect(readFileSync(OUTPUT, 'utf8')).toBe(generate());
  });

  it.each(builds)('%s exports exactly the generated kernels, and memory', (file) => {
    const exported = wasmExports(readFileSync(new URL(`../dist/${file}`, import.meta.url)));
    const functions = exported.filter(([, kind]) => kind === 0).map(([name]) => name);
    const others = exported.filter(([, kind]) => kind !== 0).map(([name]) => name);
    expect([...functions].sort()).toEqual([...KERNEL_EXPORT_NAMES].sort());
    expect(others).toEqual(['memory']);
  });

  it('argument blocks and op codes have the layout the kernels read', () => {
    expect(ConvArgsLayout.bytes).toBe(64);
    expect(ConvArgsLayout.offsets.groups).toBe(60);
    expect(PoolArgsLayout.bytes).toBe(48);
    expect(BinaryOp.Add).toBe(0);
    expect(BinaryOp.PowDb).toBe(12);
    expect(UnaryOp.Clip).toBe(11);
  });
});
