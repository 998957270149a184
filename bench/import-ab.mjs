#!/usr/bin/env node
// A/B of the import-time and algorithm choices made for zoo models (batch 1, one thread, --threads N
// for more): ShuffleNetV2's fused channel shuffle, AlexNet's Winograd, DenseNet-121's fused
// Concat -> BatchNormalization -> Relu, ConvNeXt-T's fused layer norms, ResNet-50's Winograd
// channel split (a 2-thread choice: run it with --threads 2). Each variant is a model loaded with one setting, the variants run
// round-robin in this process, medians of the rounds; the outputs are compared bit for bit.
//
//   node bench/import-ab.mjs [--dir bench/out/zoo] [--rounds 9] [--only shuffle,alexnet,densenet,convnext,resnet50] [--profile] [--cpu] [--threads 1]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const argv = process.argv.slice(2);
const value = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i < 0 ? dflt : argv[i + 1]; };
const dir = value('dir', new URL('./out/zoo', import.meta.url).pathname);
const rounds = Number(value('rounds', 9));
const only = value('only', 'shuffle,alexnet,densenet,resnet50').split(',');
// --cpu: this process's CPU time per run instead of wall time (steadier when other processes share the cores).
const cpu = argv.includes('--cpu');

const W = await import('../dist/index.js');
const { channelShuffleTuning } = await import('../dist/io/onnx/fusion-shuffle.js');
const { convTuning } = await import('../dist/ops/conv/algorithm.js');
const { batchNormFusionTuning } = await import('../dist/io/onnx/fusion-norm.js');
const { layerNormFusionTuning } = await import('../dist/io/onnx/fusion-layernorm.js');
const threads = Number(value('threads', 1));
await W.init({ threads });
W.setNumThreads(threads);

const wave = (n) => Float32Array.from({ length: n }, (_, i) => 2 * Math.sin(0.731 * i + 0.1));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

const { shapeMemoTuning } = await import('../dist/io/onnx/shape-memo.js');
const shuffleSwitches = (fuse, fuseConcat, fuseSplit, memo) => {
  Object.assign(channelShuffleTuning, { fuse, fuseConcat, fuseSplit });
  shapeMemoTuning.enabled = memo;
};

/** Variants: a name, a setter applied at load, and a setter applied around each run. */
const cases = {
  shuffle: {
    file: 'shufflenet_v2_x1_0.onnx',
    variants: [
      { name: 'unfused shuffle', load: () => shuffleSwitches(false, false, false, false), run: () => {} },
      { name: 'fused shuffle', load: () => shuffleSwitches(true, false, false, false), run: () => {} },
      { name: '+ concat', load: () => shuffleSwitches(true, true, false, false), run: () => {} },
      { name: '+ concat + split', load: () => shuffleSwitches(true, true, true, false), run: () => {} },
      { name: '+ shape memo', load: () => shuffleSwitches(true, true, true, true), run: () => {} },
    ],
  },
  alexnet: {
    file: 'alexnet.onnx',
    variants: [
      { name: 'winograd 3x3', load: () => {}, run: () => { convTuning.winogradMinChannels = 8; } },
      { name: 'im2col 3x3', load: () => {}, run: () => { convTuning.winogradMinChannels = 0; } },
    ],
  },
  densenet: {
    file: 'densenet121.onnx',
    variants: [
      { name: 'Concat, BatchNormalization, Relu', load: () => { batchNormFusionTuning.fuse = false; }, run: () => {} },
      { name: 'fused into one pass', load: () => { batchNormFusionTuning.fuse = true; }, run: () => {} },
    ],
  },
  convnext: {
    file: 'convnext_tiny.onnx',
    variants: [
      { name: 'layer norms node by node', load: () => { layerNormFusionTuning.fuse = false; }, run: () => {} },
      { name: 'one layerNorm step each', load: () => { layerNormFusionTuning.fuse = true; }, run: () => {} },
    ],
  },
  resnet50: {
    file: 'resnet50.onnx',
    variants: [
      { name: 'winograd split by rows', load: () => {}, run: () => { convTuning.winogradChannelSplitTileRows = 0; } },
      { name: 'small maps split by channels', load: () => {}, run: () => { convTuning.winogradChannelSplitTileRows = 4; } },
    ],
  },
};
const defaults = { winogradMinChannels: convTuning.winogradMinChannels, winogradChannelSplitTileRows: convTuning.winogradChannelSplitTileRows };

for (const key of only) {
  const c = cases[key];
  const bytes = readFileSync(join(dir, c.file));
  const x = W.keep(W.tensor(wave(3 * 224 * 224), [1, 3, 224, 224]));
  const models = c.variants.map((v) => { v.load(); const m = W.loadOnnxSync ? W.loadOnnxSync(bytes) : null; return m; });
  for (let i = 0; i < c.variants.length; i++) if (!models[i]) models[i] = await (c.variants[i].load(), W.loadOnnx(bytes));
  shuffleSwitches(true, true, true, true);
  const times = c.variants.map(() => []);
  const outs = [];
  for (let r = 0; r < rounds + 1; r++) {
    for (let i = 0; i < c.variants.length; i++) {
      c.variants[i].run();
      const t0 = performance.now(), c0 = process.cpuUsage();
      const y = models[i].predict(x);
      const data = y.dataSync();
      const used = process.cpuUsage(c0);
      const dt = cpu ? (used.user + used.system) / 1000 : performance.now() - t0;
      if (r === 0) outs[i] = Float32Array.from(data); else times[i].push(dt);
      y.dispose();
    }
  }
  Object.assign(convTuning, defaults);
  batchNormFusionTuning.fuse = true;
  const base = median(times[0]);
  for (let i = 0; i < c.variants.length; i++) {
    const bits = new Uint32Array(outs[i].buffer), ref = new Uint32Array(outs[0].buffer);
    const differ = bits.reduce((n, b, k) => n + (b !== ref[k] ? 1 : 0), 0);
    console.log(`${c.file} | ${c.variants[i].name} | ${median(times[i]).toFixed(2)} ms | ${(base / median(times[i])).toFixed(2)}x | ${differ} output floats differ from '${c.variants[0].name}'`);
  }
  if (argv.includes('--profile')) {
    for (let i = 0; i < c.variants.length; i++) {
      c.variants[i].run();
      W.startOpProfile();
      for (let r = 0; r < 3; r++) models[i].predict(x).dispose();
      const prof = W.stopOpProfile();
      console.log(`  ${c.variants[i].name}: ` + prof.slice(0, 12).map((p) => `${p.kind} ${(p.ms / 3).toFixed(2)} ms /${p.calls / 3}`).join(', '));
    }
    Object.assign(convTuning, defaults);
  }
  models.forEach((m) => m.dispose());
  x.dispose();
}
