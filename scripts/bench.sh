#!/usr/bin/env bash
# Backfill benchmark against the embedded simulator: wall time, rows, requests and peak memory
# (max RSS) for growing date ranges. Memory should stay flat as the range grows, because slices
# stream through the pipeline and nothing collects a backfill. The wall time is set by the
# 300 requests/minute quota (burst 10), as it would be against Genesys.
# Usage: scripts/bench.sh [DAYS...]   (default: 7 30 90 180)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/ccetl"
[ $# -gt 0 ] || set -- 7 30 90 180
printf '%6s %9s %12s  %s\n' days wall_s max_rss_MiB summary
for days in "$@"; do
  out=$(mktemp -d)
  /usr/bin/time -f '%e %M' -o "$out/time" "$bin" -q demo --days "$days" --output "$out/data" >"$out/stdout" 2>/dev/null
  read -r secs rss_kib <"$out/time"
  printf '%6s %9s %12s  %s\n' "$days" "$secs" "$((rss_kib / 1024))" "$(head -1 "$out/stdout")"
  rm -rf "$out"
done
