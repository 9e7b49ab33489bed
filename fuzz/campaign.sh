#!/bin/sh
# A longer mutation campaign on a stable toolchain: mutants of mutants of every example
# and golden case, run in-process under a 64 MiB budget and a 150 ms time bound, for
# MINUTES minutes. Prints executions and outcomes every minute and at the end; programs
# that panicked or did not stop after the interrupt go to target/campaign/.
#
#     fuzz/campaign.sh 15            # 15 minutes, seed 1
#     SEED=7 fuzz/campaign.sh 60     # another seed
#
# A process abort (which no in-process runner can catch) ends the campaign with a
# non-zero status and the message of the abort.
set -eu
MINUTES=${1:?usage: fuzz/campaign.sh MINUTES}
cd "$(dirname "$0")/.."
TSR_CAMPAIGN_MINUTES=$MINUTES TSR_CAMPAIGN_SEED=${SEED:-1} \
    cargo test --release --test mutation -- --nocapture mutants_never_panic_or_hang
