// Worker threads: kernels split over 2 threads give the same bits as 1 thread, and a Node
// process with a running pool exits on its own (workers are unref'd).
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./runtimes/threads-child.js', import.meta.url));
function run(threads: number): { threads: number; hashes: Record<string, string> } {
  const out = execFileSync(process.execPath, [child, String(threads)], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('threads', () => {
  it('matmul, conv2d (forward and both gradients) and a training run are bit-identical on 1 and 2 threads', () => {
    const one = run(1);
    const two = run(2);
    expect(one.threads).toBe(1);
    expect(two.threads).toBe(2);
    expect(two.hashes).toEqual(one.hashes);
  });
});
