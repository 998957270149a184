// Child process for test/threads.test.ts: runs big enough kernels to be split over the worker
// pool and prints hashes of the results. Usage: node threads-child.js <threads>
import * as W from '../../dist/index.js';
import { fnv1a, seededComputation } from './seeded.js';

await W.init({ simd: 'baseline', threads: Number(process.argv[2]) });
W.setSeed(7);
const hashes = {};
const a = W.randn([300, 256]).requireGrad();
const b = W.randn([256, 200]).requireGrad();
const c = W.ops.matmul(a, b);
c.backward(W.randn([300, 200]));
hashes.matmul = fnv1a(c.dataSync());
hashes.matmulGradA = fnv1a(a.grad.dataSync());
hashes.matmulGradB = fnv1a(b.grad.dataSync());
const x = W.randn([8, 28, 28, 32]).requireGrad();
const w = W.randn([3, 3, 32, 64], { std: 0.1 }).requireGrad();
const y = W.ops.conv2d(x, w, undefined, { padding: 'same' });
y.backward(W.randn(y.shape));
hashes.conv = fnv1a(y.dataSync());
hashes.convGradX = fnv1a(x.grad.dataSync());
hashes.convGradW = fnv1a(w.grad.dataSync());
hashes.seeded = seededComputation(W).weights;
console.log(JSON.stringify({ threads: W.backendInfo().threads, hashes }));
