#!/usr/bin/env node
// Training speed on a real network: a ResNet-20-like CIFAR network (examples/node/architectures.mjs'
// resnet with 3 blocks per stage: input 32x32x3, stem conv 3x3 16 + BN + relu, 3 stages of 3 basic
// blocks at 16/32/64 channels, 1x1 conv + BN projections where the shape changes, global average
// pool, dense 10), batch 64, one trainOnBatch (forward, softmax cross-entropy on the logits,
// backward, SGD lr 0.01 momentum 0.9) per step on a seeded random batch. Prints the median
// images/s of timed steps per thread count; with --torch, bench/pytorch-resnet20.py's identical
// network in a PyTorch child process is timed alternately (same thread count, one at a time) and
// the ratio wasm-cnn ÷ PyTorch is printed twice: the ratio of the median images/s and the median
// of each round's ratio (the pair ran back to back, so it shares that moment's load), by wall clock
// and again by each process's CPU time. --profile adds where a step's time goes.
//
//   node bench/resnet20-train.mjs [--threads=1,2] [--rounds=7] [--steps=3] [--torch] [--profile]
//
// Threads: init({ threads: max }) once, then setNumThreads(t) before each thread count's sample,
// so both counts run in the same process on the same memory.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { init, setNumThreads, shutdown, tensor, optim, setSeed, backendInfo } from 'wasm-cnn';
import { resnet } from '../examples/node/architectures.mjs';
import { median, fmt, mdTable } from './models.mjs';
import { profileSteps, profileConvLayers } from './resnet20-profile.mjs';

const BATCH = 64;

function option(name, fallback) {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (!hit) return fallback;
  return hit.includes('=') ? hit.slice(hit.indexOf('=') + 1) : true;
}

/** Deterministic uniform [0, 1) floats (a 32-bit LCG), so every run trains on the same batch. */
function seededUniform(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

export function buildTrainer() {
  setSeed(1);
  const model = resnet({ inputShape: [32, 32, 3], classes: 10, blocks: 3 });
  const optimizer = optim.sgd({ lr: 0.01, momentum: 0.9 });
  model.compile({
    optimizer,
    loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true },
  });
  const x = tensor(seededUniform(BATCH * 32 * 32 * 3, 7), [BATCH, 32, 32, 3]);
  const y = tensor(Int32Array.from(seededUniform(BATCH, 11), (v) => Math.floor(v * 10)), [BATCH], 'int32');
  /** n steps; the wall-clock seconds and this process's CPU seconds (all its threads) they took. */
  const timedSteps = (n) => {
    const t0 = performance.now(), c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) model.trainOnBatch(x, y);
    const c = process.cpuUsage(c0);
    return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  const step = (n) => timedSteps(n).wall;
  return { model, optimizer, x, y, step, timedSteps };
}

/** bench/pytorch-resnet20.py --serve as a child: run(threads, steps) resolves to { wall, cpu } seconds. */
async function startTorch() {
  const script = fileURLToPath(new URL('./pytorch-resnet20.py', import.meta.url));
  const child = spawn('/usr/bin/python3', [script, '--serve', `--batch=${BATCH}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.resolve(l));
  child.on('exit', (code) => { for (const w of waiting.splice(0)) w.reject(new Error(`pytorch-resnet20.py exited (${code})`)); });
  const next = () => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  const ready = await next();
  if (ready !== 'ready') throw new Error(`pytorch-resnet20.py: unexpected '${ready}'`);
  return {
    run: async (threads, steps) => {
      const answer = next();
      child.stdin.write(`${threads} ${steps}\n`);
      const [wall, cpu] = (await answer).split(' ').map(Number);
      return { wall, cpu };
    },
    stop: () => child.stdin.end(),
  };
}

async function main() {
  const counts = String(option('threads', '1,2')).split(',').map(Number);
  const rounds = Number(option('rounds', 7));
  const steps = Number(option('steps', 3));
  const warmup = Number(option('warmup', 3));
  const withTorch = option('torch', false) === true;
  await init({ threads: Math.max(...counts) });
  const info = backendInfo();
  const trainer = buildTrainer();
  const torch = withTorch ? await startTorch() : null;
  console.log(`ResNet-20-like (${trainer.model.countParams?.() ?? ''} parameters), batch ${BATCH}, wasm-cnn ${info.variant} build, ` +
    `${info.threads} threads started, ${os.cpus()[0]?.model ?? ''}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}`);

  // Images/s per round by wall clock (wasm, torch) and by process CPU time (wasmCpu, torchCpu).
  const samples = new Map(counts.map((t) => [t, { wasm: [], torch: [], wasmCpu: [], torchCpu: [] }]));
  for (const t of counts) {
    setNumThreads(t);
    trainer.step(warmup);
    if (torch) await torch.run(t, warmup);
  }
  for (let r = 0; r < rounds; r++) {
    for (const t of counts) {
      setNumThreads(t);
      const s = samples.get(t);
      const w = trainer.timedSteps(steps);
      s.wasm.push((BATCH * steps) / w.wall);
      s.wasmCpu.push((BATCH * steps) / w.cpu);
      if (torch) {
        const p = await torch.run(t, steps);
        s.torch.push((BATCH * steps) / p.wall);
        s.torchCpu.push((BATCH * steps) / p.cpu);
      }
    }
    console.error(`round ${r + 1}/${rounds}: ${counts.map((t) => `${t}t ${fmt(samples.get(t).wasm.at(-1))}${torch ? ` / torch ${fmt(samples.get(t).torch.at(-1))}` : ''}`).join(', ')}`);
  }
  torch?.stop();

  const table = (wasmKey, torchKey) => counts.map((t) => {
    const s = samples.get(t), ws = s[wasmKey], ps = s[torchKey];
    const w = median(ws), p = torch ? median(ps) : NaN;
    const paired = torch ? `${median(ws.map((v, i) => v / ps[i])).toFixed(2)}x` : 'n/a';
    return [`${t} thread${t > 1 ? 's' : ''}`, fmt(w), torch ? fmt(p) : 'not run (--torch)', torch ? `${(w / p).toFixed(2)}x` : 'n/a', paired,
      `${fmt(Math.min(...ws))}-${fmt(Math.max(...ws))}`];
  });
  const header = ['threads', 'wasm-cnn', 'PyTorch', 'ratio of medians (wasm-cnn ÷ PyTorch)', 'median of per-round ratios', 'wasm-cnn range'];
  console.log(`\nTraining images/s by wall clock, median of ${rounds} rounds x ${steps} steps (after ${warmup} warm-up steps), alternating:\n`);
  console.log(mdTable(header, table('wasm', 'torch')));
  console.log(`\nThe same steps by each process's CPU time (robust to other processes holding the cores; with more than one thread it counts every thread's time, so it measures work, not speed):\n`);
  console.log(mdTable(header, table('wasmCpu', 'torchCpu')));

  if (option('profile', false) === true) {
    for (const t of counts) {
      setNumThreads(t);
      console.log(`\n### Where a training step goes, ${t} thread${t > 1 ? 's' : ''}\n`);
      console.log(profileSteps(trainer, Math.max(5, steps)));
      console.log(`\nConvolutions of the network, ${t} thread${t > 1 ? 's' : ''} (ms per call, batch ${BATCH}, median):\n`);
      console.log(profileConvLayers(trainer.model, BATCH));
    }
  }
  trainer.x.dispose();
  trainer.y.dispose();
  await shutdown();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
