#!/usr/bin/python3
"""PyTorch's side of bench/resnet20-train.mjs: a ResNet-20-like CIFAR network, one training step timed.

Run:  /usr/bin/python3 bench/pytorch-resnet20.py [--threads 1,2] [--rounds 7] [--steps 3] [--batch 64]
      (Debian's python3-torch). Prints, per thread count, the median images/s over the rounds.
      --serve: read 'THREADS STEPS' lines on stdin, answer each with 'WALL CPU': the wall-clock and
      process CPU seconds those STEPS training steps took (bench/resnet20-train.mjs --torch drives
      this, alternating with wasm-cnn).

The network is bench/pytorch-resnet.py's ResNet (the twin of examples/node/architectures.mjs'
resnet) with 3 blocks per stage and 3 input channels, NCHW here:
  conv 3x3 16 - BN - relu
  3 stages of 3 basic blocks at 16, 32, 64 channels (the first block of stages 2 and 3 with stride 2
  and a 1x1 conv + BN projection on the skip); a block: conv 3x3 - BN - relu - conv 3x3 - BN, plus
  the skip, then relu
  global average pool - dense 10
Initialised as wasm-cnn's defaults (Glorot-uniform kernels, zero biases, BN gamma 1 beta 0),
BN eps 1e-3, momentum 0.01 (Keras' 0.99). The step: forward, softmax cross-entropy on the
logits, backward, SGD lr 0.01 momentum 0.9, on one seeded random batch (inputs uniform in
[0, 1), labels 0-9) reused every step, as the wasm-cnn side.
"""
import argparse
import importlib.util
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_resnet():
    """bench/pytorch-resnet.py's ResNet (the file name is not a module name, so it is loaded by path)."""
    spec = importlib.util.spec_from_file_location('pytorch_resnet', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pytorch-resnet.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ResNet


def resnet20():
    """ResNet-20-like for 32x32x3 inputs, initialised as wasm-cnn's defaults."""
    model = load_resnet()(blocks=3, in_channels=3)
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return model


class Trainer:
    """One model, optimizer and batch; step(n) runs n training steps and returns the seconds."""

    def __init__(self, batch):
        torch.manual_seed(1)
        self.model = resnet20()
        self.model.train()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        g = torch.Generator().manual_seed(7)
        self.x = torch.rand(batch, 3, 32, 32, generator=g)
        self.y = torch.randint(0, 10, (batch,), generator=g)

    def step(self, n):
        """Runs n steps; returns (wall seconds, this process's CPU seconds)."""
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            self.opt.zero_grad()
            loss = F.cross_entropy(self.model(self.x), self.y)
            loss.backward()
            self.opt.step()
        return time.perf_counter() - t0, time.process_time() - c0


def serve(trainer):
    print('ready', flush=True)
    for line in sys.stdin:
        threads, steps = (int(v) for v in line.split())
        torch.set_num_threads(threads)
        wall, cpu = trainer.step(steps)
        print(f'{wall:.6f} {cpu:.6f}', flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', default='1,2')
    p.add_argument('--rounds', type=int, default=7)
    p.add_argument('--steps', type=int, default=3)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--serve', action='store_true')
    a = p.parse_args()
    trainer = Trainer(a.batch)
    if a.serve:
        serve(trainer)
        return
    counts = [int(t) for t in a.threads.split(',')]
    print(f'parameters: {sum(q.numel() for q in trainer.model.parameters())}, batch {a.batch}, torch {torch.__version__}')
    samples = {t: [] for t in counts}
    for t in counts:
        torch.set_num_threads(t)
        trainer.step(a.warmup)
    for _ in range(a.rounds):
        for t in counts:
            torch.set_num_threads(t)
            samples[t].append(a.batch * a.steps / trainer.step(a.steps)[0])
    for t in counts:
        print(f'{t} thread{"s" if t > 1 else ""}: {statistics.median(samples[t]):.0f} images/s '
              f'(median of {a.rounds} x {a.steps} steps; samples {", ".join(f"{s:.0f}" for s in samples[t])})')


if __name__ == '__main__':
    main()
