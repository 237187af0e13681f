#!/usr/bin/env python3
"""Run a command and append its CPU and memory to a file: "user_s sys_s peak_rss_kib wall_s".

GNU time prints user and system time rounded to 10 ms, which is 8% of a week's backfill at
0.12 CPU-seconds. This script takes CPU time from wait4's rusage, in microseconds, and peak RSS
and wall time from GNU time, which runs the command: the peak RSS of a process forked from
Python would start at Python's own (about 14 MiB), and GNU time is small. The CPU figure so
includes GNU time's own, about a millisecond. The command's standard output and error go where
this script's go, and its exit status is this script's.

Usage: scripts/rusage.py OUTFILE CMD [ARG...]
"""
import os
import subprocess
import sys
import tempfile


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out, cmd = sys.argv[1], sys.argv[2:]
    with tempfile.NamedTemporaryFile("r", encoding="utf-8", suffix=".time") as gnu:
        child = subprocess.Popen(["/usr/bin/time", "-f", "%M %e", "-o", gnu.name, *cmd])
        _, status, usage = os.wait4(child.pid, 0)
        # GNU time writes "Command exited with non-zero status N" first when it fails.
        rss_kib, wall_s = gnu.read().split()[-2:]
    with open(out, "a", encoding="utf-8") as f:
        f.write(f"{usage.ru_utime:.6f} {usage.ru_stime:.6f} {rss_kib} {wall_s}\n")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
