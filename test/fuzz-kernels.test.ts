// Property tests (fast-check) of every kernel family against the naive float64 references in
// test/reference/, forward and gradient, with degenerate sizes on purpose (1x1 images, batch 1,
// one channel, kernel = input size, strides larger than the input, empty-ish broadcasts).
// A summary line per kernel gives the number of cases run (printed at the end).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ops, tensor, tidy, Tensor, ShapeError, ValueError } from '../src/index.js';
import { convTuning } from '../src/ops/conv/algorithm.js';
import { refConv2d, refConv2dBackpropInput, refConv2dBackpropFilter, refConv2dTranspose, refPads, type Pad4 } from './reference/conv.js';
import { refMaxPool, refMaxPoolBackward, refAvgPool, refAvgPoolBackward } from './reference/pool.js';
import { matmulRef } from './reference/gemm.js';
import { binaryRef, binaryFns, broadcastShape, unravel, ravelBroadcast } from './reference/elementwise.js';
import { sumRef, meanRef, maxRef, argMaxRef, softmaxRef } from './reference/reduce.js';
import { expectClose, summationAtol } from './harness/close.js';
import { runs, live, sizeOf, vals, caseCounter } from './harness/fuzz.js';

const count = caseCounter('fuzz cases run, kernels');
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
