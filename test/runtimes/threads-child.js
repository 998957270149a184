// Child process for test/threads.test.ts: runs big enough kernels to be split over the worker
// pool and prints hashes of the results. Usage: node threads-child.js <threads> [simd]
// Every conv/pool case below is above the parallel work threshold, so with 2 threads it takes
// the split path named in its key (images for batch > 1, output rows for batch 1).
import * as W from '../../dist/index.js';
import { fnv1a, seededComputation } from './seeded.js';
import { seededGraphComputation } from './seeded-graph.js';

await W.init({ simd: process.argv[3] ?? 'baseline', threads: Number(process.argv[2]) });
// Optional 4th argument: use fewer of the pool's threads from now on (setNumThreads).
if (process.argv[4]) W.setNumThreads(Number(process.argv[4]));
// Optional 5th argument: microseconds the threads poll before they sleep (setThreadSpin).
if (process.argv[5]) W.setThreadSpin(Number(process.argv[5]));
W.setSeed(7);
const hashes = {};
const a = W.randn([300, 256]).requireGrad();
const b = W.randn([256, 200]).requireGrad();
const c = W.ops.matmul(a, b);
c.backward(W.randn([300, 200]));
hashes.matmul = fnv1a(c.dataSync());
hashes.matmulGradA = fnv1a(a.grad.dataSync());
hashes.matmulGradB = fnv1a(b.grad.dataSync());
// Too few rows to split (batch-1 dense): the columns are split instead, on the small-M path
// (B as stored) and on the packed one (B transposed, and the M = 1 gradient of a).
for (const [name, M, K, N, transposeB] of [['gemv', 1, 2048, 1100, false], ['gemvT', 5, 1024, 600, true]]) {
  const x = W.randn([M, K]).requireGrad();
  const w = W.randn(transposeB ? [N, K] : [K, N]).requireGrad();
  const y = W.ops.matmul(x, w, { transposeB });
  y.backward(W.randn([M, N]));
  hashes[name] = fnv1a(y.dataSync());
  hashes[name + 'GradX'] = fnv1a(x.grad.dataSync());
  hashes[name + 'GradW'] = fnv1a(w.grad.dataSync());
}

/** conv2d forward + both gradients (+ bias gradient) of one case, hashed under `name`. */
function convCase(name, xShape, wShape, options, bias = false) {
  const x = W.randn(xShape).requireGrad();
  const w = W.randn(wShape, { std: 0.1 }).requireGrad();
  const bb = bias ? W.randn([wShape[3]]).requireGrad() : undefined;
  const y = W.ops.conv2d(x, w, bb, options);
  y.backward(W.randn(y.shape));
  hashes[name] = fnv1a(y.dataSync());
  hashes[name + 'GradX'] = fnv1a(x.grad.dataSync());
  hashes[name + 'GradW'] = fnv1a(w.grad.dataSync());
  if (bb) hashes[name + 'GradB'] = fnv1a(bb.grad.dataSync());
}
// Winograd (3x3 s1, >= 8 channels): batch split and (batch 1) even-row split, odd sizes.
convCase('conv', [8, 28, 28, 32], [3, 3, 32, 64], { padding: 'same' });
convCase('winogradB1', [1, 57, 45, 32], [3, 3, 32, 48], { padding: 'same', activation: 'relu' }, true);
convCase('winogradB3', [3, 31, 29, 16], [3, 3, 16, 40], { padding: 'valid' });
// Batch 1 on a map of 7 tile rows: output channels split (90 = 48 + 42, scalar tails), forward and backward-input.
convCase('winogradChannelsB1', [1, 13, 11, 40], [3, 3, 40, 90], { padding: 'same', activation: 'relu' }, true);
// Winograd F(2x2,5x5) forward (5x5 s1, >= 32 channels): batch split and (batch 1) even-row split.
convCase('winograd5B1', [1, 27, 25, 32], [5, 5, 32, 48], { padding: 2, activation: 'relu' }, true);
convCase('winograd5B3', [3, 15, 17, 32], [5, 5, 32, 36], { padding: 'valid' });
// Space-to-depth Winograd (stride >= 3, 2s < k <= 3s): batch 1 (even-row split) and batch 2.
convCase('spaceToDepthB1', [1, 63, 59, 3], [11, 11, 3, 64], { strides: 4, padding: 2, activation: 'relu' }, true);
convCase('spaceToDepthB2', [2, 40, 44, 4], [7, 8, 4, 24], { strides: 3, padding: 'same' });
// im2col: strided / dilated / grouped / 1 input channel, batch 1 (row split) and batch > 1.
convCase('im2colB1', [1, 112, 112, 3], [7, 7, 3, 64], { strides: 2, padding: 3 }, true);
convCase('im2colB5', [5, 33, 35, 12], [5, 5, 12, 40], { strides: 2, padding: 'same', activation: 'relu' });
convCase('im2colDil', [2, 40, 40, 16], [3, 3, 16, 32], { dilation: 2, padding: 'same' });
convCase('im2colGroups', [4, 30, 30, 32], [3, 3, 8, 64], { groups: 4, padding: 1, strides: 2 });
convCase('im2colB1Pad', [1, 64, 64, 24], [1, 1, 24, 64], { padding: 1 });
convCase('im2colB1GroupsDil', [1, 50, 47, 16], [3, 3, 4, 32], { groups: 4, dilation: 2, padding: 'same' });
convCase('im2colB1Strided', [1, 61, 53, 8], [5, 4, 8, 24], { strides: [3, 2], padding: 'valid' });
convCase('pointwise', [6, 28, 28, 64], [1, 1, 64, 96], {}, true);
// Depthwise: stride 1 (flipped forward for dx), stride 2 (gather dx), multiplier 2, batch 1.
convCase('depthwise', [6, 40, 40, 64], [3, 3, 1, 64], { groups: 64, padding: 'same' });
convCase('depthwiseS2', [5, 41, 39, 48], [3, 3, 1, 48], { groups: 48, padding: 'same', strides: 2 });
convCase('depthwiseM2', [3, 36, 36, 32], [5, 5, 1, 64], { groups: 32, padding: 2 });
convCase('depthwiseB1', [1, 112, 112, 64], [3, 3, 1, 64], { groups: 64, padding: 'same' });
convCase('depthwiseB1S2K3', [1, 57, 45, 36], [3, 3, 1, 36], { groups: 36, padding: 'same', strides: 2, activation: 'relu' }, true);
convCase('depthwiseB1K7', [1, 41, 38, 40], [7, 7, 1, 40], { groups: 40, padding: 3 }, true);
// Grouped, small groups: the direct kernel (batch split, batch 1 row split, 4 to 16 per group).
convCase('groupedDirectB1', [1, 45, 43, 48], [3, 3, 8, 48], { groups: 6, padding: 1, strides: 2, activation: 'relu' }, true);
convCase('groupedDirectB3', [3, 29, 31, 64], [3, 3, 16, 64], { groups: 4, padding: 'same' });
// Dilation beyond the map: the dead outer taps dropped (a 1x1 GEMM, and rows only).
convCase('deadTapsB1', [1, 14, 14, 32], [3, 3, 32, 48], { dilation: 18, padding: 18 }, true);
convCase('deadTapRowsB1', [1, 9, 40, 16], [3, 3, 16, 24], { dilation: [12, 2], padding: [[12, 12], [2, 2]] }, true);
// A single input channel takes the direct (depthwise forward) kernel.
convCase('singleChannel', [32, 28, 28, 1], [3, 3, 1, 32], { padding: 'same' });
// ... batch 1: output-row split, each part padding its own band of rows (multiplier > 1 pads).
convCase('singleChannelB1', [1, 97, 90, 1], [3, 3, 1, 32], { padding: 'same' }, true);
// conv2dTranspose: forward = backward-input kernels, dx = forward kernels.
{
  const x = W.randn([4, 20, 20, 32]).requireGrad();
  const w = W.randn([3, 3, 24, 32], { std: 0.1 }).requireGrad();
  const y = W.ops.conv2dTranspose(x, w, undefined, { strides: 2, padding: 'same' });
  y.backward(W.randn(y.shape));
  hashes.transpose = fnv1a(y.dataSync());
  hashes.transposeGradX = fnv1a(x.grad.dataSync());
  hashes.transposeGradW = fnv1a(w.grad.dataSync());
}

/** A pooling op and its gradient. */
function poolCase(name, op, xShape, options) {
  const x = W.randn(xShape).requireGrad();
  const y = W.ops[op](x, options);
  y.backward(W.randn(y.shape));
  hashes[name] = fnv1a(y.dataSync());
  hashes[name + 'GradX'] = fnv1a(x.grad.dataSync());
}
poolCase('maxPool', 'maxPool2d', [8, 56, 56, 64], { poolSize: 3, strides: 2, padding: 'same' });
poolCase('maxPoolB1', 'maxPool2d', [1, 113, 111, 64], { poolSize: 3, strides: 2, padding: 'same' });
poolCase('avgPool', 'avgPool2d', [6, 48, 48, 32], { poolSize: 3, strides: 1, padding: 'same' });
poolCase('avgPoolB1', 'avgPool2d', [1, 97, 101, 64], { poolSize: 2 });
poolCase('globalMaxPool', 'globalMaxPool2d', [6, 40, 40, 96]);
poolCase('globalAvgPool', 'globalAvgPool2d', [6, 40, 40, 96]);
// Resize: forward split by output rows for one image, by images otherwise; backward by images.
for (const [name, xShape, size, options] of [
  ['resizeBilinear', [4, 56, 56, 32], [112, 112], { method: 'bilinear' }],
  ['resizeBilinearB1', [1, 100, 90, 24], [224, 224], { method: 'bilinear', alignCorners: true }],
  ['resizeNearestB1', [1, 224, 224, 32], [150, 201], { method: 'nearest' }],
]) {
  const x = W.randn(xShape).requireGrad();
  const y = W.ops.resize(x, size, options);
  y.backward(W.randn(y.shape));
  hashes[name] = fnv1a(y.dataSync());
  hashes[name + 'GradX'] = fnv1a(x.grad.dataSync());
}

hashes.seeded = seededComputation(W).weights;
const graph = seededGraphComputation(W);
hashes.seededGraph = graph.weightsAll;
hashes.seededGraphLosses = graph.losses.join(',');
hashes.seededGraphLogits = graph.logits;
console.log(JSON.stringify({ threads: W.backendInfo().threads, hashes }));
