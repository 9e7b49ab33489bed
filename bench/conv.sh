#!/usr/bin/env bash
# conv2d of LeNet's two layers, tsr (bench/conv.tsr) beside PyTorch eager on 2 threads
# (bench/conv.py) and on 1 thread, alternating REPS runs (default 3); prints the medians
# and the ratios tsr / PyTorch (below 2 is the goal; below 1, tsr is faster).
#
#   bash bench/conv.sh [REPS]        # from the project folder, after `cargo build --release`
source "$(dirname "$0")/common.sh"
REPS=${1:-3}
out=$(mktemp)
for ((r = 0; r < REPS; r++)); do
    "$TSR" bench/conv.tsr >>"$out"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" bench/conv.py >>"$out"
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" bench/conv.py --threads 1 >>"$out"
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.count("\t") >= 3]
def med(who, what):
    v = [float(r[2]) for r in rows if r[0] == who and r[1] == what]
    return statistics.median(v) if v else None
for what in dict.fromkeys(r[1] for r in rows):
    t, p, p1 = med("tsr_conv", what), med("torch_conv", what), med("torch1t_conv", what)
    if t and p and p1:
        print(f"conv\t{what}\ttsr {t:.3f} ms\ttorch(2 threads) {p:.3f} ms\tratio {t / p:.2f}"
              f"\ttorch(1 thread) {p1:.3f} ms\tratio {t / p1:.2f}")
PY
rm -f "$out"
