// data.dataset: a lazy, re-iterable pipeline of elements (tf.data's Dataset): map, filter,
// shuffle, batch, prefetch, take, skip, repeat. Elements flow one at a time, so memory is bounded
// by what the stages hold (a shuffle buffer, a batch, the prefetch queue), never by the dataset's
// size. `model.fit(dataset)` streams from it (src/model/fit-dataset.ts).
//
// Every iteration is opened with its epoch number, which seeds the shuffles: iteration e of a
// seeded pipeline gives the same order in every run and every runtime, and fit can resume at
// any epoch with that epoch's order.
import { Tensor, tidy } from '../tensor.js';
import { ValueError, fmtValue, rejectUnknownOptions } from '../errors.js';
import { describe } from '../ops/util.js';
import { nextU32, nextInt, randomStream, withRandomStream, type RandomStream } from '../random.js';
import { tensorsOf, markOwned, release, disown, isOwned, stackElements, sliceRow } from './dataset-elements.js';

/** Opens one pass over the elements; ownership of each yielded element passes to the caller. */
type Open<T> = (epoch: number) => AsyncIterator<T>;

export interface ShuffleOptions {
  /** Seeds the order: iteration e is shuffled the same way in every run. Default: drawn from the global generator when each iteration starts. */
  seed?: number;
  /** A new order on every iteration (epoch). Default true; false repeats the first iteration's order. */
  reshuffleEachIteration?: boolean;
}

export interface BatchOptions {
  /** Leave out a last batch smaller than the batch size. Default false. */
  dropRemainder?: boolean;
}

/** What data.dataset accepts: an array, a (async) iterable, a function returning one, or tensors to slice. */
export type DatasetSource<T> = Iterable<T> | AsyncIterable<T> | (() => Iterable<T> | AsyncIterable<T> | Iterator<T> | AsyncIterator<T>) | Dataset<T>;

const done = <T>(): IteratorResult<T> => ({ done: true, value: undefined });

function checkCount(where: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !(Number.isInteger(v) || v === Infinity) || v < min) {
    throw new ValueError(`${where}: ${name} must be an integer >= ${min}, got ${fmtValue(v)}`);
  }
  return v;
}

function checkOptions(where: string, options: unknown, known: string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ValueError(`${where}: options must be an object, got ${describe(options)}`);
  rejectUnknownOptions(where, options, known);
  return options as Record<string, unknown>;
}

/** Closes an upstream iterator, ignoring a missing return(). */
async function close(it: AsyncIterator<unknown>): Promise<void> {
  await it.return?.();
}

/**
 * A pipeline of elements. Build one with `data.dataset(source)` and chain the stages; each stage
 * returns a new Dataset and the source is read only when iterated (`for await`, `model.fit`).
 * Iterating with `for await` frees the pipeline's tensors of an element when the loop moves on
 * (as data.batches does): keep a copy of anything needed longer.
 */
export class Dataset<T = unknown> implements AsyncIterable<T> {
  private iterations = 0;

  /** @internal */
  constructor(readonly _open: Open<T>, readonly size: number | null) {}

  /**
   * Applies fn to every element. A synchronous fn runs inside tidy (its intermediate tensors are
   * freed); an async one must free its own. The tensors fn returns belong to the pipeline (freed
   * once consumed), except the source's own tensors passed through unchanged.
   */
  map<U>(fn: (element: T) => U | Promise<U>): Dataset<Awaited<U>> {
    if (typeof fn !== 'function') throw new ValueError(`dataset.map: expects a function, got ${describe(fn)}`);
    return new Dataset<Awaited<U>>((epoch) => {
      const up = this._open(epoch);
      return {
        next: async () => {
          const r = await up.next();
          if (r.done) return done();
          return { done: false, value: await applyMap(fn, r.value) };
        },
        return: async () => { await close(up); return done(); },
      };
    }, this.size);
  }

  /** Keeps the elements for which predicate returns true. */
  filter(predicate: (element: T) => boolean | Promise<boolean>): Dataset<T> {
    if (typeof predicate !== 'function') throw new ValueError(`dataset.filter: expects a function, got ${describe(predicate)}`);
    return new Dataset<T>((epoch) => {
      const up = this._open(epoch);
      return {
        next: async () => {
          for (;;) {
            const r = await up.next();
            if (r.done) return done();
            let keep: boolean;
            try { keep = await predicate(r.value); } catch (e) { release(r.value); throw e; }
            if (keep) return r;
            release(r.value);
          }
        },
        return: async () => { await close(up); return done(); },
      };
    }, this.size === Infinity ? Infinity : null);
  }

  /**
   * Shuffles with a buffer of `bufferSize` elements (tf.data's algorithm): the buffer is filled
   * with the first elements; then each output is a uniformly drawn buffer slot, refilled with the
   * next upstream element (or, once upstream ends, with the buffer's last element). A buffer at
   * least the dataset's size gives a uniform permutation.
   */
  shuffle(bufferSize: number, options: ShuffleOptions = {}): Dataset<T> {
    checkCount('dataset.shuffle', 'bufferSize', bufferSize, 1);
    const o = checkOptions('dataset.shuffle', options, ['seed', 'reshuffleEachIteration']);
    if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isFinite(o.seed))) throw new ValueError(`dataset.shuffle: option 'seed' must be a finite number, got ${fmtValue(o.seed)}`);
    const reshuffle = o.reshuffleEachIteration ?? true;
    if (typeof reshuffle !== 'boolean') throw new ValueError(`dataset.shuffle: option 'reshuffleEachIteration' must be a boolean, got ${fmtValue(reshuffle)}`);
    const seed = o.seed as number | undefined;
    return new Dataset<T>((epoch) => {
      // Drawn when the iteration opens (synchronously), so fit's seeded stream governs it.
      const stream = randomStream(seed === undefined ? nextU32() : shuffleSeed(seed, reshuffle ? epoch : 0));
      const up = this._open(epoch);
      const buffer: T[] = [];
      let upDone = false;
      return {
        next: async () => {
          while (!upDone && buffer.length < bufferSize) {
            const r = await up.next();
            if (r.done) upDone = true; else buffer.push(r.value);
          }
          if (buffer.length === 0) return done();
          const i = withRandomStream(stream, () => nextInt(buffer.length));
          const value = buffer[i];
          const r = upDone ? null : await up.next();
          if (r && !r.done) buffer[i] = r.value;
          else {
            upDone = true;
            buffer[i] = buffer[buffer.length - 1];
            buffer.pop();
          }
          return { done: false, value };
        },
        return: async () => { for (const el of buffer.splice(0)) release(el); await close(up); return done(); },
      };
    }, this.size);
  }

  /** Stacks consecutive elements into batches of `batchSize` (see stackElements for the rules). */
  batch(batchSize: number, options: BatchOptions = {}): Dataset<Batched<T>> {
    checkCount('dataset.batch', 'batchSize', batchSize, 1);
    if (batchSize === Infinity) throw new ValueError('dataset.batch: batchSize must be finite');
    const o = checkOptions('dataset.batch', options, ['dropRemainder']);
    const dropRemainder = o.dropRemainder ?? false;
    if (typeof dropRemainder !== 'boolean') throw new ValueError(`dataset.batch: option 'dropRemainder' must be a boolean, got ${fmtValue(dropRemainder)}`);
    const size = this.size === null || this.size === Infinity ? this.size : dropRemainder ? Math.floor(this.size / batchSize) : Math.ceil(this.size / batchSize);
    return new Dataset<Batched<T>>((epoch) => {
      const up = this._open(epoch);
      let upDone = false;
      return {
        next: async () => {
          const items: T[] = [];
          try {
            while (!upDone && items.length < batchSize) {
              const r = await up.next();
              if (r.done) upDone = true; else items.push(r.value);
            }
            if (items.length === 0 || (dropRemainder && items.length < batchSize)) return done();
            const value = stackElements(items, 'dataset.batch') as Batched<T>;
            markOwned(value);
            return { done: false, value };
          } finally {
            for (const el of items) release(el);
          }
        },
        return: async () => { await close(up); return done(); },
      };
    }, size);
  }

  /**
   * Reads up to `bufferSize` elements ahead of the consumer. The look-ahead runs on the same
   * thread: it overlaps the upstream's waiting (file reads, fetches) with the consumer's work, not
   * its computation (decoding, map functions).
   */
  prefetch(bufferSize: number): Dataset<T> {
    checkCount('dataset.prefetch', 'bufferSize', bufferSize, 1);
    return new Dataset<T>((epoch) => {
      const up = this._open(epoch);
      const queue: IteratorResult<T>[] = [];
      let failure: { error: unknown } | null = null;
      let pumping: Promise<void> | null = null;
      let finished = false;
      let closed = false;
      const pump = (): Promise<void> => {
        pumping ??= (async () => {
          try {
            while (!finished && !closed && queue.length < bufferSize) {
              const r = await up.next();
              if (closed) { if (!r.done) release(r.value); break; }
              queue.push(r);
              if (r.done) finished = true;
            }
          } catch (e) {
            failure = { error: e };
            finished = true;
          } finally {
            pumping = null;
          }
        })();
        return pumping;
      };
      return {
        next: async () => {
          while (queue.length === 0 && !finished) await pump();
          const r = queue.shift();
          if (r === undefined) {
            if (failure) { const f = failure as { error: unknown }; failure = null; throw f.error; }
            return done();
          }
          if (!finished) void pump();
          return r;
        },
        return: async () => {
          closed = true;
          await pumping;
          for (const r of queue.splice(0)) if (!r.done) release(r.value);
          await close(up);
          return done();
        },
      };
    }, this.size);
  }

  /** The first `count` elements. */
  take(count: number): Dataset<T> {
    checkCount('dataset.take', 'count', count, 0);
    return new Dataset<T>((epoch) => {
      const up = this._open(epoch);
      let taken = 0;
      return {
        next: async () => {
          if (taken >= count) { await close(up); return done(); }
          taken++;
          return up.next();
        },
        return: async () => { await close(up); return done(); },
      };
    }, this.size === null ? null : Math.min(this.size, count));
  }

  /** All but the first `count` elements. */
  skip(count: number): Dataset<T> {
    checkCount('dataset.skip', 'count', count, 0);
    return new Dataset<T>((epoch) => {
      const up = this._open(epoch);
      let skipped = 0;
      return {
        next: async () => {
          for (; skipped < count; skipped++) {
            const r = await up.next();
            if (r.done) return done();
            release(r.value);
          }
          return up.next();
        },
        return: async () => { await close(up); return done(); },
      };
    }, this.size === null ? null : Math.max(0, this.size - count));
  }

  /** The elements `count` times over (forever when omitted); each pass is a new iteration of the upstream. */
  repeat(count: number = Infinity): Dataset<T> {
    checkCount('dataset.repeat', 'count', count, 0);
    return new Dataset<T>((epoch) => {
      let pass = 0;
      let up: AsyncIterator<T> | null = null;
      const passEpoch = (p: number) => (count === Infinity ? p : epoch * count + p);
      return {
        next: async () => {
          for (let empty = 0; pass < count; ) {
            up ??= this._open(passEpoch(pass));
            const r = await up.next();
            if (!r.done) return r;
            up = null;
            pass++;
            // An upstream with no elements would otherwise loop forever.
            if (++empty > 1 && count === Infinity) throw new ValueError('dataset.repeat: the dataset yields no elements; repeating it forever would never produce one');
          }
          return done();
        },
        return: async () => { if (up) await close(up); return done(); },
      };
    }, this.size === null ? null : count === 0 || this.size === 0 ? 0 : count === Infinity ? Infinity : this.size * count);
  }

  /** Calls fn on every element in turn (awaiting it); the element's pipeline tensors are freed after. */
  async forEachAsync(fn: (element: T) => unknown): Promise<void> {
    if (typeof fn !== 'function') throw new ValueError(`dataset.forEachAsync: expects a function, got ${describe(fn)}`);
    for await (const el of this) await fn(el);
  }

  /** Every element in an array; the caller owns (and must dispose) their tensors. */
  async toArray(): Promise<T[]> {
    const out: T[] = [];
    const it = this._open(this.iterations++);
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) { disown(r.value); out.push(r.value); }
    } catch (e) {
      for (const el of out) for (const t of tensorsOf(el)) t.dispose();
      await close(it);
      throw e;
    }
    return out;
  }

  /** Iterates one pass; an element's pipeline tensors are freed when the iterator moves on or closes. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const it = this._open(this.iterations++);
    let current: { value: T } | null = null;
    const drop = () => { if (current) { release(current.value); current = null; } };
    return {
      next: async () => {
        drop();
        const r = await it.next();
        if (!r.done) current = { value: r.value };
        return r;
      },
      return: async () => { drop(); await close(it); return done(); },
    };
  }
}

/** What batch() makes of an element type: tensors in place of each leaf. */
export type Batched<T> = T extends Tensor | ArrayBufferView | number ? Tensor
  : T extends readonly unknown[] ? { [K in keyof T]: Batched<T[K]> }
  : T extends object ? { [K in keyof T]: Batched<T[K]> } : Tensor;

/** The 32-bit seed of iteration `epoch` of a shuffle seeded with `seed`: draw number `epoch` of the seed's stream. */
export function shuffleSeed(seed: number, epoch: number): number {
  const s: RandomStream = randomStream(seed);
  return withRandomStream(s, () => { let v = 0; for (let i = 0; i <= epoch; i++) v = nextU32(); return v; });
}

const isAsyncFunction = (fn: unknown): boolean => Object.prototype.toString.call(fn) === '[object AsyncFunction]';

/** Runs a map function on one element: tensors it makes are owned; the input's owned tensors it does not return are freed. */
async function applyMap<T, U>(fn: (el: T) => U | Promise<U>, el: T): Promise<Awaited<U>> {
  const inputs = tensorsOf(el);
  const sourceTensors = new Set([...inputs].filter((t) => !isOwned(t)));
  let out: Awaited<U>;
  try {
    // A synchronous function runs inside tidy, which frees the tensors it made but did not return.
    out = isAsyncFunction(fn) ? await fn(el) : await tidy(() => fn(el) as Awaited<U>);
  } catch (e) {
    release(el);
    throw e;
  }
  const outputs = tensorsOf(out);
  release(el, outputs);
  markOwned(out, sourceTensors);
  return out;
}

/**
 * data.dataset(source): a Dataset over `source`, read afresh on every iteration:
 * - an array, or any iterable / async iterable that can be iterated again (a Set, a Dataset...);
 * - a function returning an iterable, async iterable or iterator (e.g. a generator function), called once per iteration;
 * - a generator object or other one-shot iterator: iterable once (a second iteration is a ValueError);
 * - a Tensor x (and optionally y): its rows, as tensors without the first axis (`[xRow, yRow]` with y).
 */
export function dataset<T>(source: DatasetSource<T>): Dataset<T>;
export function dataset(x: Tensor, y?: Tensor): Dataset<Tensor | [Tensor, Tensor]>;
export function dataset(source: unknown, y?: unknown): Dataset<unknown> {
  if (source instanceof Dataset) return source;
  if (source instanceof Tensor) return fromTensors(source, y);
  if (y !== undefined) throw new ValueError(`data.dataset: a second argument (y) is only taken with a Tensor x, got x ${describe(source)}`);
  if (typeof source === 'function') {
    return new Dataset((_epoch) => iteratorOf(source(), 'data.dataset: the source function'), null);
  }
  if (source !== null && typeof source === 'object' && (Symbol.asyncIterator in source || Symbol.iterator in source)) {
    const size = Array.isArray(source) ? source.length : null;
    let oneShot = false, used = false;
    return new Dataset(() => {
      const it = iteratorOf(source, 'data.dataset: the source');
      if (it.self) oneShot = true;
      if (oneShot && used) {
        throw new ValueError('data.dataset: the source is a one-shot iterator (e.g. a generator object) and was already iterated; ' +
          'pass a function that returns a fresh one (e.g. the generator function itself) to iterate it again (every epoch)');
      }
      used = true;
      return it.iterator;
    }, size);
  }
  throw new ValueError(`data.dataset: source must be an array, an iterable or async iterable, a function returning one, or a Tensor; got ${describe(source)}`);
}

/** An async iterator over an iterable, async iterable or iterator; `self` when it is its own iterable (one-shot). */
function iteratorOf(v: any, what: string): { iterator: AsyncIterator<unknown>; self: boolean } & AsyncIterator<unknown> {
  let it: any;
  if (v && typeof v[Symbol.asyncIterator] === 'function') it = v[Symbol.asyncIterator]();
  else if (v && typeof v[Symbol.iterator] === 'function') it = v[Symbol.iterator]();
  else if (v && typeof v.next === 'function') it = v;
  else throw new ValueError(`${what} must give an iterable, async iterable or iterator, got ${describe(v)}`);
  const iterator: AsyncIterator<unknown> = {
    next: async () => it.next(),
    return: async () => { if (typeof it.return === 'function') await it.return(); return done(); },
  };
  return Object.assign(iterator, { iterator, self: it === v });
}

function fromTensors(x: Tensor, y: unknown): Dataset<Tensor | [Tensor, Tensor]> {
  x._checkLive('data.dataset', 'x');
  if (x.rank < 1) throw new ValueError('data.dataset: x must have a first axis to slice, got a scalar');
  if (y !== undefined) {
    if (!(y instanceof Tensor)) throw new ValueError(`data.dataset: y must be a Tensor, got ${describe(y)}`);
    y._checkLive('data.dataset', 'y');
    if (y.rank < 1 || y.shape[0] !== x.shape[0]) throw new ValueError(`data.dataset: x and y must hold the same number of rows (x [${x.shape}], y [${y.shape}])`);
  }
  const n = x.shape[0];
  return new Dataset((_epoch) => {
    let i = 0;
    return {
      next: async () => {
        if (i >= n) return done();
        x._checkLive('data.dataset', 'x');
        const xr = sliceRow(x, i);
        const value: Tensor | [Tensor, Tensor] = y instanceof Tensor ? [xr, sliceRow(y, i)] : xr;
        i++;
        markOwned(value);
        return { done: false, value };
      },
      return: async () => { i = n; return done(); },
    };
  }, n);
}
