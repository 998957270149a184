// Property tests (fast-check) of every kernel family against the naive float64 references in
// test/reference/, forward and gradient, with degenerate sizes on purpose (1x1 images, batch 1,
// one channel, kernel = input size, strides larger than the input, empty-ish broadcasts); and of
// the loaders (IDX, saved models, ONNX) fed random corruptions of valid files: each must load or
// throw FormatError, never hang or throw anything else, and leave no tensor behind.
// A summary line per kernel and loader gives the number of cases run (printed at the end).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'fflate';
import {
  ops, nn, tensor, tidy, setSeed, backendInfo, data, Sequential, loadOnnx, Tensor, ShapeError, ValueError, FormatError,
  DisposedError,
} from '../src/index.js';
import { encodeIdx, IDX_TYPE_CODES, type IdxValues } from '../src/data/idx.js';
import { setAllocLimit } from '../src/backend/wasm.js';
import { convTuning } from '../src/ops/conv/algorithm.js';
import { refConv2d, refConv2dBackpropInput, refConv2dBackpropFilter, refConv2dTranspose, refPads, type Pad4 } from './reference/conv.js';
import { refMaxPool, refMaxPoolBackward, refAvgPool, refAvgPoolBackward } from './reference/pool.js';
import { matmulRef } from './reference/gemm.js';
import { binaryRef, binaryFns, broadcastShape, unravel, ravelBroadcast } from './reference/elementwise.js';
import { sumRef, meanRef, maxRef, argMaxRef, softmaxRef } from './reference/reduce.js';
import { expectClose, summationAtol } from './harness/close.js';

// WASM_CNN_FUZZ_SCALE=10 runs ten times as many cases (a deeper run than CI's).
const SCALE = Number(process.env.WASM_CNN_FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const counts: Record<string, number> = {};
const count = (k: string) => { counts[k] = (counts[k] ?? 0) + 1; };
const live = () => backendInfo().liveTensors;
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Deterministic float32 values in [lo, hi). */
function vals(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return out;
}
const absA = (a: ArrayLike<number>) => Array.from(a, Math.abs);

/** Sizes biased toward the degenerate 1; `big` adds a rare long dimension (SIMD remainders, tiles). */
const dim = (max: number, big = 0) => big > max
  ? fc.oneof({ arbitrary: fc.constant(1), weight: 2 }, { arbitrary: fc.integer({ min: 1, max }), weight: 6 }, { arbitrary: fc.integer({ min: max + 1, max: big }), weight: 1 })
  : fc.oneof({ arbitrary: fc.constant(1), weight: 1 }, { arbitrary: fc.integer({ min: 1, max }), weight: 3 });
const small = (max: number) => fc.integer({ min: 0, max });

type Padding = 'valid' | 'same' | number | [number, number] | [[number, number], [number, number]];
const paddingArb: fc.Arbitrary<Padding> = fc.oneof(
  fc.constant<Padding>('valid'), fc.constant<Padding>('same'), small(3),
  fc.tuple(small(2), small(2)) as fc.Arbitrary<Padding>,
  fc.tuple(fc.tuple(small(2), small(2)), fc.tuple(small(2), small(2))) as fc.Arbitrary<Padding>,
);

function expectThrow(fn: () => unknown, cls: new (...a: any[]) => Error): void {
  let err: unknown = null;
  try { fn(); } catch (e) { err = e; }
  if (!(err instanceof cls)) throw new Error(`expected ${cls.name}, got ${err === null ? 'no error' : String(err)}`);
}

// ---- conv2d ---------------------------------------------------------------------------------------
describe('fuzz: kernels against the float64 references', () => {
  const convArb = fc.record({
    n: dim(3), h: dim(9, 14), w: dim(9, 14),
    groups: dim(3), cg: dim(3, 6), og: dim(3, 9), depthwise: fc.boolean(), cin: dim(5, 12),
    kh: dim(5), kw: dim(5), kernelIsInput: fc.integer({ min: 0, max: 5 }),
    sh: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 6 })), sw: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 6 })),
    dh: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })), dw: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 3 })),
    pad: paddingArb, bias: fc.boolean(), relu: fc.integer({ min: 0, max: 3 }), seed: fc.integer({ min: 1, max: 1e6 }),
  });

  const convProperty = (label: string) => fc.property(convArb, (r) => {
      const groups = r.depthwise ? r.cin : r.groups;
      const cg = r.depthwise ? 1 : r.cg;
      const C = groups * cg, CO = groups * r.og;
      let [kh, kw, dh, dw, pad] = [r.kh, r.kw, r.dh, r.dw, r.pad as Padding];
      if (r.kernelIsInput === 0) { kh = r.h; kw = r.w; dh = 1; dw = 1; pad = 'valid'; } // kernel = input size: a 1x1 output
      const xShape = [r.n, r.h, r.w, C], wShape = [kh, kw, cg, CO];
      const pads = refPads(pad, r.h, r.w, kh, kw, [r.sh, r.sw], [dh, dw]) as Pad4;
      const ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1;
      const opts = { strides: [r.sh, r.sw] as [number, number], dilation: [dh, dw] as [number, number], padding: pad, groups, activation: r.relu === 0 ? 'relu' as const : undefined };
      const n0 = live();
      tidy(() => {
        const x = tensor(vals(sizeOf(xShape), r.seed), xShape).requireGrad();
        const w = tensor(vals(sizeOf(wShape), r.seed + 1), wShape).requireGrad();
        const b = r.bias ? tensor(vals(CO, r.seed + 2), [CO]).requireGrad() : null;
        if (r.h + pads[0] + pads[1] < ekh || r.w + pads[2] + pads[3] < ekw) {
          count('conv2d (rejected: kernel larger than padded input)');
          expectThrow(() => ops.conv2d(x, w, b, opts), ShapeError);
          return;
        }
        count('conv2d forward');
        const ro = { strides: [r.sh, r.sw] as [number, number], dilation: [dh, dw] as [number, number], pads, groups };
        const y = ops.conv2d(x, w, b, opts);
        const xv = x.dataSync(), wv = w.dataSync(), bv = b ? b.dataSync() : null;
        const ref = refConv2d(xv, xShape, wv, wShape, bv, ro);
        const scale = refConv2d(absA(xv), xShape, absA(wv), wShape, bv ? absA(bv) : null, ro).y;
        expect(y.shape).toEqual(ref.shape);
        const want = opts.activation ? Array.from(ref.y, (v) => Math.max(v, 0)) : ref.y;
        expectClose(y.dataSync(), want, { atol: summationAtol(scale, kh * kw * cg, { floor: 1e-6 }), what: `conv2d y ${JSON.stringify(r)}` });
        // backward with a random upstream gradient (through the fused relu: masked where y <= 0)
        count('conv2d backward (dx, dw, db)');
        const dyv = vals(y.size, r.seed + 3);
        y.backward(tensor(dyv, y.shape));
        const yv = y.dataSync();
        const g = opts.activation ? dyv.map((d, i) => (yv[i] > 0 ? d : 0)) : dyv;
        const dx = refConv2dBackpropInput(xShape, g, wv, wShape, ro);
        const dxs = refConv2dBackpropInput(xShape, absA(g), absA(wv), wShape, ro);
        expectClose(x.grad!.dataSync(), dx, { atol: summationAtol(dxs, kh * kw * r.og, { floor: 1e-6 }), what: 'conv2d dx' });
        const dW = refConv2dBackpropFilter(xv, xShape, g, wShape, ro);
        const dWs = refConv2dBackpropFilter(absA(xv), xShape, absA(g), wShape, ro);
        expectClose(w.grad!.dataSync(), dW, { atol: summationAtol(dWs, y.size / CO, { floor: 1e-6 }), what: 'conv2d dw' });
        if (b) {
          const db = new Float64Array(CO), dbs = new Float64Array(CO);
          g.forEach((v, i) => { db[i % CO] += v; dbs[i % CO] += Math.abs(v); });
          expectClose(b.grad!.dataSync(), db, { atol: summationAtol(dbs, y.size / CO, { floor: 1e-6 }), what: 'conv2d db' });
        }
        x.zeroGrad(); w.zeroGrad(); b?.zeroGrad();
      });
      expect(live()).toBe(n0);
      if (label) count(label);
    });

  it('conv2d forward + backward (groups, depthwise, dilation, every padding form, fused relu)', () => {
    fc.assert(convProperty(''), { numRuns: runs(1200), seed: 1001 });
  });

  it('conv2d forward + backward with tiny im2col chunks (chunk boundaries inside every image)', () => {
    const saved = convTuning.chunkBytes;
    convTuning.chunkBytes = 1024;
    try {
      fc.assert(convProperty('conv2d: of the above, cases run with 1 KB im2col chunks'), { numRuns: runs(500), seed: 1011 });
    } finally {
      convTuning.chunkBytes = saved;
    }
  });

  it('conv2dTranspose forward + backward (strides, dilation, valid/same/explicit padding, outputPadding)', () => {
    const arb = fc.record({
      n: dim(2), h: dim(6), w: dim(6), inC: dim(4), outC: dim(4), kh: dim(4), kw: dim(4),
      s: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 4 })), d: fc.oneof(fc.constant(1), fc.constant(2)),
      pad: fc.oneof(fc.constant<Padding>('valid'), fc.constant<Padding>('same'), small(2), fc.tuple(fc.tuple(small(2), small(2)), fc.tuple(small(2), small(2))) as fc.Arbitrary<Padding>),
      op: small(3), bias: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(fc.property(arb, (r) => {
      const { n, h, w, inC, outC, kh, kw, s, d } = r;
      // An explicit outputPadding with 'valid'/'same' follows Keras' deconv_output_length
      // ((in-1)*s + k - 2*pad + op, pad = k//2 for 'same'); without one, TensorFlow's sizes.
      const opad = r.op % Math.max(s, d);
      const given = r.seed % 2 === 0;
      const ekh = (kh - 1) * d + 1, ekw = (kw - 1) * d + 1;
      let outH: number, outW: number, padTop: number, padLeft: number;
      if (r.pad === 'valid') {
        if (given) { outH = (h - 1) * s + ekh + opad; outW = (w - 1) * s + ekw + opad; }
        else { outH = h * s + Math.max(ekh - s, 0); outW = w * s + Math.max(ekw - s, 0); }
        padTop = 0; padLeft = 0;
      } else if (r.pad === 'same') {
        if (given) {
          outH = (h - 1) * s + ekh - 2 * Math.floor(ekh / 2) + opad; outW = (w - 1) * s + ekw - 2 * Math.floor(ekw / 2) + opad;
        } else { outH = h * s; outW = w * s; }
        padTop = Math.floor(Math.max((h - 1) * s + ekh - outH, 0) / 2); padLeft = Math.floor(Math.max((w - 1) * s + ekw - outW, 0) / 2);
      } else {
        const [t, b, l, rr] = refPads(r.pad, 0, 0, kh, kw, [s, s], [d, d]);
        const o = given ? opad : 0;
        outH = (h - 1) * s + ekh - t - b + o; outW = (w - 1) * s + ekw - l - rr + o; padTop = t; padLeft = l;
      }
      const xShape = [n, h, w, inC], wShape = [kh, kw, outC, inC];
      const opts = { strides: s, dilation: d, padding: r.pad, outputPadding: given ? opad : undefined };
      const n0 = live();
      tidy(() => {
        const x = tensor(vals(sizeOf(xShape), r.seed), xShape).requireGrad();
        const wt = tensor(vals(sizeOf(wShape), r.seed + 1), wShape).requireGrad();
        const b = r.bias ? tensor(vals(outC, r.seed + 2), [outC]) : null;
        if (outH < 1 || outW < 1) {
          count('conv2dTranspose (rejected: empty output)');
          expectThrow(() => ops.conv2dTranspose(x, wt, b, opts), ShapeError);
          return;
        }
        count('conv2dTranspose forward');
        const y = ops.conv2dTranspose(x, wt, b, opts);
        const xv = x.dataSync(), wv = wt.dataSync(), bv = b ? b.dataSync() : null;
        const ro = { strides: [s, s] as [number, number], dilation: [d, d] as [number, number], padTop, padLeft };
        const ref = refConv2dTranspose(xv, xShape, wv, wShape, bv, outH, outW, ro);
        const scale = refConv2dTranspose(absA(xv), xShape, absA(wv), wShape, bv ? absA(bv) : null, outH, outW, ro).y;
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.dataSync(), ref.y, { atol: summationAtol(scale, kh * kw * inC, { floor: 1e-6 }), what: `conv2dTranspose y ${JSON.stringify(r)}` });
        // backward: the adjoint is conv2d of dy with the same weights (HWIO [kh, kw, outC, inC])
        count('conv2dTranspose backward (dx, dw)');
        const yShape = [n, outH, outW, outC];
        const dyv = vals(y.size, r.seed + 3);
        y.backward(tensor(dyv, yShape));
        const pads: Pad4 = [padTop, (h - 1) * s + ekh - padTop - outH, padLeft, (w - 1) * s + ekw - padLeft - outW];
        const co = { strides: [s, s] as [number, number], dilation: [d, d] as [number, number], pads };
        const dx = refConv2d(dyv, yShape, wv, wShape, null, co);
        const dxs = refConv2d(absA(dyv), yShape, absA(wv), wShape, null, co);
        expectClose(x.grad!.dataSync(), dx.y, { atol: summationAtol(dxs.y, kh * kw * outC, { floor: 1e-6 }), what: 'conv2dTranspose dx' });
        const dW = refConv2dBackpropFilter(dyv, yShape, xv, wShape, co);
        const dWs = refConv2dBackpropFilter(absA(dyv), yShape, absA(xv), wShape, co);
        expectClose(wt.grad!.dataSync(), dW, { atol: summationAtol(dWs, n * h * w, { floor: 1e-6 }), what: 'conv2dTranspose dw' });
        x.zeroGrad(); wt.zeroGrad();
      });
      expect(live()).toBe(n0);
    }), { numRuns: runs(900), seed: 1002 });
  });

  it('max / avg pooling forward + backward, and the global pools', () => {
    const arb = fc.record({
      n: dim(3), h: dim(8, 13), w: dim(8, 13), c: dim(4, 11), kh: dim(4), kw: dim(4), kernelIsInput: fc.integer({ min: 0, max: 5 }),
      sh: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 5 })), sw: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 5 })),
      same: fc.boolean(), avg: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(fc.property(arb, (r) => {
      const kh = r.kernelIsInput === 0 ? r.h : r.kh, kw = r.kernelIsInput === 0 ? r.w : r.kw;
      const padding = r.same ? 'same' as const : 'valid' as const;
      const xShape = [r.n, r.h, r.w, r.c];
      const pads = refPads(padding, r.h, r.w, kh, kw, [r.sh, r.sw], [1, 1]) as Pad4;
      const op = r.avg ? ops.avgPool2d : ops.maxPool2d;
      const name = r.avg ? 'avgPool2d' : 'maxPool2d';
      const opts = { poolSize: [kh, kw] as [number, number], strides: [r.sh, r.sw] as [number, number], padding };
      const n0 = live();
      tidy(() => {
        const x = tensor(vals(sizeOf(xShape), r.seed, -2, 2), xShape).requireGrad();
        if (r.h + pads[0] + pads[1] < kh || r.w + pads[2] + pads[3] < kw) {
          count(`${name} (rejected: window larger than input)`);
          expectThrow(() => op(x, opts), ShapeError);
          return;
        }
        count(`${name} forward + backward`);
        const y = op(x, opts);
        const xv = x.dataSync();
        const p = { k: [kh, kw] as [number, number], s: [r.sh, r.sw] as [number, number], pads };
        const ref = r.avg ? refAvgPool(xv, xShape, p) : refMaxPool(xv, xShape, p);
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.dataSync(), ref.y, { atol: summationAtol(r.avg ? refAvgPool(absA(xv), xShape, p).y : ref.y, kh * kw, { floor: 1e-6 }), what: `${name} y ${JSON.stringify(r)}` });
        const dyv = vals(y.size, r.seed + 1);
        y.backward(tensor(dyv, y.shape));
        const dx = r.avg ? refAvgPoolBackward(xShape, dyv, p) : refMaxPoolBackward(xv, xShape, dyv, p);
        const dxs = r.avg ? refAvgPoolBackward(xShape, absA(dyv), p) : refMaxPoolBackward(xv, xShape, absA(dyv), p);
        expectClose(x.grad!.dataSync(), dx, { atol: summationAtol(dxs, kh * kw, { floor: 1e-6 }), what: `${name} dx` });
        x.zeroGrad();
        // global pools over the same input
        count('globalAvgPool2d / globalMaxPool2d forward + backward');
        const ga = ops.globalAvgPool2d(x), gm = ops.globalMaxPool2d(x);
        const HW = r.h * r.w;
        const wantA = new Float64Array(r.n * r.c), wantM = new Float64Array(r.n * r.c).fill(-Infinity), arg = new Int32Array(r.n * r.c);
        for (let b = 0; b < r.n; b++) for (let q = 0; q < HW; q++) for (let c = 0; c < r.c; c++) {
          const v = xv[(b * HW + q) * r.c + c];
          wantA[b * r.c + c] += v / HW;
          if (v > wantM[b * r.c + c]) { wantM[b * r.c + c] = v; arg[b * r.c + c] = q; }
        }
        expectClose(ga.dataSync(), wantA, { atol: summationAtol(new Float64Array(wantA.length).fill(2), HW, { floor: 1e-6 }), what: 'globalAvgPool2d' });
        expectClose(gm.dataSync(), wantM, { atol: summationAtol(wantM, 0, { floor: 1e-6 }), what: 'globalMaxPool2d' });
        const g = vals(r.n * r.c, r.seed + 2);
        ops.add(ops.sum(ops.mul(ga, tensor(g, [r.n, r.c]))), ops.sum(ops.mul(gm, tensor(g, [r.n, r.c])))).backward();
        const dg = new Float64Array(xv.length);
        for (let b = 0; b < r.n; b++) for (let q = 0; q < HW; q++) for (let c = 0; c < r.c; c++) {
          dg[(b * HW + q) * r.c + c] = g[b * r.c + c] / HW + (arg[b * r.c + c] === q ? g[b * r.c + c] : 0);
        }
        expectClose(x.grad!.dataSync(), dg, { atol: summationAtol(new Float64Array(dg.length).fill(2), 1, { floor: 1e-6 }), what: 'global pools dx' });
        x.zeroGrad();
      });
      expect(live()).toBe(n0);
    }), { numRuns: runs(1200), seed: 1003 });
  });

  it('matmul forward + backward: 2-D, batched, transposes, a shared (2-D or batch-1) side', () => {
    const arb = fc.record({
      batch: fc.integer({ min: 0, max: 3 }), aKind: fc.integer({ min: 0, max: 2 }), bKind: fc.integer({ min: 0, max: 2 }),
      M: dim(9, 30), N: dim(9, 40), K: dim(12, 300), tA: fc.boolean(), tB: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(fc.property(arb, (r) => {
      const { M, N, K, tA, tB } = r;
      const B = Math.max(r.batch, 1);
      // kind 0: 2-D (shared); 1: batch B; 2: batch 1 (shared). At least one side batched when batch > 0.
      const aKind = r.batch === 0 ? 0 : r.aKind, bKind = r.batch === 0 ? 0 : (aKind === 1 ? r.bKind : 1);
      const lead = (kind: number) => (kind === 0 ? [] : kind === 1 ? [B] : [1]);
      const aShape = [...lead(aKind), ...(tA ? [K, M] : [M, K])], bShape = [...lead(bKind), ...(tB ? [N, K] : [K, N])];
      const batched = aKind !== 0 || bKind !== 0;
      const nb = aKind === 1 || bKind === 1 ? B : 1;
      count('matmul forward + backward');
      const n0 = live();
      tidy(() => {
        const a = tensor(vals(sizeOf(aShape), r.seed), aShape).requireGrad();
        const b = tensor(vals(sizeOf(bShape), r.seed + 1), bShape).requireGrad();
        const y = ops.matmul(a, b, { transposeA: tA, transposeB: tB });
        expect(y.shape).toEqual(batched ? [nb, M, N] : [M, N]);
        const av = a.dataSync(), bv = b.dataSync();
        const aSz = M * K, bSz = K * N;
        const aOf = (i: number) => av.subarray(aKind === 1 ? i * aSz : 0, (aKind === 1 ? i * aSz : 0) + aSz);
        const bOf = (i: number) => bv.subarray(bKind === 1 ? i * bSz : 0, (bKind === 1 ? i * bSz : 0) + bSz);
        const a2 = (tA ? [K, M] : [M, K]) as [number, number], b2 = (tB ? [N, K] : [K, N]) as [number, number];
        const want: number[] = [], scale: number[] = [];
        for (let i = 0; i < nb; i++) {
          want.push(...matmulRef(aOf(i), a2, bOf(i), b2, tA, tB).values);
          scale.push(...matmulRef(absA(aOf(i)), a2, absA(bOf(i)), b2, tA, tB).values);
        }
        expectClose(y.dataSync(), want, { atol: summationAtol(scale, K, { floor: 1e-6 }), what: `matmul ${JSON.stringify(r)}` });
        const g = vals(y.size, r.seed + 2);
        y.backward(tensor(g, y.shape));
        // d op(a)[i] = g[i] op(b)[i]^T, d op(b)[i] = op(a)[i]^T g[i]; summed over i for a shared side.
        const ga = new Float64Array(av.length), gas = new Float64Array(av.length);
        const gb = new Float64Array(bv.length), gbs = new Float64Array(bv.length);
        for (let i = 0; i < nb; i++) {
          const A = aOf(i), Bm = bOf(i), gi = g.subarray(i * M * N, (i + 1) * M * N);
          const aOff = aKind === 1 ? i * aSz : 0, bOff = bKind === 1 ? i * bSz : 0;
          for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) {
            let s = 0, ss = 0;
            for (let nn2 = 0; nn2 < N; nn2++) { const bvk = tB ? Bm[nn2 * K + k] : Bm[k * N + nn2]; s += gi[m * N + nn2] * bvk; ss += Math.abs(gi[m * N + nn2] * bvk); }
            const at = aOff + (tA ? k * M + m : m * K + k);
            ga[at] += s; gas[at] += ss;
          }
          for (let k = 0; k < K; k++) for (let nn2 = 0; nn2 < N; nn2++) {
            let s = 0, ss = 0;
            for (let m = 0; m < M; m++) { const avk = tA ? A[k * M + m] : A[m * K + k]; s += avk * gi[m * N + nn2]; ss += Math.abs(avk * gi[m * N + nn2]); }
            const at = bOff + (tB ? nn2 * K + k : k * N + nn2);
            gb[at] += s; gbs[at] += ss;
          }
        }
        expectClose(a.grad!.dataSync(), ga, { atol: summationAtol(gas, nb * N, { floor: 1e-6 }), what: 'matmul da' });
        expectClose(b.grad!.dataSync(), gb, { atol: summationAtol(gbs, nb * M, { floor: 1e-6 }), what: 'matmul db' });
        a.zeroGrad(); b.zeroGrad();
      });
      expect(live()).toBe(n0);
    }), { numRuns: runs(1200), seed: 1004 });
  });

  it('elementwise binary ops with NumPy broadcasting (and number operands), forward + gradients', () => {
    const shapeArb = fc.array(dim(4, 37), { minLength: 0, maxLength: 4 }).filter((sh) => sizeOf(sh) <= 6000);
    const side = (out: number[]) => fc.record({ drop: fc.integer({ min: 0, max: out.length }), ones: fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }) })
      .map(({ drop, ones }) => out.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
    const arb = shapeArb.chain((out) => fc.record({
      out: fc.constant(out), a: side(out), b: side(out),
      op: fc.constantFrom('add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow'),
      scalar: fc.integer({ min: 0, max: 5 }), seed: fc.integer({ min: 1, max: 1e6 }),
    }));
    const dA: Record<string, (a: number, b: number) => number> = {
      add: () => 1, sub: () => 1, mul: (_a, b) => b, div: (_a, b) => 1 / b, maximum: (a, b) => (a >= b ? 1 : 0),
      minimum: (a, b) => (a <= b ? 1 : 0), pow: (a, b) => (b === 0 ? 0 : b * Math.pow(a, b - 1)),
    };
    const dB: Record<string, (a: number, b: number) => number> = {
      add: () => 1, sub: () => -1, mul: (a) => a, div: (a, b) => -a / (b * b), maximum: (a, b) => (a < b ? 1 : 0),
      minimum: (a, b) => (a > b ? 1 : 0), pow: (a, b) => (a > 0 ? Math.log(a) * Math.pow(a, b) : 0),
    };
    fc.assert(fc.property(arb, (r) => {
      const lo = r.op === 'pow' || r.op === 'div' ? 0.25 : -2, hi = 2;
      const n0 = live();
      tidy(() => {
        const av = vals(sizeOf(r.a), r.seed, lo, hi), bv = vals(sizeOf(r.b), r.seed + 1, r.op === 'div' ? 0.25 : lo, hi);
        // scalar 1: a is a JS number; 2: b is; otherwise tensors
        const aNum = r.scalar === 1, bNum = r.scalar === 2;
        const aShape = aNum ? [] : r.a, bShape = bNum ? [] : r.b;
        const a = aNum ? av[0] : tensor(av.slice(0, sizeOf(aShape)), aShape).requireGrad();
        const b = bNum ? bv[0] : tensor(bv.slice(0, sizeOf(bShape)), bShape).requireGrad();
        count(`elementwise ${r.op}`);
        const y = (ops as any)[r.op](a, b) as Tensor;
        const A = { shape: aShape, values: Array.from(aNum ? [av[0]] : av.slice(0, sizeOf(aShape))) };
        const Bv = { shape: bShape, values: Array.from(bNum ? [bv[0]] : bv.slice(0, sizeOf(bShape))) };
        const ref = binaryRef(A, Bv, binaryFns[r.op]);
        expect(y.shape).toEqual(broadcastShape(aShape, bShape));
        const rtol = r.op === 'pow' ? 4e-6 : 0;
        expectClose(y.dataSync(), ref.values, { atol: summationAtol(ref.values, 0, { floor: 1e-7 }), rtol, what: `${r.op} ${JSON.stringify(r)}` });
        if (y.size === 0) return;
        const g = vals(y.size, r.seed + 2);
        y.backward(tensor(g, y.shape));
        const want = (shape: number[], d: (x: number, z: number) => number) => {
          const out = new Float64Array(sizeOf(shape)), sc = new Float64Array(sizeOf(shape));
          for (let i = 0; i < y.size; i++) {
            const idx = unravel(i, ref.shape);
            const x = A.values[ravelBroadcast(idx, aShape)], z = Bv.values[ravelBroadcast(idx, bShape)];
            const o = ravelBroadcast(idx, shape);
            out[o] += g[i] * d(x, z);
            sc[o] += Math.abs(g[i] * d(x, z));
          }
          return [out, sc];
        };
        const grtol = r.op === 'pow' ? 2e-5 : 0;
        if (a instanceof Tensor) { const [w, s] = want(aShape, dA[r.op]); expectClose(a.grad!.dataSync(), w, { atol: summationAtol(s, y.size / a.size, { floor: 1e-6 }), rtol: grtol, what: `${r.op} da` }); }
        if (b instanceof Tensor) { const [w, s] = want(bShape, dB[r.op]); expectClose(b.grad!.dataSync(), w, { atol: summationAtol(s, y.size / b.size, { floor: 1e-6 }), rtol: grtol, what: `${r.op} db` }); }
        if (a instanceof Tensor) a.zeroGrad();
        if (b instanceof Tensor) b.zeroGrad();
      });
      expect(live()).toBe(n0);
    }), { numRuns: runs(2500), seed: 1005 });
  });

  it('reductions (sum / mean / max over axis subsets, keepDims) + gradients, and argMax', () => {
    const arb = fc.array(dim(5, 70), { minLength: 1, maxLength: 4 }).filter((sh) => sizeOf(sh) <= 6000).chain((shape) => fc.record({
      shape: fc.constant(shape),
      axes: fc.oneof(fc.constant(undefined), fc.subarray(shape.map((_, i) => i), { minLength: 1 })),
      negative: fc.boolean(), keepDims: fc.boolean(), op: fc.constantFrom('sum', 'mean', 'max'),
      argAxis: fc.integer({ min: -shape.length, max: shape.length - 1 }), seed: fc.integer({ min: 1, max: 1e6 }),
    }));
    fc.assert(fc.property(arb, (r) => {
      const n0 = live();
      tidy(() => {
        const xv = vals(sizeOf(r.shape), r.seed, -3, 3);
        const x = tensor(xv, r.shape).requireGrad();
        const axes = r.axes === undefined ? undefined : r.negative ? r.axes.map((a) => a - r.shape.length) : r.axes;
        count(`reduce ${r.op}`);
        const y = (ops as any)[r.op](x, axes, r.keepDims) as Tensor;
        const X = { shape: r.shape, values: Array.from(xv) };
        const ref = (r.op === 'sum' ? sumRef : r.op === 'mean' ? meanRef : maxRef)(X, axes, r.keepDims);
        const sc = r.op === 'max' ? ref.values : (r.op === 'sum' ? sumRef : meanRef)({ shape: r.shape, values: absA(xv) }, axes, r.keepDims).values;
        expect(y.shape).toEqual(ref.shape);
        expectClose(y.dataSync(), ref.values, { atol: summationAtol(sc, 1, { floor: 1e-6 }), what: `${r.op} ${JSON.stringify(r)}` });
        const g = vals(y.size, r.seed + 1);
        y.backward(tensor(g, y.shape));
        // gradient: g broadcast back (sum), / n (mean), to the first maximum (max)
        const rank = r.shape.length;
        const ax = (axes ?? r.shape.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
        const keepShape = r.shape.map((d, i) => (ax.includes(i) ? 1 : d));
        const nRed = sizeOf(ax.map((a) => r.shape[a]));
        const gx = new Float64Array(xv.length);
        const best = new Map<number, number>();
        for (let i = 0; i < xv.length; i++) {
          const o = ravelBroadcast(unravel(i, r.shape), keepShape);
          if (r.op === 'max') { const bi = best.get(o); if (bi === undefined || xv[i] > xv[bi]) best.set(o, i); }
          else gx[i] = r.op === 'sum' ? g[o] : g[o] / nRed;
        }
        if (r.op === 'max') for (const [o, i] of best) gx[i] = g[o];
        expectClose(x.grad!.dataSync(), gx, { atol: summationAtol(gx, 1, { floor: 1e-6 }), what: `${r.op} dx` });
        x.zeroGrad();
        count('argMax');
        const am = ops.argMax(x, r.argAxis);
        const want = argMaxRef(X, r.argAxis);
        expect(am.shape).toEqual(want.shape);
        expect(Array.from(am.dataSync())).toEqual(want.values);
      });
      expect(live()).toBe(n0);
    }), { numRuns: runs(1500), seed: 1006 });
  });

  it('softmax / logSoftmax along any axis (large logits too) + gradients', () => {
    const arb = fc.array(dim(6, 50), { minLength: 1, maxLength: 4 }).filter((sh) => sizeOf(sh) <= 6000).chain((shape) => fc.record({
      shape: fc.constant(shape), axis: fc.integer({ min: -shape.length, max: shape.length - 1 }),
      scale: fc.constantFrom(1, 10, 80), log: fc.boolean(), seed: fc.integer({ min: 1, max: 1e6 }),
    }));
    fc.assert(fc.property(arb, (r) => {
      const n0 = live();
      tidy(() => {
        const xv = vals(sizeOf(r.shape), r.seed, -r.scale, r.scale);
        const x = tensor(xv, r.shape).requireGrad();
        count(r.log ? 'logSoftmax' : 'softmax');
        const y = r.log ? ops.logSoftmax(x, r.axis) : ops.softmax(x, r.axis);
        const ref = softmaxRef({ shape: r.shape, values: Array.from(xv) }, r.axis, r.log);
        expectClose(y.dataSync(), ref.values, { atol: summationAtol(ref.values, 0, { floor: r.log ? 4e-6 * r.scale : 1e-6 }), rtol: 1e-5, what: `${r.log ? 'logSoftmax' : 'softmax'} ${JSON.stringify(r)}` });
        const g = vals(y.size, r.seed + 1);
        y.backward(tensor(g, y.shape));
        const rank = r.shape.length, a = r.axis < 0 ? r.axis + rank : r.axis;
        const stride = sizeOf(r.shape.slice(a + 1)), n = r.shape[a];
        const sm = softmaxRef({ shape: r.shape, values: Array.from(xv) }, r.axis, false).values;
        const gx = new Float64Array(xv.length);
        for (let i = 0; i < xv.length; i++) {
          if (unravel(i, r.shape)[a] !== 0) continue;
          let dot = 0, gs = 0;
          for (let k = 0; k < n; k++) { dot += g[i + k * stride] * sm[i + k * stride]; gs += g[i + k * stride]; }
          for (let k = 0; k < n; k++) {
            const j = i + k * stride;
            gx[j] = r.log ? g[j] - sm[j] * gs : sm[j] * (g[j] - dot);
          }
        }
        expectClose(x.grad!.dataSync(), gx, { atol: summationAtol(new Float64Array(gx.length).fill(1), n, { floor: 2e-6 }), rtol: 1e-5, what: 'softmax dx' });
        x.zeroGrad();
      });
      expect(live()).toBe(n0);
    }), { numRuns: runs(1200), seed: 1007 });
  });
});

// ---- loaders ------------------------------------------------------------------------------------
type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'byte'; at: number; value: number }
  | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'delete'; at: number; n: number }
  | { kind: 'u32'; at: number; value: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff, 0x80000000), fc.nat()) }),
);
/** Applies mutations; `focus` (a byte range) gets most of them so headers are hit often. */
function mutate(src: Uint8Array, ms: Mutation[], focus?: [number, number]): Uint8Array {
  let b = src.slice();
  for (const [j, m] of ms.entries()) {
    const len = Math.max(b.length, 1);
    const at = focus && j % 2 === 0 ? focus[0] + (m.at % Math.max(1, Math.min(focus[1], len) - focus[0])) : m.at % len;
    switch (m.kind) {
      case 'flip': if (b.length) b[at % b.length] ^= 1 << m.bit; break;
      case 'byte': if (b.length) b[at % b.length] = m.value; break;
      case 'truncate': b = b.slice(0, at % (b.length + 1)); break;
      case 'insert': b = new Uint8Array([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]); break;
      case 'delete': b = new Uint8Array([...b.subarray(0, at), ...b.subarray(at + m.n)]); break;
      case 'u32': if (b.length >= 4) new DataView(b.buffer).setUint32(Math.min(at, b.length - 4) & ~0, m.value >>> 0, (m.at & 1) === 0); break;
    }
  }
  return b;
}
/** Runs fn with a wall-clock bound: a loader must answer quickly even on hostile input. */
async function bounded<T>(what: string, fn: () => T | Promise<T>, ms = 2000): Promise<T> {
  const t0 = performance.now();
  const r = await fn();
  const dt = performance.now() - t0;
  if (dt > ms) throw new Error(`${what} took ${dt.toFixed(0)} ms`);
  return r;
}

// Models to save (a spread of layer types) and the PyTorch ONNX exports of the fixtures.
setSeed(5);
const specs: [Sequential, number[]][] = [
  [new Sequential([nn.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), nn.batchNorm(), nn.maxPool2d(),
    nn.flatten(), nn.dropout({ rate: 0.3 }), nn.dense({ units: 4, activation: 'softmax' })], { inputShape: [6, 6, 2] }), [6, 6, 2]],
  [new Sequential([nn.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2 }), nn.prelu(), nn.globalAvgPool2d(), nn.dense({ units: 2 })], { inputShape: [5, 5, 2] }), [5, 5, 2]],
  [new Sequential([nn.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }), nn.zeroPadding2d({ padding: 1 }), nn.avgPool2d({ poolSize: 2 }),
    nn.activation('tanh'), nn.globalMaxPool2d()], { inputShape: [3, 3, 1] }), [3, 3, 1]],
  [new Sequential([nn.dense({ units: 5, activation: 'gelu' }), nn.dense({ units: 1, activation: 'sigmoid' })], { inputShape: [3] }), [3]],
];
for (const [m] of specs) m.compile({ optimizer: { name: 'adam', lr: 0.01 }, loss: 'mse' });

describe('fuzz: loaders given corrupted files load or throw FormatError', () => {
  // Hostile sizes must fail fast, not grow wasm memory for the rest of the run.
  let prevLimit = 0;
  beforeAll(() => { prevLimit = setAllocLimit(64 << 20); });
  afterAll(() => { setAllocLimit(prevLimit); });

  it('data.parseIdx: random IDX files (all types, plain and gzip) with random corruptions', async () => {
    const typeNames = Object.keys(IDX_TYPE_CODES) as (keyof typeof IDX_TYPE_CODES)[];
    const makers: Record<string, (n: number) => IdxValues> = {
      uint8: (n) => new Uint8Array(n), int8: (n) => new Int8Array(n), int16: (n) => new Int16Array(n),
      int32: (n) => new Int32Array(n), float32: (n) => new Float32Array(n), float64: (n) => new Float64Array(n),
    };
    const arb = fc.record({
      type: fc.constantFrom(...typeNames), shape: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 4 }),
      gzip: fc.boolean(), mutations: fc.array(mutationArb, { minLength: 0, maxLength: 4 }), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    await fc.assert(fc.asyncProperty(arb, async (r) => {
      const n = sizeOf(r.shape);
      const values = makers[r.type](n);
      const v = vals(n, r.seed, -100, 100);
      for (let i = 0; i < n; i++) values[i] = r.type.startsWith('float') ? v[i] : Math.round(v[i]);
      let bytes = encodeIdx(r.shape, values);
      if (r.gzip) bytes = gzipSync(bytes);
      const header = r.gzip ? [0, bytes.length] as [number, number] : [0, 4 + 4 * r.shape.length] as [number, number];
      const bad = mutate(bytes, r.mutations, header);
      const changed = bad.length !== bytes.length || bad.some((x, i) => x !== bytes[i]);
      try {
        const out = await bounded('parseIdx', () => data.parseIdx(bad));
        count(changed ? 'parseIdx: corrupted, still parsed' : 'parseIdx: intact, parsed');
        expect(Array.isArray(out.shape)).toBe(true);
        expect(out.values.length).toBe(sizeOf(out.shape));
        if (!changed) { expect(out.shape).toEqual(r.shape); expect(Array.from(out.values)).toEqual(Array.from(values)); }
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`parseIdx threw ${String(e)} for ${JSON.stringify(r)}`);
        expect(changed).toBe(true);
        expect(e.message).toMatch(/^parseIdx: /);
        count('parseIdx: corrupted, FormatError');
      }
    }), { numRuns: runs(5000), seed: 2001 });
  });


  it('Sequential.load: saved models with byte corruptions, and structured model.json edits repacked', async () => {
    const saved = await Promise.all(specs.map(([m]) => m.save()));
    const jsonEdit = fc.record({
      path: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
      value: fc.oneof(fc.constantFrom<unknown>(null, -1, 0, 1, 2.5, 1e9, NaN, 'same', 'relu', 'Dense', true, [], {}, [3, 3], [-1, 2], [1e6, 1e6, 1]), fc.integer({ min: -3, max: 40 })),
      del: fc.boolean(),
    });
    const arb = fc.record({
      model: fc.integer({ min: 0, max: specs.length - 1 }), structured: fc.boolean(),
      mutations: fc.array(mutationArb, { minLength: 1, maxLength: 3 }), edits: fc.array(jsonEdit, { minLength: 1, maxLength: 3 }),
    });
    await fc.assert(fc.asyncProperty(arb, async (r) => {
      const n0 = live();
      const src = saved[r.model];
      let bad: Uint8Array;
      if (r.structured) {
        // Edit a random spot of the parsed model.json, then repack with a correct header, so the
        // edit reaches the topology / manifest checks instead of failing the framing.
        const dv = new DataView(src.buffer, src.byteOffset);
        const jl = dv.getUint32(8, true), pad = (4 - (jl % 4)) % 4;
        const json = JSON.parse(new TextDecoder().decode(src.subarray(16, 16 + jl)));
        for (const e of r.edits) {
          let node: any = json;
          for (let i = 0; i < e.path.length - 1; i++) {
            const keys = node && typeof node === 'object' ? Object.keys(node) : [];
            if (!keys.length) break;
            const k = keys[e.path[i] % keys.length];
            if (!node[k] || typeof node[k] !== 'object') break;
            node = node[k];
          }
          const keys = Object.keys(node);
          if (!keys.length) continue;
          const k = keys[e.path[e.path.length - 1] % keys.length];
          if (e.del) delete node[k]; else node[k] = e.value;
        }
        const text = new TextEncoder().encode(JSON.stringify(json));
        const p2 = (4 - (text.length % 4)) % 4;
        const weights = src.subarray(16 + jl + pad);
        bad = new Uint8Array(16 + text.length + p2 + weights.length);
        bad.set(src.subarray(0, 16));
        new DataView(bad.buffer).setUint32(8, text.length, true);
        bad.set(text, 16);
        bad.fill(0x20, 16 + text.length, 16 + text.length + p2);
        bad.set(weights, 16 + text.length + p2);
      } else {
        bad = mutate(src, r.mutations, [0, 24]);
      }
      let model: Sequential | null = null;
      try {
        model = await bounded('Sequential.load', () => Sequential.load(bad));
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`load threw ${String(e)} for ${JSON.stringify(r)}`);
        count(`Sequential.load (${r.structured ? 'model.json edits' : 'byte corruptions'}): FormatError`);
      }
      if (model) {
        count(`Sequential.load (${r.structured ? 'model.json edits' : 'byte corruptions'}): loaded`);
        // A model that loads must run (values may be anything after a flipped weight bit).
        const shape = model.inputShape!;
        if (sizeOf(shape) <= 4096) {
          tidy(() => {
            try {
              model!.predict(tensor(vals(2 * sizeOf(shape), 3), [2, ...shape]));
            } catch (e) {
              // A JSON edit can describe a model that builds but cannot run this input (or is
              // huge): only the library's typed errors (or an out-of-memory RangeError) are acceptable.
              if (!(e instanceof ShapeError || e instanceof ValueError || e instanceof RangeError)) throw e;
              count(`Sequential.load (model.json edits): loaded, predict threw ${(e as Error).name}`);
            }
          });
        }
        model.dispose();
      }
      expect(live()).toBe(n0);
    }), { numRuns: runs(2500), seed: 2002 });
  });

  it('loadOnnx: PyTorch exports and toOnnx() models with random corruptions', async () => {
    const dir = new URL('./fixtures/onnx/', import.meta.url);
    const corpus: Uint8Array[] = ['residual', 'depthwise_separable', 'batchnorm_pools', 'concat_transpose', 'decoder', 'view_mlp']
      .map((n) => new Uint8Array(readFileSync(new URL(`${n}.onnx`, dir))));
    for (const [m] of specs) corpus.push((m as any).toOnnx());
    const arb = fc.record({
      model: fc.integer({ min: 0, max: corpus.length - 1 }), mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
      headerFocus: fc.boolean(),
    });
    await fc.assert(fc.asyncProperty(arb, async (r) => {
      const n0 = live();
      const src = corpus[r.model];
      const bad = mutate(src, r.mutations, r.headerFocus ? [0, 64] : undefined);
      let net: Awaited<ReturnType<typeof loadOnnx>> | null = null;
      try {
        net = await bounded('loadOnnx', () => loadOnnx(bad));
      } catch (e) {
        if (!(e instanceof FormatError)) throw new Error(`loadOnnx threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for ${JSON.stringify(r)}`);
        count('loadOnnx: FormatError');
      }
      if (net) {
        count('loadOnnx: loaded');
        // Running a graph that loaded: it works, or throws one of the library's typed errors
        // (a corrupted dim may make shapes disagree at run time).
        const info = net.inputs[0];
        const shape = info?.shape?.map((d) => (typeof d === 'number' ? d : 1));
        if (net.inputNames.length === 1 && shape && shape.length && sizeOf(shape) <= 1 << 16) {
          // A damaged constant (a Reshape shape, Pad pads...) can make a valid graph ask for
          // gigabytes: cap single allocations at 64 MB so that is a quick RangeError here.
          const prevLimit = setAllocLimit(64 << 20);
          try {
            tidy(() => { net!.run({ [info.name]: tensor(vals(sizeOf(shape), 7), shape) }); });
            count('loadOnnx: loaded, ran');
          } catch (e) {
            if (!(e instanceof ShapeError || e instanceof ValueError || e instanceof FormatError || e instanceof DisposedError || e instanceof RangeError)) {
              net.dispose();
              throw new Error(`a loaded, corrupted ONNX model threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} for ${JSON.stringify(r)}`);
            }
            expect(e.message).toMatch(/^node '[^']*' \(\w+\): |^run: /); // names the node that failed
            count(`loadOnnx: loaded, run threw ${e.name}`);
          } finally {
            setAllocLimit(prevLimit);
          }
        }
        net.dispose();
      }
      expect(live()).toBe(n0);
    }), { numRuns: runs(2500), seed: 2003 });
  });
});

afterAll(() => {
  for (const [m] of specs) m.dispose();
  const width = Math.max(...Object.keys(counts).map((k) => k.length));
  const lines = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  const total = Object.entries(counts).filter(([k]) => !k.includes('of the above')).reduce((a, [, v]) => a + v, 0);
  console.log(`fuzz cases run (scale ${SCALE}):\n${lines.join('\n')}\n  ${'total'.padEnd(width)}  ${total}`);
});
