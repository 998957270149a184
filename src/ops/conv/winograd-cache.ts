// The Winograd weight cache. With few tiles (batch-1 inference: 49 tiles for a 14x14 map) the
// weight transform is ~10% of a Winograd conv, and it gives the same U every call while the
// weights stay the same. So small calls keep U together with a copy of the weights it came from,
// and reuse U only when the weights are bit-identical to that copy (one SIMD compare of 9*C*CO
// floats, ~5x cheaper than the transform). Checking the values, not a version number, means no
// write path can leave a stale U: optimizer kernels, assign, loading weights, a freed tensor's
// memory reused by another. Large calls (training batches) transform into scratch: there the
// transform is noise.
import { kernels, workspace, WorkspaceSlot } from '../../backend/wasm.js';
import { convTuning } from './algorithm.js';

/** Largest tile count whose weight transform is cached (above it the transform is < ~2% of the conv). */
const WINOGRAD_CACHE_MAX_TILES = 256;
interface WinogradEntry { copy: number; u: number; bytes: number }
const winogradCache = new Map<string, WinogradEntry>();
let winogradCacheBytes = 0;

/**
 * The Winograd-transformed weights U of `w` (C input, CO output channels) for a conv of `tiles`
 * tiles. flip = 1: w is the forward conv's [3,3,CO,C] weights, read rotated with channels swapped.
 * size 5: w is a 5x5 kernel, transformed for F(2x2,5x5) (forward only).
 */
export function winogradWeightsFor(w: number, C: number, CO: number, flip: number, tiles: number, size: 3 | 5 = 3): number {
  const k = kernels();
  const wBytes = size * size * C * CO * 4;
  const uBytes = size === 5 ? k.winograd5WeightsBytes(C, CO) : k.winogradWeightsBytes(C, CO), bytes = wBytes + uBytes;
  const transform = (u: number) => {
    if (size === 5) k.winograd5Weights(w, u, C, CO);
    else k.winogradWeights(w, u, flip ? CO : C, flip ? C : CO, flip);
    return u;
  };
  if (tiles > WINOGRAD_CACHE_MAX_TILES || bytes > convTuning.winogradCacheBytes / 4) return transform(workspace(uBytes, WorkspaceSlot.Weights));
  const key = `${w}:${C}:${CO}:${flip}:${size}`;
  let e = winogradCache.get(key);
  if (e) {
    winogradCache.delete(key); // re-insert below: Map order is the LRU order
    winogradCache.set(key, e);
    if (k.sameBytes(e.copy, w, wBytes)) return e.u;
  } else {
    while (winogradCacheBytes + bytes > convTuning.winogradCacheBytes && winogradCache.size) {
      const [oldest, old] = winogradCache.entries().next().value as [string, WinogradEntry];
      k.free(old.copy); k.free(old.u);
      winogradCacheBytes -= old.bytes;
      winogradCache.delete(oldest);
    }
    let copy = 0, u = 0;
    try { copy = k.alloc(wBytes) >>> 0; u = k.alloc(uBytes) >>> 0; } catch { /* out of memory: no caching */ }
    if (!copy || !u) {
      if (copy) k.free(copy);
      return transform(workspace(uBytes, WorkspaceSlot.Weights));
    }
    e = { copy, u, bytes };
    winogradCache.set(key, e);
    winogradCacheBytes += bytes;
  }
  // The entry is valid once both are written; a throw in between cannot happen (plain kernels).
  k.copy(w, e.copy, wBytes / 4);
  return transform(e.u);
}
