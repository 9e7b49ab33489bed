"""Run a tsr example with Python and PyTorch, timed after `import torch`: the makemore
example is the lecture notebook's code, so the same file runs in both. Prints one
tab-separated line, `makemore<TAB>wall_s<TAB>SECONDS`, after the script's own output.

    python bench/makemore_torch.py examples/makemore.tsr [--threads N]
"""
import os
import sys
import time

import torch

path = sys.argv[1]
if "--threads" in sys.argv:
    torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]))
source = open(path).read()
os.chdir(os.path.dirname(os.path.abspath(path)))  # its data paths are relative to it
code = compile(source, os.path.basename(path), "exec")
start = time.perf_counter()
exec(code, {"__name__": "__main__"})
print(f"makemore\twall_s\t{time.perf_counter() - start:.4f}")
