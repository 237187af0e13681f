"""Object-store servers for the object-storage tests, and the readers that check them.

    python servers.py serve BUCKET            starts moto (S3) on 127.0.0.1 (an OS-assigned port),
                                              creates BUCKET, prints "port N", serves until
                                              stdin closes
    python servers.py mirror URL S3_URL DIR   copies every object under S3_URL into DIR (boto3)
    python servers.py duckdb URL S3_URL DS    prints, per dataset, rows and column sums as
                                              DuckDB's httpfs reads them from the store (JSON)
    python servers.py duckdb-local DIR DS     the same digest of a local output
    python servers.py pyarrow URL S3_URL DS   rows per dataset through pyarrow's S3 filesystem
    python servers.py az-container URL NAME   creates a container on Azurite (azure-storage-blob)
    python servers.py az-mirror URL AZ_URL DIR  copies every blob under az://container/prefix

URL is the server's endpoint (http://127.0.0.1:N). Credentials are moto's dummies, or Azurite's
well-known development account.
"""
import json
import os
import sys

KEY, SECRET, REGION = "test", "test", "us-east-1"


def serve(bucket):
    import logging

    from moto.server import ThreadedMotoServer
    import boto3

    # One line per request would bury the test's own output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )
    s3.create_bucket(Bucket=bucket)
    print(f"port {port}", flush=True)
    sys.stdin.read()
    server.stop()


def split(s3_url):
    rest = s3_url[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix.strip("/")


def mirror(endpoint, s3_url, target):
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        region_name=REGION,
    )
    bucket, prefix = split(s3_url)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            rel = obj["Key"][len(prefix) + 1:]
            path = os.path.join(target, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            s3.download_file(bucket, obj["Key"], path)
            count += 1
    print(json.dumps({"objects": count}))


def duckdb_read(endpoint, s3_url, names):
    import duckdb
    import duckdb_ext

    host = endpoint.split("://", 1)[1]
    con = duckdb.connect()
    con.execute("SET extension_directory = ?", (duckdb_ext.get_extension_dir(),))
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("LOAD httpfs")
    con.execute(
        f"CREATE SECRET moto (TYPE s3, KEY_ID '{KEY}', SECRET '{SECRET}', REGION '{REGION}', "
        f"ENDPOINT '{host}', URL_STYLE 'path', USE_SSL false)"
    )
    out = {}
    for name in names:
        rel = con.sql(
            f"SELECT * FROM read_parquet('{s3_url}/{name}/**/*.parquet', hive_partitioning = true)"
        )
        out[name] = summarize(con, rel)
    print(json.dumps(out, sort_keys=True))


def summarize(con, rel):
    """Rows, distinct dates and the sum of every numeric column (a reader-independent digest)."""
    cols = [c for c, t in zip(rel.columns, rel.types) if str(t) in ("BIGINT", "INTEGER", "DOUBLE", "SMALLINT")]
    exprs = ["count(*) AS rows", "count(DISTINCT date) AS dates"] + [
        f'round(sum("{c}"), 3) AS "sum_{c}"' for c in cols if not c.startswith("_")
    ]
    row = rel.aggregate(", ".join(exprs)).fetchone()
    names = ["rows", "dates"] + [f"sum_{c}" for c in cols if not c.startswith("_")]
    return {n: (None if v is None else float(v)) for n, v in zip(names, row)}


def duckdb_local(root, names):
    import duckdb

    con = duckdb.connect()
    out = {}
    for name in names:
        rel = con.sql(
            f"SELECT * FROM read_parquet('{root}/{name}/**/*.parquet', hive_partitioning = true)"
        )
        out[name] = summarize(con, rel)
    print(json.dumps(out, sort_keys=True))


def pyarrow_read(endpoint, s3_url, names):
    import pyarrow.dataset as ds
    import pyarrow.fs as pafs

    fs = pafs.S3FileSystem(
        access_key=KEY,
        secret_key=SECRET,
        region=REGION,
        endpoint_override=endpoint,
        scheme="http",
    )
    bucket, prefix = split(s3_url)
    out = {}
    for name in names:
        table = ds.dataset(
            f"{bucket}/{prefix}/{name}",
            filesystem=fs,
            format="parquet",
            partitioning="hive",
            exclude_invalid_files=True,
        ).to_table()
        out[name] = {"rows": float(table.num_rows)}
    print(json.dumps(out, sort_keys=True))


AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)


def azure_client(endpoint):
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(
        account_url=f"{endpoint}/{AZURITE_ACCOUNT}",
        credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY},
    )


def az_container(endpoint, name):
    azure_client(endpoint).create_container(name)


def az_mirror(endpoint, az_url, target):
    rest = az_url[len("az://"):]
    container, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    client = azure_client(endpoint).get_container_client(container)
    count = 0
    for blob in client.list_blobs(name_starts_with=prefix + "/"):
        rel = blob.name[len(prefix) + 1:]
        path = os.path.join(target, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(client.download_blob(blob.name).readall())
        count += 1
    print(json.dumps({"objects": count}))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "serve":
        serve(sys.argv[2])
    elif command == "mirror":
        mirror(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "duckdb":
        duckdb_read(sys.argv[2], sys.argv[3], sys.argv[4].split(","))
    elif command == "duckdb-local":
        duckdb_local(sys.argv[2], sys.argv[3].split(","))
    elif command == "pyarrow":
        pyarrow_read(sys.argv[2], sys.argv[3], sys.argv[4].split(","))
    elif command == "az-container":
        az_container(sys.argv[2], sys.argv[3])
    elif command == "az-mirror":
        az_mirror(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown command {command}")
