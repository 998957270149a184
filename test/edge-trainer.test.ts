// examples/edge-trainer in workerd (miniflare): three requests, each training one epoch from the
// checkpoint the previous one stored (in a KV namespace, and in the isolate's Map), end with the
// weights of one request training three epochs in a fresh isolate; bad requests get a 400.
import { describe, it, expect, beforeAll } from 'vitest';
import { Miniflare } from 'miniflare';
// @ts-ignore plain-JS module without types
import { buildTrainer, trainerOptions } from '../examples/edge-trainer/build.mjs';

interface Slice { run: string; epoch: number; step: number; done: boolean; loss: number; accuracy: number; weights: string; checkpointBytes: number }

async function withWorker<T>(kv: boolean, fn: (post: (path: string, method?: string) => Promise<Response>) => Promise<T>): Promise<T> {
  const mf = new Miniflare(trainerOptions({ kv }));
  try {
    return await fn((path, method = 'POST') => mf.dispatchFetch(`http://localhost${path}`, { method }));
  } finally {
    await mf.dispose();
  }
}

async function slices(kv: boolean, n: number): Promise<Slice[]> {
  return withWorker(kv, async (post) => {
    const out: Slice[] = [];
    for (let i = 0; i < n; i++) {
      const res = await post('/train?run=sliced');
      expect(res.status, await res.clone().text()).toBe(200);
      out.push(await res.json() as Slice);
    }
    return out;
  });
}

describe('examples/edge-trainer in workerd: training in one-epoch requests', () => {
  let uninterrupted: Slice;
  beforeAll(async () => {
    await buildTrainer({ quiet: true });
    uninterrupted = await withWorker(false, async (post) => (await post('/train?run=whole&epochs=3')).json() as Promise<Slice>);
  }, 60_000);

  it.each([['a KV namespace', true], ["the isolate's Map", false]] as const)('3 requests with checkpoints in %s = one uninterrupted 3-epoch request', async (_what, kv) => {
    const s = await slices(kv, 3);
    expect(s.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(s.map((r) => r.step)).toEqual([15, 30, 45]);
    expect(uninterrupted.epoch).toBe(3);
    expect(s[2].weights).toBe(uninterrupted.weights);
    expect(s[2].loss).toBe(uninterrupted.loss);
    // Each request trained on: the weights moved and the classes are being learned.
    expect(new Set(s.map((r) => r.weights)).size).toBe(3);
    expect(s[2].loss).toBeLessThan(s[0].loss);
    expect(s[2].accuracy).toBeGreaterThan(0.5);
    console.log(`edge trainer: ${s.map((r) => `epoch ${r.epoch} loss ${r.loss.toFixed(3)} accuracy ${r.accuracy.toFixed(3)}`).join('; ')}; checkpoint ${s[2].checkpointBytes} bytes`);
  }, 60_000);

  it('answers bad requests with 400, other methods with 405, GET with usage', async () => {
    await withWorker(false, async (post) => {
      expect((await post('/train?epochs=0')).status).toBe(400);
      expect((await post('/train?run=a%20b')).status).toBe(400);
      expect((await post('/other')).status).toBe(405);
      const get = await post('/', 'GET');
      expect(get.status).toBe(200);
      expect((await get.json() as { usage: string }).usage).toMatch(/POST \/train/);
    });
  });
});
