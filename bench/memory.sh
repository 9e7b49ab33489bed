#!/usr/bin/env bash
# Peak memory (max RSS) of a training loop of 100 steps against the same loop of 10,000
# steps (graphs must be freed when their variables are rebound, so the two peaks should
# be the same), and the time and peak of a 1,000,000-op chain `x = x * 1.0` with one
# backward through it (nothing may recurse on graph depth).
#
#   bash bench/memory.sh        # from the project folder
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
TSR=${TSR:-${CARGO_TARGET_DIR:-target}/release/tsr}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
loop() {
  cat <<TSR
seed(0)
X = randn(64, 64)
labels = argmax(randn(64, 10), 1)
W1 = randn(32, 64) * 0.1
W2 = randn(10, 32) * 0.1
opt = sgd([W1, W2], lr=0.01)
for i in range($1):
    loss = cross_entropy(relu(X @ W1.T) @ W2.T, labels)
    backward(loss)
    step(opt)
print("loss after $1 steps", item(loss))
TSR
}
loop 100 >"$dir/loop100.tsr"
loop 10000 >"$dir/loop10000.tsr"
cat >"$dir/chain.tsr" <<'TSR'
x = tensor([1.0, 2.0])
y = x
for i in range(1000000):
    y = y * 1.0
backward(sum(y))
print("chain of 1000000 ops, grad", grad(x))
TSR
for name in loop100 loop10000 chain; do
  # A fresh python per run, so that its children's peak is this run's alone.
  python3 - "$TSR" "$dir/$name.tsr" "$name" <<'PY'
import resource, subprocess, sys, time
tsr, path, name = sys.argv[1:4]
t0 = time.perf_counter()
out = subprocess.run([tsr, "run", path], capture_output=True, text=True, check=True).stdout.strip()
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"{name}\tpeak_rss_mb\t{peak / 1024:.1f}\twall_s\t{wall:.2f}\t({out})")
PY
done
