#!/usr/bin/env bash
# The makemore example's whole run (examples/makemore.tsr: build the dataset, 2000
# minibatch steps, evaluate, sample) by tsr beside the same file run by Python with
# PyTorch eager (it is the lecture notebook's code; bench/makemore_torch.py runs it, timed
# after `import torch`), on 2 threads and on 1, alternating runs so that all see the same
# machine load; prints each run, the medians and their ratios (tsr / PyTorch). tsr's time
# is the whole process.
#
#   bash bench/makemore.sh [REPS]        # from the project folder, after `cargo build --release`
#
# Environment: PYTHON (default ~/.cache/peers-venv/bin/python, with torch), TSR (default
# target/release/tsr, or $CARGO_TARGET_DIR/release/tsr).
source "$(dirname "$0")/common.sh"
REPS=${1:-3}

val() { printf '%s\n' "$1" | awk '/^val [0-9]/ { print $2 }'; }
tsr_times=() torch_times=() torch1_times=()
for ((r = 0; r < REPS; r++)); do
    start=$(date +%s%N)
    out=$(cd examples && "$TSR" makemore.tsr)
    end=$(date +%s%N)
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    tsr_times+=("$t")
    echo -e "makemore\ttsr_wall_s\t$t\ts\t(val loss $(val "$out"))"
    for threads in 2 1; do
        out=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PYTHON" bench/makemore_torch.py examples/makemore.tsr --threads $threads)
        t=$(printf '%s\n' "$out" | awk -F'\t' '$2 == "wall_s" { print $3 }')
        if [ "$threads" = 2 ]; then torch_times+=("$t"); name=torch; else torch1_times+=("$t"); name=torch_1thread; fi
        echo -e "makemore\t${name}_wall_s\t$t\ts\t(val loss $(val "$out"))"
    done
done
m_tsr=$(median "${tsr_times[@]}")
echo -e "makemore\ttsr_wall_s_median\t$m_tsr\ts"
summary makemore torch "$m_tsr" "$(median "${torch_times[@]}")"
summary makemore torch_1thread "$m_tsr" "$(median "${torch1_times[@]}")"
