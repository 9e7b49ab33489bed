#!/usr/bin/env python3
"""PyTorch peer of bench/conv.tsr: conv2d of LeNet's two layers on a batch of 64, forward
and forward + backward (input, weight and bias gradients), eager CPU on 2 threads.
Prints torch_conv<TAB>LAYER_PASS<TAB>VALUE<TAB>ms (medians of 5 repetitions)."""
import sys
import time

import torch
import torch.nn.functional as F

# `--threads 1`: one intra-op thread (the figure to compare when the machine is
# oversubscribed: OpenMP's two spinning threads then lose most of their time slices).
THREADS = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
WHO = "torch_conv" if THREADS == 2 else f"torch{THREADS}t_conv"
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def bench(name, x, w, b, reps):
    x, w, b = (t.requires_grad_() for t in (x, w, b))
    for _ in range(3):  # warm-up
        F.conv2d(x, w, b).sum().backward()
    fwd, both = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            y = F.conv2d(x, w, b)
        fwd.append((time.perf_counter() - t0) / reps * 1e3)
        t0 = time.perf_counter()
        for _ in range(reps):
            x.grad = w.grad = b.grad = None
            F.conv2d(x, w, b).sum().backward()
        both.append((time.perf_counter() - t0) / reps * 1e3)
    print(f"{WHO}\t{name}_forward\t{sorted(fwd)[2]}\tms")
    print(f"{WHO}\t{name}_forward_backward\t{sorted(both)[2]}\tms")


bench("lenet_conv1", torch.randn(64, 1, 28, 28), torch.randn(6, 1, 5, 5), torch.randn(6), 20)
bench("lenet_conv2", torch.randn(64, 6, 14, 14), torch.randn(16, 6, 5, 5), torch.randn(16), 20)
