// Worker threads: kernels split over 2 threads give the same bits as 1 thread, and a Node
// process with a running pool exits on its own (workers are unref'd). The child covers matmul,
// conv2d forward/backward on the Winograd, im2col (strided, dilated, grouped, batch 1 row split),
// pointwise and depthwise paths, conv2dTranspose, max/avg pooling (batch > 1 and batch 1), resize, and
// short training runs (the seeded Sequential CNN and graph model of test/runtimes/).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./runtimes/threads-child.js', import.meta.url));
function run(threads: number, simd = 'baseline', use?: number, spinMicros?: number): { threads: number; hashes: Record<string, string> } {
  const flags = simd === 'relaxed' ? ['--experimental-wasm-relaxed-simd'] : [];
  const args = [...flags, child, String(threads), simd, String(use ?? threads), ...(spinMicros === undefined ? [] : [String(spinMicros)])];
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('threads', () => {
  it('matmul, conv2d / conv2dTranspose / pooling (forward and gradients) and a training run are bit-identical on 1 and 2 threads', () => {
    const one = run(1);
    const two = run(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(Object.keys(one.hashes).length).toBeGreaterThan(50);
    expect(two.hashes).toEqual(one.hashes);
  }, 120_000);

  it('3 threads (uneven splits) and setNumThreads(1) on a 2-thread pool give the same bits as 1 thread', () => {
    const one = run(1);
    const three = run(3);
    const limited = run(2, 'baseline', 1);
    expect(three.threads).toBe(3);
    expect(limited.threads).toBe(1);
    expect(three.hashes).toEqual(one.hashes);
    expect(limited.hashes).toEqual(one.hashes);
  }, 180_000);

  it('threads that sleep at once between jobs (setThreadSpin(0)) give the same bits', () => {
    const one = run(1);
    const sleeping = run(2, 'baseline', 2, 0);
    expect(sleeping.threads).toBe(2);
    expect(sleeping.hashes).toEqual(one.hashes);
  }, 120_000);

  it('the relaxed-SIMD build is bit-identical on 1 and 2 threads too', () => {
    const one = run(1, 'relaxed');
    const two = run(2, 'relaxed');
    expect(two.threads).toBe(2);
    expect(two.hashes).toEqual(one.hashes);
  }, 120_000);
});
