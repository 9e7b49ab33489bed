#!/usr/bin/env bash
# One invocation, alternating runs: tsr's w1 (notebook step) and w2 (MLP step) beside the
# PyTorch eager and numpy autograd peers of ../shared/bench, and single matrix products
# at training shapes and 1024³ / 2048³ (bench/products.tsr) beside PyTorch
# (bench/products.py), with the fraction of the machine's f32 FMA peak measured by
# bench/fma_probe.rs (compiled here with rustc). Prints medians and ratios, and
# the ratios of the best runs.
# Needs the peers' venv (see ../shared/bench/README.md; the numpy peer also needs
# threadpoolctl):
#   python3 -m venv ~/.cache/peers-venv
#   ~/.cache/peers-venv/bin/pip install numpy torch threadpoolctl
# Environment: REPS (default 3) runs of every program, alternating, and medians are
# compared (the machines are shared and one process can be 30% slower than the next);
# PRODUCTS=0 skips the products, STEPS=0 the w1/w2 steps; CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-../shared/bench}
# From a git worktree under wt/, shared/ is one folder further up.
[ -d "$PEERS" ] || [ ! -d ../../shared/bench ] || PEERS=../../shared/bench
PY=${PY:-$HOME/.cache/peers-venv/bin/python}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet
TSR=$TARGET/release/tsr
PROBE=$TARGET/release/fma_probe
if [ ! -x "$PROBE" ] || [ bench/fma_probe.rs -nt "$PROBE" ]; then
  rustc -O --edition 2021 -o "$PROBE" bench/fma_probe.rs
fi
peer() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "$@" 2>/dev/null || true; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$PROBE" >>"$out"
for rep in $(seq "${REPS:-3}"); do
  if [ "${STEPS:-1}" != 0 ]; then
    "$TSR" run bench/w1.tsr >>"$out"
    "$TSR" run bench/w2.tsr >>"$out"
    if [ -x "$PY" ]; then
      for impl in torch numpy_class; do
        peer "$PEERS/w1_tiny_net.py" --impl "$impl" >>"$out"
        peer "$PEERS/w2_mlp.py" --impl "$impl" >>"$out"
      done
    fi
  fi
  if [ "${PRODUCTS:-1}" != 0 ]; then
    "$TSR" run bench/products.tsr >>"$out"
    [ -x "$PY" ] && peer bench/products.py >>"$out"
  fi
done
"$PROBE" >>"$out"
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.count("\t") >= 3]
def vals(name, metric):
    return [float(r[2]) for r in rows if r[0] == name and r[1] == metric]
def med(name, metric):
    v = vals(name, metric)
    return statistics.median(v) if v else None
wall2 = max(vals("peak", "threads2") or [0])
wall1 = max(vals("peak", "threads1") or [0])
core = max(vals("peak", "per_core_cpu") or [0])
isa = next((r[2] for r in rows if r[0] == "peak" and r[1] == "isa"), "?")
# The peak is two cores' worth of the per-core rate measured in CPU time (which other
# processes do not dilute), or the best wall-clock rate when that is higher.
peak = max(2 * core, wall2)
print(f"f32 FMA peak ({isa}): {peak:.0f} GFLOP/s for 2 cores ({core:.0f} per core-second of CPU time; "
      f"best wall-clock runs {wall2:.0f} on 2 threads, {wall1:.0f} on 1)")
def best(name, metric, pick=min):
    v = vals(name, metric)
    return pick(v) if v else None
# Medians first; then the best run of each side (the host is shared, and a neighbour's
# load lowers either side's median by up to a third from one run to the next).
tsr_w1, tsr_w2 = med("tsr_w1", "step_median"), med("tsr_w2", "step_median")
tsr_w1b, tsr_w2b = best("tsr_w1", "step_min"), best("tsr_w2", "step_min")
if tsr_w1 and tsr_w2:
    print(f"tsr w1 step: {tsr_w1:.2f} us   tsr w2 step: {tsr_w2:.3f} ms   (best {tsr_w1b:.2f} us, {tsr_w2b:.3f} ms)")
    for peer in ("torch", "numpy_class"):
        p1, p1b = med(f"w1.{peer}", "us_per_step_median"), best(f"w1.{peer}", "us_per_step_min")
        p2, p2b = med(f"w2.{peer}", "ms_per_step_median"), best(f"w2.{peer}", "ms_per_step_min")
        if p1:
            print(f"w1 {peer}: {p1:.2f} us  -> tsr is {p1 / tsr_w1:.1f}x faster (best runs: {p1b / tsr_w1b:.1f}x)")
        if p2:
            print(f"w2 {peer}: {p2:.3f} ms  -> tsr/peer time ratio {tsr_w2 / p2:.2f} (best runs: {tsr_w2b / p2b:.2f})")
names = [r[1] for r in rows if r[0] == "tsr_mm"]
names = list(dict.fromkeys(names))
if names:
    print(f"{'product (GFLOP/s, medians)':28} {'tsr':>7} {'torch':>7} {'tsr/torch':>9} {'tsr %peak':>9} {'torch %peak':>11}"
          f" | {'best: tsr':>9} {'torch':>7} {'tsr/torch':>9}")
    for n in names:
        t, p = med("tsr_mm", n), med("torch_mm", n)
        tb, pb = best("tsr_mm_best", n, max), best("torch_mm_best", n, max)
        ratio = f"{t / p:9.2f}" if p else f"{'-':>9}"
        tp = f"{100 * t / peak:8.0f}%" if peak else f"{'-':>9}"
        pp = f"{100 * p / peak:10.0f}%" if p and peak else f"{'-':>11}"
        rb = f"{tb / pb:9.2f}" if tb and pb else f"{'-':>9}"
        print(f"{n:28} {t:7.1f} {p or float('nan'):7.1f} {ratio} {tp} {pp} | {tb or float('nan'):9.1f} {pb or float('nan'):7.1f} {rb}")
PY
