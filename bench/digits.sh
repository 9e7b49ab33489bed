#!/usr/bin/env bash
# The digits example's whole training (examples/digits.tsr) beside the same recipe in
# PyTorch (../shared/bench/digits_train.py), alternating runs so that both see the same
# machine load; prints each run and the medians and their ratio (tsr / PyTorch).
#
#   bash bench/digits.sh [REPS]        # from the project folder, after `cargo build --release`
#
# Environment: PYTHON (default ~/.cache/peers-venv/bin/python, with torch), PEERS (default
# ../shared/bench), TSR (default target/release/tsr, or $CARGO_TARGET_DIR/release/tsr).
source "$(dirname "$0")/common.sh"
REPS=${1:-5}
PEERS=${PEERS:-../shared/bench}

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
m_tsr=$(median "${tsr_times[@]}")
echo -e "digits_train\ttsr_wall_s_median\t$m_tsr\ts"
summary digits_train torch "$m_tsr" "$(median "${torch_times[@]}")"
