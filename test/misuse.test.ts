// Misuse that used to give silent wrong answers, now a typed error or the documented behaviour:
// backward() through a consumed graph, int32 tensors from values int32 cannot hold, a second
// concurrent fit(), init({ threads }) after shutdown(), names that only exist on
// Object.prototype, tidy around an async body, and the largest-tensor limit. Table rows (typed
// error, message, nothing leaked, a valid call after) plus the cases that need a sequence.
import { describe, it, expect } from 'vitest';
import {
  tensor, ones, zeros, full, tidy, ops, nn, losses, optim, Sequential, backendInfo, ValueError, type Tensor,
} from '../src/index.js';
import { bad, errorTable, model, live, t } from './harness/error-table.js';
import { runChild, haveDist } from './harness/child.js';

// ---- int32 tensors: int32 storage would turn NaN into 0, truncate 1.5 and wrap 1e10 ------------
bad('tensor int32: NaN', () => tensor([3, NaN], [2], 'int32'), ValueError, 'tensor', 'int32 values must be integers', 'NaN at index 1');
bad('tensor int32: 1e10', () => tensor([1e10], [1], 'int32'), ValueError, 'tensor', '[-2147483648, 2147483647]', 'got 10000000000');
bad('tensor int32: 1.5', () => tensor([[0, 1.5]], undefined, 'int32'), ValueError, 'tensor', '1.5 at index 1');
bad('tensor int32: Float32Array with NaN', () => tensor(new Float32Array([0, 1, NaN]), [3], 'int32'), ValueError, 'tensor', 'NaN at index 2');
bad('tensor int32: Uint32Array 2^32 - 1', () => tensor(new Uint32Array([4294967295]), [1], 'int32'), ValueError, 'tensor', '4294967295');
bad('tensor int32: -Infinity', () => tensor([-Infinity], [1], 'int32'), ValueError, 'tensor', '-Infinity');
bad('full int32: NaN', () => full([2], NaN, 'int32'), ValueError, 'full', 'got NaN');
bad('full int32: 2^31', () => full([2], 2 ** 31, 'int32'), ValueError, 'full', '2147483648');

// ---- names inherited from Object.prototype are not names -----------------------------------------
for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
  bad(`compile: loss '${name}'`, () => model({ compile: false }).compile({ optimizer: 'sgd', loss: name as any }), ValueError,
    `unknown loss '${name}'`, 'known: categoricalCrossentropy', 'aliases: categorical_crossentropy');
  bad(`getLoss: { name: '${name}' }`, () => losses.getLoss({ name } as any), ValueError, `unknown loss '${name}'`);
  bad(`nn.dense: activation '${name}'`, () => nn.dense({ units: 2, activation: name as any }), ValueError, 'dense', "'relu'", `"${name}"`);
  bad(`compile: optimizer '${name}'`, () => model({ compile: false }).compile({ optimizer: name as any, loss: 'mse' }), ValueError, 'unknown optimizer', 'sgd, adam');
  bad(`compile: metric '${name}'`, () => model({ compile: false }).compile({ optimizer: 'sgd', loss: 'mse', metrics: [name] }), ValueError, 'unknown metric', "'accuracy'");
}
bad("optim.fromConfig: { name: 'constructor' }", () => optim.fromConfig({ name: 'constructor' }), ValueError, "unknown optimizer 'constructor'");

// ---- tidy around an async body ------------------------------------------------------------------
bad('tidy: an async function (its body never runs)', () => tidy((async () => ones([3])) as any), ValueError, 'tidy', 'is async', 'synchronous');

// ---- the largest tensor: the real per-tensor limit, not "4 GiB" ---------------------------------
bad('zeros: 2^28 float32 values (1 GiB, one block too many)', () => zeros([1 << 14, 1 << 14]), RangeError,
  'cannot allocate 1073741824 bytes', 'one tensor holds at most 1073741820 bytes, 1 GiB: 268435455 float32 values');
bad('ones: 2^31 float32 values', () => ones([1 << 16, 1 << 15]), RangeError, 'cannot allocate 8589934592 bytes', 'at most 1073741820 bytes');

errorTable('misuse', 30);

describe('backward() twice on one graph throws, as PyTorch does', () => {
  it('the second backward of one loss: ValueError, .grad keeps the first pass, a new forward accumulates', () => {
    const p = tensor([1, 2, 3]).requireGrad();
    const n0 = live();
    tidy(() => {
      const loss = ops.sum(ops.mul(p, p)); // gradient 2p
      loss.backward();
      expect(() => loss.backward()).toThrow(ValueError);
      expect(() => loss.backward()).toThrow(/backward: the graph through this tensor \(made by sum\) was already consumed by an earlier backward\(\)/);
    });
    expect(Array.from(p.grad!.dataSync())).toEqual([2, 4, 6]);
    tidy(() => ops.sum(ops.mul(p, p)).backward()); // a new graph: gradients accumulate (API.md)
    expect(Array.from(p.grad!.dataSync())).toEqual([4, 8, 12]);
    expect(live() - n0).toBe(1); // p.grad
    p.zeroGrad();
    expect(live()).toBe(n0);
    p.dispose();
  });

  it('a new graph through an intermediate whose own graph was consumed: ValueError naming it, no .grad written', () => {
    const p = tensor([1, 2]).requireGrad();
    tidy(() => {
      const h = ops.mul(p, 3);
      ops.sum(h).backward();
      expect(Array.from(p.grad!.dataSync())).toEqual([3, 3]);
      const z = ops.sum(ops.mul(h, h));
      expect(() => z.backward()).toThrow(/made by mul\) was already consumed/);
      expect(h.grad).toBeNull(); // not treated as a leaf
    });
    expect(Array.from(p.grad!.dataSync())).toEqual([3, 3]);
    p.zeroGrad();
    p.dispose();
  });
});

describe('int32 labels', () => {
  it('NaN labels cannot reach training as class 0; valid labels train', async () => {
    const m = model();
    const x = ones([4, 5, 5, 1]);
    expect(() => tensor([0, 1, NaN, 2], [4], 'int32')).toThrow(/tensor: int32 values must be integers .* got NaN at index 2/);
    const y = tensor(new Int32Array([0, 1, 2, 1]), [4], 'int32');
    const h = await m.fit(x, y, { epochs: 1, verbose: 0 });
    expect(h.loss.every(Number.isFinite)).toBe(true);
    x.dispose(); y.dispose(); m.dispose();
  });
});

describe('a model refuses a second concurrent fit()', () => {
  it('the second fit rejects with a ValueError and changes nothing; stopTraining stops only the running fit; fit works after', async () => {
    const m = model();
    const x = ones([8, 5, 5, 1]), y = tensor(new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]), [8], 'int32');
    let second: Promise<unknown> | null = null;
    const first = m.fit(x, y, {
      epochs: 3, batchSize: 4, verbose: 0,
      callbacks: [{
        onEpochEnd: (epoch: number) => {
          if (epoch !== 0) return;
          m.stopTraining = true; // ends the running fit after this epoch
          second = m.fit(x, y, { epochs: 1, verbose: 0 }).catch((e: unknown) => e); // must not reset it, nor train
        },
      }],
    });
    const h = await first;
    expect(h.loss.length).toBe(1);
    const refused = await second;
    expect(refused).toBeInstanceOf(ValueError);
    expect((refused as Error).message).toMatch(/^sequential\.fit: the model is already training in another fit\(\) that has not finished/);
    const again = await m.fit(x, y, { epochs: 2, verbose: 0 });
    expect(again.loss.length).toBe(2);
    x.dispose(); y.dispose(); m.dispose();
  });
});

describe('tidy around a body that returns a promise', () => {
  it('throws at once, frees nothing while the body still runs, frees its tensors once it settles, and its rejection is handled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => { unhandled.push(e); };
    process.on('unhandledRejection', onUnhandled);
    try {
      const n0 = live();
      let resume!: () => void;
      const gate = new Promise<void>((r) => { resume = r; });
      let made: Tensor | null = null;
      let readAfterAwait: number[] | null = null;
      expect(() => tidy(() => {
        made = ones([3]);
        return gate.then(() => { readAfterAwait = Array.from(made!.dataSync()); throw new Error('the body fails after its await'); });
      })).toThrow(/tidy: the function must be synchronous \(it returned a Promise\)/);
      expect(made!.isDisposed).toBe(false); // the body has not finished: its tensor is still usable
      resume();
      for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
      expect(readAfterAwait).toEqual([1, 1, 1]);
      expect(made!.isDisposed).toBe(true);
      expect(live()).toBe(n0);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe.skipIf(!haveDist)('init({ threads }) after shutdown()', () => {
  it('starts the workers again (child process); results keep their bits', () => {
    const r = runChild(`
      await W.init({ threads: 2, simd: 'baseline' });
      const a = W.backendInfo().threads;
      W.setSeed(5);
      const x = W.randn([64, 64]);
      const before = W.ops.matmul(x, x).dataSync();
      await W.shutdown();
      const down = W.backendInfo().threads;
      await W.init({ threads: 2, simd: 'baseline' });
      const again = W.backendInfo().threads;
      const after = W.ops.matmul(x, x).dataSync();
      let same = before.length === after.length; for (let i = 0; i < after.length; i++) if (!Object.is(before[i], after[i])) same = false;
      console.log(JSON.stringify({ a, down, again, same }));`);
    expect(r.signal, r.stderr).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ a: 2, down: 1, again: 2, same: true });
  }, 30_000);
});

it('a layer refused by Sequential.add gives its generated name back: the next layer takes it', () => {
  const m = new Sequential([nn.dense({ units: 2 })], { inputShape: [3] });
  const huge = nn.dense({ units: 1 << 30 }); // its weights cannot be allocated
  const n0 = live();
  expect(() => m.add(huge)).toThrow(RangeError);
  expect(huge.name).toBe('');
  expect(live()).toBe(n0);
  m.add(nn.dense({ units: 2 }));
  m.add(nn.dense({ units: 2, name: 'dense_3' }));
  m.add(nn.dense({ units: 2 }));
  expect(m.layers.map((l) => l.name)).toEqual(['dense', 'dense_1', 'dense_3', 'dense_2']);
  m.dispose();
});
