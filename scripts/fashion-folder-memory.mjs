// Streaming keeps wasm memory flat: trains one epoch from each given folder of class folders of
// PNG files (scripts/fashion-to-png.mjs writes them) and prints backendInfo().memoryBytes (the wasm
// memory's size, which only grows: after the epoch it is the run's peak) and liveBytes, each run
// in a fresh process so that one run's memory cannot carry into the next.
//
//   node scripts/fashion-to-png.mjs --out /tmp/fashion-png-6k --train 6000
//   node scripts/fashion-to-png.mjs --out /tmp/fashion-png
//   node scripts/fashion-folder-memory.mjs /tmp/fashion-png-6k/train /tmp/fashion-png/train
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { init, backendInfo, setSeed, nn, optim, Sequential } from '../dist/pkg-index.js';
import { data } from '../dist/pkg-node.js';

const [flag, ...dirs] = process.argv.slice(2);
if (flag === '--child') {
  await init({ threads: 1 });
  setSeed(1);
  const folder = data.imageFolder(dirs[0], { imageSize: 28, channels: 1, batchSize: 64, seed: 1 });
  const model = new Sequential([
    nn.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }), nn.maxPool2d({ poolSize: 2 }),
    nn.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }), nn.maxPool2d({ poolSize: 2 }),
    nn.flatten(), nn.dense({ units: 128, activation: 'relu' }), nn.dense({ units: folder.classNames.length }),
  ], { inputShape: [28, 28, 1] });
  model.compile({ optimizer: optim.adam({ lr: 0.001 }), loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, metrics: ['accuracy'] });
  let afterBatch10 = 0;
  const t0 = performance.now();
  const h = await model.fit(folder.train.prefetch(2), {
    epochs: 1, verbose: 0, onBatchEnd: (b) => { if (b === 9) afterBatch10 = backendInfo().memoryBytes; },
  });
  const info = backendInfo();
  console.log(JSON.stringify({
    images: folder.files.train.length, seconds: +((performance.now() - t0) / 1000).toFixed(1), accuracy: +h.accuracy[0].toFixed(4),
    memoryBytesAfter10Batches: afterBatch10, memoryBytes: info.memoryBytes, liveBytes: info.liveBytes,
  }));
} else {
  if (dirs.length === 0 && !flag) { console.error('usage: node scripts/fashion-folder-memory.mjs DIR [DIR...]'); process.exit(2); }
  for (const dir of [flag, ...dirs]) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dir], { encoding: 'utf8' });
    if (r.status !== 0) { console.error(r.stderr); process.exit(1); }
    const m = JSON.parse(r.stdout);
    console.log(`${dir}: ${m.images} images, 1 epoch in ${m.seconds} s (train accuracy ${m.accuracy}); ` +
      `memoryBytes ${m.memoryBytes} (after 10 batches ${m.memoryBytesAfter10Batches}), liveBytes ${m.liveBytes}`);
  }
}
