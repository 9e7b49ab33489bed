#!/usr/bin/env bash
# Time tsr's w1 (notebook step) and w2 (MLP step) beside the PyTorch eager and numpy
# autograd peers of ../shared/bench, in one invocation, and print the ratios.
# Needs the peers' venv (see ../shared/bench/README.md; the numpy peer also needs
# threadpoolctl):
#   python3 -m venv ~/.cache/peers-venv
#   ~/.cache/peers-venv/bin/pip install numpy torch threadpoolctl
# Every program runs REPS times (default 3), alternating, and medians are compared: the
# machines are shared and one process can be 30% slower than the next.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-../shared/bench}
PY=${PY:-$HOME/.cache/peers-venv/bin/python}
cargo build --release --quiet
TSR=target/release/tsr
out=$(mktemp)
for rep in $(seq "${REPS:-3}"); do
  "$TSR" run bench/w1.tsr >>"$out"
  "$TSR" run bench/w2.tsr >>"$out"
  if [ -x "$PY" ]; then
    for impl in torch numpy_class; do
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "$PEERS/w1_tiny_net.py" --impl "$impl" >>"$out" 2>/dev/null || true
      env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" "$PEERS/w2_mlp.py" --impl "$impl" >>"$out" 2>/dev/null || true
    done
  fi
done
python3 - "$out" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.count("\t") >= 3]
def med(name, metric):
    vals = [float(r[2]) for r in rows if r[0] == name and r[1] == metric]
    return statistics.median(vals) if vals else None
tsr_w1, tsr_w2 = med("tsr_w1", "step_median"), med("tsr_w2", "step_median")
print(f"tsr w1 step: {tsr_w1:.2f} us   tsr w2 step: {tsr_w2:.3f} ms")
for peer in ("torch", "numpy_class"):
    p1 = med(f"w1.{peer}", "us_per_step_median")
    p2 = med(f"w2.{peer}", "ms_per_step_median")
    if p1:
        print(f"w1 {peer}: {p1:.2f} us  -> tsr is {p1 / tsr_w1:.1f}x faster")
    if p2:
        print(f"w2 {peer}: {p2:.3f} ms  -> tsr/peer time ratio {tsr_w2 / p2:.2f}")
PY
rm -f "$out"
