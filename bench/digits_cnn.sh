#!/usr/bin/env bash
# The digits CNN example's whole run (examples/digits_cnn.tsr: load, 12 epochs of
# training, test) beside the same recipe in PyTorch eager on 2 threads
# (bench/digits_cnn.py), alternating runs so that both see the same machine load; prints
# each run and the medians and their ratio (tsr / PyTorch). tsr's time is the whole
# process; PyTorch's starts after `import torch`.
#
#   bash bench/digits_cnn.sh [REPS]        # from the project folder, after `cargo build --release`
#
# Environment: PYTHON (default ~/.cache/peers-venv/bin/python, with torch), TSR (default target/release/tsr, or $CARGO_TARGET_DIR/release/tsr).
source "$(dirname "$0")/common.sh"
REPS=${1:-5}

tsr_times=() torch_times=() torch1_times=()
for ((r = 0; r < REPS; r++)); do
    start=$(date +%s%N)
    out=$(cd examples && "$TSR" digits_cnn.tsr)
    end=$(date +%s%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    acc=$(printf '%s\n' "$out" | awk '/^test accuracy [0-9]/ { print $3 }')
    tsr_times+=("$t")
    echo -e "digits_cnn\ttsr_wall_s\t$t\ts\t(test accuracy $acc)"
    line=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" bench/digits_cnn.py --data examples/data/digits.csv)
    t=$(printf '%s\n' "$line" | awk -F'\t' '$2 == "wall_s" { print $3 }')
    acc=$(printf '%s\n' "$line" | awk -F'\t' '$2 == "test_accuracy" { print $3 }')
    torch_times+=("$t")
    echo -e "digits_cnn\ttorch_wall_s\t$t\ts\t(test accuracy $acc)"
    # one intra-op thread: the fair figure when the machine is oversubscribed
    line=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" bench/digits_cnn.py --data examples/data/digits.csv --threads 1)
    t=$(printf '%s\n' "$line" | awk -F'\t' '$2 == "wall_s" { print $3 }')
    torch1_times+=("$t")
    echo -e "digits_cnn\ttorch_1thread_wall_s\t$t\ts"
done
m_tsr=$(median "${tsr_times[@]}")
echo -e "digits_cnn\ttsr_wall_s_median\t$m_tsr\ts"
summary digits_cnn torch "$m_tsr" "$(median "${torch_times[@]}")"
summary digits_cnn torch_1thread "$m_tsr" "$(median "${torch1_times[@]}")"
