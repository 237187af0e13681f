#!/usr/bin/env bash
# Issue #11's figures from one run: CPU, memory and requests (scripts/bench-cpu.sh: ccetl and the
# tutorial-style Python ETL on the same simulated days, the serde_json floor on the same pages),
# then pacing at the server's quota and at twice it (scripts/bench-pacing.sh: 429s, quota use).
# Takes about 25 minutes on 2 cores; run it on an otherwise idle machine (the CPU figures are
# user + system time of the ETL process, but a busy machine still slows caches and scheduling).
#
# Usage: scripts/bench-performance.sh   (DAYS=7, VOLUME=2.2, RUNS=9, QUOTA=300 as in the two)
set -euo pipefail
cd "$(dirname "$0")/.."
echo "ccetl $(git rev-parse --short HEAD 2>/dev/null || echo '?') on $(nproc) cores, $(date -u +%F)"
echo
echo "== CPU, memory, requests =="
scripts/bench-cpu.sh "${DAYS:-7}"
echo
echo "== Pacing =="
scripts/bench-pacing.sh
