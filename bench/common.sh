# Sourced by the bench scripts that time tsr beside PyTorch: the project folder as the
# working directory, PYTHON (default ~/.cache/peers-venv/bin/python, with torch), TSR
# (default target/release/tsr, or $CARGO_TARGET_DIR/release/tsr; made absolute, since the
# examples run from their own folder), the wall-clock timer and the summary helpers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-$HOME/.cache/peers-venv/bin/python}
TSR=${TSR:-${CARGO_TARGET_DIR:-target}/release/tsr}
[ -x "$TSR" ] || { echo "no $TSR: run cargo build --release first" >&2; exit 2; }
TSR=$(cd "$(dirname "$TSR")" && pwd)/$(basename "$TSR")

# The median of the numbers given.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# `summary NAME PEER TSR_MEDIAN PEER_MEDIAN`: the peer's median and tsr's ratio to it.
summary() {
    echo -e "$1\t$2_wall_s_median\t$4\ts"
    awk -v n="$1" -v p="$2" -v a="$3" -v b="$4" 'BEGIN { printf "%s\tratio_tsr_over_%s\t%.3f\tratio\n", n, p, a / b }'
}
