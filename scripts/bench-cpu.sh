#!/usr/bin/env bash
# CPU and memory of the Genesys details path, against `ccetl sim` in its own process (so that the
# simulator's CPU is not counted), at VOLUME times the simulator's default conversations a day
# (2.2: about 3,000 a day over a week). Without rate limiting: the figures are the ETL's own cost.
#
# Prints, per run: conversations landed, CPU seconds (user + system) of the ETL process,
# conversations per CPU-second, peak RSS, wall time (of the run of median CPU, out of RUNS). Runs:
#   ccetl query  DAYS days of `contacts` through the details query (100 a page)
#   ccetl jobs   the same days through async jobs (the two days the data lake lacks: query)
#   python       bench/genesys_details_etl.py, the tutorial-style ETL (requests + pyarrow), query
#   ccetl 1 day / 30 days (query, and jobs for 30): peak RSS as the range grows; 1 day at 20,000
# and, for each ccetl run, its requests next to the physical minimum for the data (see below).
# then the serde_json floor on the same pages (examples/details_parse_floor.rs, one core).
#
# Usage: scripts/bench-cpu.sh [DAYS]   (default 7; VOLUME=2.2; PYTHON=python3 with requests and
#        pyarrow, else a venv is made in target/py/bench)
set -euo pipefail
cd "$(dirname "$0")/.."
days="${1:-7}"
volume="${VOLUME:-2.2}"
cargo build --release --quiet
cargo build --release --quiet --example details_parse_floor
target="${CARGO_TARGET_DIR:-target}"
bin="$PWD/$target/release/ccetl"
floor="$PWD/$target/release/examples/details_parse_floor"
python="${PYTHON:-}"
if [ -z "$python" ]; then
  if ! "$target/py/bench/bin/python" -c 'import requests, pyarrow' 2>/dev/null; then
    python3 -m venv "$target/py/bench"
    "$target/py/bench/bin/python" -m pip install --quiet --disable-pip-version-check requests pyarrow
  fi
  python="$PWD/$target/py/bench/bin/python"
fi
work=$(mktemp -d)
sim_pid=
trap '[ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null; rm -rf "$work"' EXIT

start_sim() {
  rm -f "$work/sim.txt"
  "$bin" sim --port 0 --requests-per-minute 10000000 --volume "$1" >"$work/sim.txt" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do grep -q '^export CCETL_SIM_PSEUDONYMIZE_KEY' "$work/sim.txt" && break; sleep 0.1; done
  eval "$(grep '^export ' "$work/sim.txt")"
  base=$(sed -n 's/^api_url = "\(.*\)"$/\1/p' "$work/sim.txt" | head -1)
}

stop_sim() {
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=
}

# The simulator's printed configuration, Genesys only, contacts only, at the given jobs threshold.
write_config() {
  sed -n '/^\[output\]/,/^and these variables/p' "$work/sim.txt" | sed '$d' |
    awk '/^\[(genesys|cxone)\./{skip = ($0 !~ /^\[genesys\./)} !skip' |
    sed -e "s#^dir = .*#dir = \"$work/out\"#" \
      -e "s#^requests_per_minute = .*#requests_per_minute = 10000000\ndatasets = [\"contacts\"]#" \
      -e "s#^burst = .*#burst = 1000#" \
      -e "s#^details_jobs_after_days = .*#details_jobs_after_days = $1\ndetails_page_size = 100#" \
      -e "s#^details_job_poll_secs = .*#details_job_poll_secs = 0.05#" \
      >"$work/ccetl.toml"
}

# Each run is repeated RUNS times (default 9); the row shows the run of median CPU (a machine
# shared with other work makes single runs vary by 20%).
runs="${RUNS:-9}"

# measure LABEL CMD…: runs CMD under scripts/rusage.py, appending "user sys rss wall" to
# times.txt (CPU in microseconds: GNU time's 10 ms steps are 8% of a week's backfill).
measure() {
  local label=$1
  shift
  python3 scripts/rusage.py "$work/times.txt" "$@" >"$work/stdout" 2>"$work/stderr" || {
    echo "$label failed:" >&2
    tail -5 "$work/stderr" >&2
    exit 1
  }
}

# row LABEL CONVERSATIONS [REQUESTS MINIMUM]: the median-CPU line of times.txt, then a fresh
# times.txt.
row() {
  python3 - "$1" "$2" "$work/times.txt" "${3:--}" "${4:--}" <<'EOF' | tee -a "$work/rows.txt"
import sys
label, n, path, requests, minimum = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
runs = sorted((float(u) + float(s), float(rss), float(wall))
              for u, s, rss, wall in (line.split() for line in open(path) if line.strip()))
cpu, rss, wall = runs[len(runs) // 2]
print(f'{label:<22} {n:>13,} {cpu:>7.3f} {n / cpu:>12,.0f} {rss / 1024:>8.1f} {wall:>7.1f}'
      f' {requests:>8} {minimum:>8}')
EOF
  rm -f "$work/times.txt"
}

# requests_and_minimum JOBS_AFTER: "REQUESTS MINIMUM" of the last run. The minimum is what the data
# needs at the largest page sizes the reference allows (tokens not counted): on the query path one page
# per 100 conversations of each day; on the jobs path one job over the whole range (submit, one
# status poll, the availability check) and one result page per 1,000 conversations.
requests_and_minimum() {
  python3 - "$work/summary.json" "$1" <<'EOF'
import json, math, sys
summary, jobs_after = json.load(open(sys.argv[1])), int(sys.argv[2])
per_day = [s["rows"] or 0 for s in summary["slices"] if s["dataset"] == "contacts"]
if jobs_after >= 3650:
    minimum = sum(max(1, math.ceil(n / 100)) for n in per_day)
else:
    minimum = 3 + max(1, math.ceil(sum(per_day) / 1000))
print(summary["requests"], minimum)
EOF
}

ccetl_run() {
  local label=$1 jobs_after=$2 from=$3 to=$4
  write_config "$jobs_after"
  for _ in $(seq "$runs"); do
    rm -rf "$work/out"
    measure "$label" "$bin" --quiet --config "$work/ccetl.toml" backfill --from "$from" --to "$to" \
      --summary-json "$work/summary.json"
  done
  # shellcheck disable=SC2046 # two words: requests and the minimum
  row "$label" "$(python3 -c "import json; print(json.load(open('$work/summary.json'))['rows'])")" \
    $(requests_and_minimum "$jobs_after")
}

to=$(date -u -d yesterday +%F)
# The 1-day runs take the latest weekday (the simulator's weekends are about half as busy), so
# that "1 day" is a working day's volume, as in the 7- and 30-day runs.
weekday=$to
while [ "$(date -u -d "$weekday" +%u)" -gt 5 ]; do weekday=$(date -u -d "$weekday - 1 day" +%F); done
from=$(date -u -d "$days days ago" +%F)
start_sim "$volume"
printf '%-22s %13s %7s %12s %8s %7s %8s %8s\n' run conversations cpu_s conv/cpu_s rss_MiB wall_s \
  requests minimum
ccetl_run "ccetl query ${days}d" 3650 "$from" "$to"
ccetl_run "ccetl jobs ${days}d" 0 "$from" "$to"
for _ in $(seq "$runs"); do
  rm -rf "$work/py"
  measure python "$python" bench/genesys_details_etl.py "$base" "$from" "$to" "$work/py"
done
row "python query ${days}d" "$(tail -1 "$work/stdout")"
ccetl_run "ccetl query 1d" 3650 "$weekday" "$weekday"
ccetl_run "ccetl query 30d" 3650 "$(date -u -d '30 days ago' +%F)" "$to"
ccetl_run "ccetl jobs 30d" 0 "$(date -u -d '30 days ago' +%F)" "$to"
"$python" bench/genesys_details_etl.py --dump-pages "$base" "$from" "$to" "$work/pages" >/dev/null
stop_sim
# 20,000 conversations on a weekday: the default volume is about 1,600.
start_sim 12.5
ccetl_run "ccetl query 1d @20k" 3650 "$weekday" "$weekday"
stop_sim
echo
echo "serde_json floor on the ${days}-day pages (one core, parse only):"
"$floor" "$work/pages" 5 | tee "$work/floor.txt"
# The ratios issue #11 asks for, from this run's figures.
python3 - "$work/rows.txt" "$work/floor.txt" "$days" <<'EOF'
import sys
rows = {line[:22].strip(): line[22:].split() for line in open(sys.argv[1]) if line.strip()}
floor = dict(line.split() for line in open(sys.argv[2]) if "_per_s " in line)
days = sys.argv[3]
rate = lambda label: float(rows[label][2].replace(",", ""))
rss = lambda label: float(rows[label][3])
query, python = rate(f"ccetl query {days}d"), rate(f"python query {days}d")
same_shape = float(floor["owned_same_shape_per_s"])
print()
print(f"ccetl query {days}d / Python ETL:               {query / python:.1f}x")
print(f"ccetl query {days}d / floor (owned, same shape): {query / same_shape:.2f}")
print(f"ccetl jobs {days}d / ccetl query {days}d:         {rate(f'ccetl jobs {days}d') / query:.2f}")
print(f"peak RSS, query, 30 days / 1 day:           {rss('ccetl query 30d') / rss('ccetl query 1d'):.2f}")
EOF
