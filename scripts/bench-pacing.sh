#!/usr/bin/env bash
# Pacing at the server's quota. The simulator (its own process, started fresh for each run) allows
# QUOTA requests per client per 60-second window and answers 429 over it. It announces the limit
# in Genesys's `inin-ratelimit-*` headers; like CXone, it sends none for CXone. Each vendor is
# backfilled twice: configured at the server's quota, and at twice it (a limit the user got wrong).
# For every run it prints: requests, 429s, the span from the first 429 to the last, wall time, and
# quota use (requests ÷ what the quota allows in that wall time).
# Genesys uses the query path with 25-conversation pages, so that a run lasts several minutes.
# Usage: scripts/bench-pacing.sh [GENESYS_DAYS] [CXONE_DAYS]   (default 20 14: about 5 min a run)
#        QUOTA=300 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
quota="${QUOTA:-300}"
genesys_days="${1:-20}"
cxone_days="${2:-14}"
cargo build --release --quiet
bin="$PWD/${CARGO_TARGET_DIR:-target}/release/ccetl"
work=$(mktemp -d)
sim_pid=
trap '[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"' EXIT

run() {
  local vendor=$1 configured=$2 days=$3
  rm -rf "$work/out" "$work/sim.txt"
  "$bin" sim --port 0 --requests-per-minute "$quota" >"$work/sim.txt" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do grep -q '^export CCETL_SIM_PSEUDONYMIZE_KEY' "$work/sim.txt" && break; sleep 0.1; done
  eval "$(grep '^export ' "$work/sim.txt")"
  # The printed configuration, this vendor's section only, with the quota under test.
  sed -n '/^\[output\]/,/^and these variables/p' "$work/sim.txt" | sed '$d' |
    awk -v keep="$vendor" '/^\[(genesys|cxone)\./{skip = ($0 !~ "^\\[" keep "\\.")} !skip' |
    sed -e "s#^dir = .*#dir = \"$work/out\"#" \
      -e "s#^requests_per_minute = .*#requests_per_minute = $configured#" \
      -e "s#^burst = .*#burst = 10#" \
      -e "s#^details_jobs_after_days = .*#details_jobs_after_days = 3650\ndetails_page_size = 25#" \
      >"$work/ccetl.toml"
  local to from
  to=$(date -u -d yesterday +%F)
  from=$(date -u -d "$days days ago" +%F)
  "$bin" --log-format json --config "$work/ccetl.toml" backfill --from "$from" --to "$to" \
    --summary-json "$work/summary.json" >"$work/stdout" 2>"$work/log.jsonl" || true
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=
  python3 - "$work/summary.json" "$work/log.jsonl" "$vendor" "$configured" "$quota" "$days" <<'EOF'
import json, sys
from datetime import datetime
summary_path, log_path, vendor, configured, quota, days = sys.argv[1:]
s = json.load(open(summary_path))
throttled = []
for line in open(log_path):
    try:
        event = json.loads(line)
    except ValueError:
        continue
    fields = event.get("fields", {})
    if "HTTP 429" in str(fields.get("error", "")):
        throttled.append(datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")))
span = f"{(max(throttled) - min(throttled)).total_seconds():.1f}" if throttled else "-"
elapsed = s["elapsed_secs"]
use = s["requests"] / (int(quota) / 60 * elapsed)
failed = len(s["failed"])
print(f"{vendor:<8} {configured:>10} {quota:>6} {days:>5} {s['requests']:>8} {s['throttled']:>5}"
      f" {span:>11} {elapsed:>8.1f} {use:>8.1%} {failed:>6}")
EOF
}

printf '%-8s %10s %6s %5s %8s %5s %11s %8s %8s %6s\n' \
  vendor configured server days requests 429s 429_span_s wall_s use failed
run genesys "$quota" "$genesys_days"
run genesys "$((quota * 2))" "$genesys_days"
run cxone "$quota" "$cxone_days"
run cxone "$((quota * 2))" "$cxone_days"
