#!/usr/bin/env python3
"""PyTorch (eager, 2 threads) peer of bench/products.tsr: the same products with the same
operand layouts (`X @ W.T` with W.T a view, `G.T @ X`, `G @ W`, square 1024 and 2048),
timed the same way (5 timed loops after two warm-up calls, the median loop, and the
fastest). Prints `torch_mm<TAB>NAME<TAB>GFLOP/s<TAB>GFLOP/s` and `torch_mm_best`.
"""
import statistics
import time

import torch

torch.set_num_threads(2)
torch.manual_seed(0)


def timeit(name, f, flops, n):
    f()
    f()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        times.append((time.perf_counter() - t0) / n)
    print(f"torch_mm\t{name}\t{flops / statistics.median(times) / 1e9}\tGFLOP/s", flush=True)
    print(f"torch_mm_best\t{name}\t{flops / min(times) / 1e9}\tGFLOP/s", flush=True)


X = torch.randn(256, 784)
W = torch.randn(128, 784)
G = torch.randn(256, 128)
fl = 2 * 256 * 784 * 128
timeit("X@W.T_256x784x128", lambda: X @ W.T, fl, 40)
timeit("G.T@X_128x256x784", lambda: G.T @ X, fl, 40)
timeit("G@W_256x128x784", lambda: G @ W, fl, 40)
A1, B1 = torch.randn(1024, 1024), torch.randn(1024, 1024)
timeit("1024^3", lambda: A1 @ B1, 2 * 1024**3, 10)
A2, B2 = torch.randn(2048, 2048), torch.randn(2048, 2048)
timeit("2048^3", lambda: A2 @ B2, 2 * 2048**3, 3)
