#!/usr/bin/env python3
"""Reads every dataset folder of a ccetl output root the way warehouse loaders do, with one
reader, and prints what it saw as one JSON object:

    python read_dataset.py READER ROOT

READER is duckdb, polars, pyarrow, pandas or datafusion. Each dataset folder is read with the
reader's plain folder call (no glob) and the partition columns typed as README's "Reading the
output" section says (`date` a date, `source` and `tenant` strings). For each dataset it reports
row count, a few sums, the type of `date` and of `tenant`, and the reader's version. A reader that
fails reports its error instead, so the caller sees every reader's verdict.

`python read_dataset.py stats ROOT` instead checks, with pyarrow, that every non-empty DOUBLE
column chunk of every file carries min/max statistics, and lists the ones that do not.
"""
import datetime
import json
import sys
from pathlib import Path

# A few sums per dataset: integer and floating columns, so type and value both have to agree.
SUMS = {
    "queue_intervals": ["offered", "handle_count", "handle_seconds_sum", "wait_seconds_max"],
    "agent_intervals": ["handled", "talk_seconds", "idle_seconds"],
    "contacts": ["talk_seconds", "wait_seconds"],
    "metrics": ["count", "sum"],
    "agent_status": ["duration_seconds"],
    "contact_segments": ["duration_seconds", "segment_index"],
    "queues": ["member_count", "service_level_seconds"],
    "agents": [],
    "wrapup_codes": [],
    "skills": [],
    "teams": ["member_count"],
    "divisions": [],
    "presence_definitions": [],
}


def datasets(root: Path):
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def number(v):
    if v is None:
        return None
    return float(v)


def summarize(rows, sums, date_value, tenant_value):
    return {
        "rows": rows,
        "sums": {k: number(v) for k, v in sums.items()},
        "date_is_date": isinstance(date_value, datetime.date) and not isinstance(date_value, datetime.datetime),
        "tenant_is_string": isinstance(tenant_value, str),
    }


def read_duckdb(folder: Path, dataset: str):
    import duckdb

    con = duckdb.connect()
    rel = con.sql(
        f"SELECT * FROM read_parquet('{folder}', hive_partitioning = true, "
        "hive_types = {'source': VARCHAR, 'tenant': VARCHAR, 'date': DATE})"
    )
    cols = SUMS[dataset]
    agg = "".join(f'sum("{c}"), ' for c in cols)
    row = con.sql(f"SELECT count(*), {agg}any_value(date), any_value(tenant) FROM rel").fetchall()[0]
    return summarize(row[0], dict(zip(cols, row[1 : 1 + len(cols)])), row[-2], row[-1])


def read_polars(folder: Path, dataset: str):
    import polars as pl

    lf = pl.scan_parquet(
        folder,
        hive_partitioning=True,
        hive_schema={"source": pl.String, "tenant": pl.String, "date": pl.Date},
    )
    cols = SUMS[dataset]
    out = lf.select(
        [pl.len().alias("n")]
        + [pl.col(c).sum().alias(c) for c in cols]
        + [pl.col("date").first().alias("d"), pl.col("tenant").first().alias("t")]
    ).collect()
    r = out.row(0, named=True)
    return summarize(r["n"], {c: r[c] for c in cols}, r["d"], r["t"])


def arrow_partitioning():
    import pyarrow as pa
    import pyarrow.dataset as ds

    return ds.partitioning(
        pa.schema([("source", pa.string()), ("tenant", pa.string()), ("date", pa.date32())]),
        flavor="hive",
    )


def read_pyarrow(folder: Path, dataset: str):
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(folder, partitioning=arrow_partitioning())
    cols = SUMS[dataset]
    sums = {c: pc.sum(table[c]).as_py() for c in cols}
    first = lambda c: table[c][0].as_py() if table.num_rows else None
    return summarize(table.num_rows, sums, first("date"), first("tenant"))


def read_pandas(folder: Path, dataset: str):
    import pandas as pd

    df = pd.read_parquet(folder, engine="pyarrow", partitioning=arrow_partitioning())
    cols = SUMS[dataset]
    sums = {c: df[c].sum(min_count=1) for c in cols}
    sums = {c: (None if pd.isna(v) else v) for c, v in sums.items()}
    first = lambda c: df[c].iloc[0] if len(df) else None
    return summarize(len(df), sums, first("date"), first("tenant"))


def read_datafusion(folder: Path, dataset: str):
    import pyarrow as pa
    from datafusion import SessionContext

    ctx = SessionContext()
    ctx.register_parquet(
        "t",
        str(folder),
        table_partition_cols=[("source", pa.string()), ("tenant", pa.string()), ("date", pa.date32())],
    )
    cols = SUMS[dataset]
    agg = "".join(f'sum("{c}") AS "{c}", ' for c in cols)
    batch = ctx.sql(
        f'SELECT count(*) AS n, {agg}min("date") AS d, min(tenant) AS t FROM t'
    ).to_pylist()[0]
    return summarize(batch["n"], {c: batch[c] for c in cols}, batch["d"], batch["t"])


READERS = {
    "duckdb": read_duckdb,
    "polars": read_polars,
    "pyarrow": read_pyarrow,
    "pandas": read_pandas,
    "datafusion": read_datafusion,
}


def version(reader: str) -> str:
    module = {"pyarrow": "pyarrow", "pandas": "pandas", "polars": "polars", "duckdb": "duckdb", "datafusion": "datafusion"}[reader]
    try:
        return __import__(module).__version__
    except Exception as e:  # noqa: BLE001 - report, don't crash
        return f"unavailable: {e}"


def double_stats(root: Path):
    import pyarrow.parquet as pq

    missing, checked = [], 0
    for f in sorted(root.rglob("*.parquet")):
        meta = pq.ParquetFile(f).metadata
        for g in range(meta.num_row_groups):
            rg = meta.row_group(g)
            for c in range(rg.num_columns):
                col = rg.column(c)
                if col.physical_type != "DOUBLE":
                    continue
                stats = col.statistics
                if stats is not None and stats.has_null_count and stats.null_count >= col.num_values:
                    continue  # every value null: nothing to bound
                checked += 1
                if stats is None or not stats.has_min_max:
                    missing.append(f"{f.relative_to(root)} {col.path_in_schema}")
    return {"checked": checked, "missing": missing[:20], "missing_count": len(missing), "pyarrow": version("pyarrow")}


def main() -> int:
    reader, root = sys.argv[1], Path(sys.argv[2])
    if reader == "stats":
        print(json.dumps(double_stats(root)))
        return 0
    result = {"reader": reader, "version": version(reader), "datasets": {}}
    for dataset in datasets(root):
        try:
            result["datasets"][dataset] = READERS[reader](root / dataset, dataset)
        except Exception as e:  # noqa: BLE001 - the verdict is the point
            result["datasets"][dataset] = {"error": f"{type(e).__name__}: {e}"[:400]}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
