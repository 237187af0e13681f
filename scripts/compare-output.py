#!/usr/bin/env python3
"""Compares two ccetl output roots dataset by dataset: every column of every row (but the run's
stamp, `_run_id` and `_extracted_at`), sorted, plus the partition columns from the paths. Prints one line per dataset and exits 1 on any difference.

    python3 scripts/compare-output.py OLD_ROOT NEW_ROOT

Needs DuckDB's Python package (`.ci/run` installs it into target/venv).
"""
import sys
from pathlib import Path

import duckdb


def table(root: Path, dataset: str):
    files = sorted(str(p) for p in (root / dataset).rglob("*.parquet") if not p.name.startswith("."))
    if not files:
        return [], []
    con = duckdb.connect()
    rel = con.read_parquet(files, hive_partitioning=True)
    # The run's stamp (_run_id, _extracted_at) differs between runs by design: compare the data.
    columns = sorted(c for c in rel.columns if not c.startswith("_"))
    select = ", ".join(f'"{c}"::VARCHAR AS "{c}"' for c in columns)
    order = ", ".join(f'"{c}"' for c in columns)
    rows = con.sql(f"SELECT {select} FROM rel ORDER BY {order}").fetchall()
    return columns, rows


def main() -> int:
    old, new = Path(sys.argv[1]), Path(sys.argv[2])
    datasets = sorted({p.name for root in (old, new) for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")})
    differ = False
    for dataset in datasets:
        (c1, r1), (c2, r2) = table(old, dataset), table(new, dataset)
        same = c1 == c2 and r1 == r2
        differ |= not same
        print(f"{dataset}: {len(r1)} rows vs {len(r2)} rows, {len(c1)} vs {len(c2)} columns: {'identical' if same else 'DIFFERENT'}")
        if not same and c1 == c2:
            only_old = sorted(set(r1) - set(r2))[:3]
            only_new = sorted(set(r2) - set(r1))[:3]
            print(f"  only in {old}: {only_old}\n  only in {new}: {only_new}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
