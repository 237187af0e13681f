"""Airflow: the nightly ccetl run as one task per shard, all over the same configuration and
output. Each task runs `ccetl run --shard K/N`; shards take disjoint (source, tenant) pairs and
lock only those, so they run in parallel. A failed task is retried on its own (a rerun replaces
its partitions, never duplicates them). The exit code tells Airflow what failed: 1 some slices,
2 usage or configuration, 3 auth, 4 API, 5 another run holds a lock.
"""

import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

SHARDS = 4

with DAG(
    dag_id="ccetl_nightly",
    schedule="30 3 * * *",
    start_date=datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    default_args={"retries": 2, "retry_delay": datetime.timedelta(minutes=10)},
) as dag:
    for k in range(SHARDS):
        BashOperator(
            task_id=f"ccetl_shard_{k}",
            bash_command=f"ccetl --config /etc/ccetl/ccetl.toml run --shard {k}/{SHARDS}",
            env={"CCETL_LOG_FORMAT": "json"},
            append_env=True,
        )
