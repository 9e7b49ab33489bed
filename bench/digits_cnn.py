#!/usr/bin/env python3
"""PyTorch peer of examples/digits_cnn.tsr, timed: conv 3x3 (16) -> relu -> max pool ->
conv 3x3 (32) -> relu -> max pool -> linear (10) on the 8x8 digits, pixels / 16, every
6th row held out, Adam lr 0.01, minibatches of 100 in file order, 12 epochs, eager CPU on
2 threads. Prints digits_cnn<TAB>wall_s<TAB>...<TAB>s and digits_cnn<TAB>test_accuracy<TAB>...

Run: python bench/digits_cnn.py [--data examples/data/digits.csv] [--epochs 12]
"""
import argparse
import csv
import time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", default="examples/data/digits.csv")
p.add_argument("--epochs", type=int, default=12)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
t0 = time.perf_counter()
rows = list(csv.reader(open(args.data)))[1:]
data = torch.tensor([[float(v) for v in r] for r in rows])
X, y = (data[:, :-1] / 16).reshape(-1, 1, 8, 8), data[:, -1].long()
test = torch.arange(len(y)) % 6 == 0
Xtr, ytr, Xte, yte = X[~test], y[~test], X[test], y[test]
conv1 = torch.nn.Conv2d(1, 16, 3, padding=1)
conv2 = torch.nn.Conv2d(16, 32, 3, padding=1)
fc = torch.nn.Linear(128, 10)
params = [*conv1.parameters(), *conv2.parameters(), *fc.parameters()]
opt = torch.optim.Adam(params, lr=0.01)


def forward(x):
    h = F.max_pool2d(F.relu(conv1(x)), 2)
    h = F.max_pool2d(F.relu(conv2(h)), 2)
    return fc(h.reshape(-1, 128))


for epoch in range(args.epochs):
    for i in range(0, len(ytr), 100):
        loss = F.cross_entropy(forward(Xtr[i:i + 100]), ytr[i:i + 100])
        opt.zero_grad()
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (forward(Xte).argmax(1) == yte).float().mean().item()
wall = time.perf_counter() - t0
print(f"digits_cnn\twall_s\t{wall:.4f}\ts")
print(f"digits_cnn\ttest_accuracy\t{acc:.4f}\tratio")
