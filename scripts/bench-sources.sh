#!/usr/bin/env bash
# Sources run at the same time: a Genesys org and a CXone tenant backfilled in one run should take
# about the longer of the two alone, not their sum (each has its own quota). Starts the simulator
# (`ccetl sim`, its own process), then backfills DAYS days of every dataset three ways —
# Genesys only, CXone only, both — at the demo's quota (6,000 requests/minute per source) and
# prints wall time, peak memory and the summary of each.
# Usage: scripts/bench-sources.sh [DAYS]   (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
days="${1:-7}"
rpm=6000
cargo build --release --quiet
bin="$PWD/${CARGO_TARGET_DIR:-target}/release/ccetl"
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" sim --port 0 --rate-limit "$rpm" >"$work/sim.txt" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do grep -q '^export CCETL_SIM_PSEUDONYMIZE_KEY' "$work/sim.txt" && break; sleep 0.1; done
# The simulator prints a configuration and the variables it accepts: take both.
eval "$(grep '^export ' "$work/sim.txt")"
sed -n '/^\[output\]/,/^and these variables/p' "$work/sim.txt" | sed '$d' >"$work/both.toml"
awk '/^\[cxone\./{skip=1} /^\[genesys\./{skip=0} !skip' "$work/both.toml" >"$work/genesys.toml"
awk '/^\[genesys\./{skip=1} /^\[cxone\./{skip=0} !skip' "$work/both.toml" >"$work/cxone.toml"
to=$(date -u -d yesterday +%F)
from=$(date -u -d "$days days ago" +%F)
printf '%-8s %7s %12s  %s\n' sources wall_s max_rss_MiB summary
for which in genesys cxone both; do
  sed -i "s#^dir = .*#dir = \"$work/out-$which\"#" "$work/$which.toml"
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" -q --config "$work/$which.toml" \
    backfill --from "$from" --to "$to" >"$work/stdout" 2>"$work/stderr" || true
  read -r secs rss_kib <"$work/time"
  printf '%-8s %7s %12s  %s\n' "$which" "$secs" "$((rss_kib / 1024))" "$(tail -1 "$work/stdout")"
done
