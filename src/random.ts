// The one seeded generator behind every random draw (initialisers, dropout, shuffling,
// augmentation). Integer-only in JS (xoshiro128**), so the stream is identical in every engine;
// the float transforms that need log/cos (normal draws) run in wasm, whose Math is compiled in,
// never in the host's Math, whose last bits differ between engines.
import { kernels } from './backend/wasm.js';
import { ValueError } from './errors.js';

let s0 = 0, s1 = 0, s2 = 0, s3 = 0;

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Seeds the global generator: two runs with the same seed draw the same numbers. */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new ValueError(`setSeed: seed must be a finite number, got ${seed}`);
  [s0, s1, s2, s3] = stateOf(seed);
}

function stateOf(seed: number): [number, number, number, number] {
  const next = splitmix32(Math.floor(seed) >>> 0 ^ Math.floor(seed / 4294967296) >>> 0);
  const st: [number, number, number, number] = [next(), next(), next(), next()];
  if ((st[0] | st[1] | st[2] | st[3]) === 0) st[0] = 1;
  return st;
}

/** The global generator's state (4 unsigned 32-bit words), e.g. for a training checkpoint. */
export function getRandomState(): [number, number, number, number] {
  return [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0];
}

/** Puts the global generator back to a state `getRandomState` returned: the draws continue from there. */
export function setRandomState(state: readonly number[]): void {
  if (!isRandomState(state)) throw new ValueError(`setRandomState: expected 4 unsigned 32-bit integers, not all zero, got ${JSON.stringify(state)}`);
  [s0, s1, s2, s3] = [state[0] | 0, state[1] | 0, state[2] | 0, state[3] | 0];
}

/** True for a valid xoshiro128** state: 4 integers in [0, 2^32), not all zero. */
export function isRandomState(state: unknown): state is [number, number, number, number] {
  return Array.isArray(state) && state.length === 4 && state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
    state.some((w) => w !== 0);
}

/** A private generator stream (e.g. one fit's), independent of the global one. */
export interface RandomStream { state: [number, number, number, number] }
export function randomStream(seed: number): RandomStream {
  if (!Number.isFinite(seed)) throw new ValueError(`seed must be a finite number, got ${seed}`);
  return { state: stateOf(seed) };
}

/**
 * Runs fn (synchronous) with every draw taken from `stream` instead of the global generator,
 * which is left exactly as it was.
 */
export function withRandomStream<T>(stream: RandomStream, fn: () => T): T {
  const saved = [s0, s1, s2, s3];
  [s0, s1, s2, s3] = stream.state;
  try {
    return fn();
  } finally {
    stream.state = [s0, s1, s2, s3];
    [s0, s1, s2, s3] = saved;
  }
}
setSeed(Date.now());

/** Next 32-bit unsigned integer (xoshiro128**). */
export function nextU32(): number {
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  return result;
}
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Uniform float in [0, 1) with 24 random bits (exact in float32 and float64). */
export function nextFloat(): number {
  return (nextU32() >>> 8) / 16777216;
}

/** Uniform integer in [0, n). */
export function nextInt(n: number): number {
  // Lemire's multiply-shift without bias rejection is fine for n << 2^32; reject for exactness.
  const limit = 4294967296 - (4294967296 % n);
  let x: number;
  do { x = nextU32(); } while (x >= limit);
  return x % n;
}

/** In-place Fisher-Yates shuffle of an index array. */
export function shuffle(a: Int32Array | number[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = nextInt(i + 1);
    const t = a[i]; a[i] = a[j]; a[j] = t;
  }
}

/** The generator state handed to wasm (4 u32), allocated on first use. */
let statePtr = 0;

/**
 * Long fills go to wasm in chunks of this many values (even, so normal pairs never straddle two).
 * V8 starts a wasm function in its baseline compiler (Liftoff) and swaps in optimised code only
 * between calls (no on-stack replacement), so one call filling a fresh model's dense kernel
 * (~400K values) would run entirely at baseline speed, ~10x slower; in chunks the later calls
 * get the optimised code (the first fill of 401,408 values takes 1.6 ms chunked, 4.5 ms in one call). The
 * values are the same: the generator state carries over, the transforms are elementwise.
 */
const FILL_CHUNK = 1 << 14;

/** Fills wasm floats [ptr, ptr + 4n) with raw 32-bit draws (transformed in wasm afterwards). */
function fillBits(ptr: number, n: number): void {
  const k = kernels();
  // In wasm: the same xoshiro128** stream as nextU32, ~10x faster for weight initialisation.
  if (statePtr === 0) statePtr = k.alloc(16) >>> 0;
  const st = new Uint32Array(k.memory.buffer, statePtr, 4);
  st[0] = s0; st[1] = s1; st[2] = s2; st[3] = s3;
  for (let i = 0; i < n; i += FILL_CHUNK) k.xoshiroFill(statePtr, ptr + 4 * i, Math.min(FILL_CHUNK, n - i)); // allocates nothing, so the view stays valid
  s0 = st[0] | 0; s1 = st[1] | 0; s2 = st[2] | 0; s3 = st[3] | 0;
}

/** Uniform floats in [low, high) into wasm memory. */
export function fillUniform(ptr: number, n: number, low: number, high: number): void {
  fillBits(ptr, n);
  const k = kernels();
  for (let i = 0; i < n; i += FILL_CHUNK) k.bitsToUniform(ptr + 4 * i, Math.min(FILL_CHUNK, n - i), low, high);
}

/** Normal floats (Box-Muller in wasm) into wasm memory. */
export function fillNormal(ptr: number, n: number, mean: number, std: number): void {
  fillBits(ptr, n);
  bitsToNormal(ptr, n, mean, std);
}

function bitsToNormal(ptr: number, n: number, mean: number, std: number): void {
  const k = kernels();
  for (let i = 0; i < n; i += FILL_CHUNK) k.bitsToNormal(ptr + 4 * i, Math.min(FILL_CHUNK, n - i), mean, std);
}

/** Normal(mean, std) cut at 2 std by redrawing (Keras' TruncatedNormal). */
export function fillTruncatedNormal(ptr: number, n: number, mean: number, std: number): void {
  fillBits(ptr, n);
  bitsToNormal(ptr, n, 0, 1);
  const k = kernels();
  // Allocate the redraw pair before taking views: an allocation may grow (and detach) memory.
  const pair = k.alloc(16) >>> 0;
  try {
    const f = new Float32Array(k.memory.buffer);
    const u = new Uint32Array(k.memory.buffer);
    const base = ptr >>> 2;
    for (let i = 0; i < n; i++) {
      while (Math.abs(f[base + i]) > 2) {
        u[pair >>> 2] = nextU32();
        u[(pair >>> 2) + 1] = nextU32();
        k.bitsToNormal(pair, 2, 0, 1);
        f[base + i] = f[pair >>> 2];
      }
      f[base + i] = mean + std * f[base + i];
    }
  } finally {
    k.free(pair);
  }
}
