#!/usr/bin/env bash
# The digits example's whole training (examples/digits.tsr) beside the same recipe in
# PyTorch (../shared/bench/digits_train.py), alternating runs so that both see the same
# machine load; prints each run and the medians and their ratio (tsr / PyTorch).
#
#   bash bench/digits.sh [REPS]        # from the project folder, after `cargo build --release`
#
# Environment: PYTHON (default ~/.cache/peers-venv/bin/python, with torch), PEERS (default
# ../shared/bench), TSR (default target/release/tsr, or $CARGO_TARGET_DIR/release/tsr).
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
PYTHON=${PYTHON:-$HOME/.cache/peers-venv/bin/python}
PEERS=${PEERS:-../shared/bench}
TSR=${TSR:-${CARGO_TARGET_DIR:-target}/release/tsr}
[ -x "$TSR" ] || { echo "no $TSR: run cargo build --release first" >&2; exit 2; }
TSR=$(cd "$(dirname "$TSR")" && pwd)/$(basename "$TSR")   # the example runs from its folder

tsr_times=() torch_times=()
for ((r = 0; r < REPS; r++)); do
    start=$(date +%s%N)
    out=$(cd examples && "$TSR" digits.tsr)
    end=$(date +%s%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    acc=$(printf '%s\n' "$out" | awk '/^test accuracy [0-9]/ { print $3 }')
    tsr_times+=("$t")
    echo -e "digits_train\ttsr_wall_s\t$t\ts\t(test accuracy $acc)"
    line=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" "$PEERS/digits_train.py" --data examples/data/digits.csv)
    t=$(printf '%s\n' "$line" | awk -F'\t' '$2 == "wall_s" { print $3 }')
    acc=$(printf '%s\n' "$line" | awk -F'\t' '$2 == "test_accuracy" { print $3 }')
    torch_times+=("$t")
    echo -e "digits_train\ttorch_wall_s\t$t\ts\t(test accuracy $acc)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m_tsr=$(median "${tsr_times[@]}")
m_torch=$(median "${torch_times[@]}")
echo -e "digits_train\ttsr_wall_s_median\t$m_tsr\ts"
echo -e "digits_train\ttorch_wall_s_median\t$m_torch\ts"
awk -v a="$m_tsr" -v b="$m_torch" 'BEGIN { printf "digits_train\tratio_tsr_over_torch\t%.3f\tratio\n", a / b }'
