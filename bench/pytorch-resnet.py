#!/usr/bin/python3
"""The ResNet-style Fashion-MNIST classifier of examples/node/resnet-fashion.mjs, in PyTorch, timed.

Run:  /usr/bin/python3 bench/pytorch-resnet.py [--threads N] [--epochs E] [--batch B] [--blocks K]
(Debian's python3-torch and dataset-fashion-mnist). Prints the parameter count, then per epoch the
training time, images/s, and the test accuracy, so wasm-cnn's example can be compared on the same
machine with the same number of threads.

The network (NCHW here, NHWC in wasm-cnn; same layers, same parameter count):
  conv 3x3 16 - BN - relu
  stage 1: K residual blocks of 16 channels
  stage 2: K blocks of 32 (the first with stride 2 and a 1x1 conv + BN projection on the skip)
  stage 3: K blocks of 64 (likewise)
  global average pool - dense 10
A block: conv 3x3 - BN - relu - conv 3x3 - BN, plus the skip, then relu.
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = '/usr/share/datasets/fashion-mnist'


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01)
        self.project = None
        if stride != 1 or cin != cout:
            self.project = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                         nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.project(x) if self.project is not None else x))


class ResNet(nn.Module):
    def __init__(self, blocks, in_channels=1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16, eps=1e-3, momentum=0.01), nn.ReLU())
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for b in range(blocks):
                layers.append(Block(cin, cout, stride if b == 0 else 1))
                cin = cout
        self.stages = nn.Sequential(*layers)
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.stages(self.stem(x)).mean(dim=(2, 3)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--epochs', type=int, default=1)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--blocks', type=int, default=2)
    p.add_argument('--lr', type=float, default=1e-3)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    xtr = torch.tensor(idx('train-images-idx3-ubyte.gz'), dtype=torch.float32).unsqueeze(1) / 255
    ytr = torch.tensor(idx('train-labels-idx1-ubyte.gz'), dtype=torch.int64)
    xte = torch.tensor(idx('t10k-images-idx3-ubyte.gz'), dtype=torch.float32).unsqueeze(1) / 255
    yte = torch.tensor(idx('t10k-labels-idx1-ubyte.gz'), dtype=torch.int64)
    model = ResNet(a.blocks)
    print(f'parameters: {sum(p.numel() for p in model.parameters())} (threads {a.threads}, batch {a.batch})')
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    n = xtr.shape[0]
    for epoch in range(a.epochs):
        model.train()
        order = torch.randperm(n)
        t0 = time.perf_counter()
        for i in range(0, n, a.batch):
            idxs = order[i:i + a.batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(xtr[idxs]), ytr[idxs])
            loss.backward()
            opt.step()
        dt = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            correct = sum((model(xte[i:i + 500]).argmax(1) == yte[i:i + 500]).sum().item() for i in range(0, xte.shape[0], 500))
        print(f'epoch {epoch + 1}: {dt:.1f} s, {n / dt:.0f} images/s, test accuracy {100 * correct / xte.shape[0]:.2f}%')


if __name__ == '__main__':
    main()
