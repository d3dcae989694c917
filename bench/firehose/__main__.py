"""Firehose benchmark: PutRecordBatch (500 x 1 KiB, 8 clients) into a delivery stream to S3:
acknowledged and delivered records/s, delivery lag, server CPU per record and RSS under load, plain
with dynamic partitioning, with Parquet conversion and with a Kinesis stream as the source
(PutRecords into the stream, `kinesis_source.py`), on a durable Headwater and against ministack and LocalStack (host
mode, no Docker) in the same run, as ratios.

    python -m bench.firehose [--quick] [--duration 20] [--clients 8] [--servers headwater-durable,ministack,localstack]
                             [--scenarios s3,partitioned,parquet,kinesis] [--shards 4] [--no-install] [--no-write]
                             [--output bench/RESULTS.md]

Delivered counts come from the bucket: the bytes of the objects under the data prefix over the
record size (every object is uncompressed, so this checks bytes, not object counts); Headwater's own
DeliveryToS3.Records counter is read too and must agree. "Lag" is the time from the end of the load
until every acknowledged record is delivered. Writes the firehose section of bench/RESULTS.md, with
the load average next to every figure, and the raw numbers under bench/.peers/runs/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from bench.common import sections
from bench.common.memory import RssSampler, tree
from bench.common.peers import install, localstack, versions
from bench.common.runner import command, headwater_tree, machine
from bench.common.servers import HOST, PEERS, REPO, Running, Server, headwater
from bench.common.wire import ACCESS_KEY, REGION, SECRET_KEY
from bench.firehose import kinesis_source
from bench.firehose.load import Sender, batch_body, delivered, delivered_bytes, json_batch_body, send
from bench.functions.peer import MINISTACK, install_ministack, ministack_version

STREAM, BUCKET = "bench-stream", "bench-firehose"
SERVERS = {
    "headwater-durable": headwater("durable"),
    "ministack": MINISTACK,
    "localstack": localstack("firehose,s3"),
}
SCENARIOS = ("s3", "partitioned", "parquet", "kinesis")
# the Glue table a parquet run converts against: load.json_record's ten keys
COLUMNS = [
    ("customer", "string"),
    ("event", "string"),
    ("id", "bigint"),
    ("ts", "bigint"),
    ("region", "string"),
    ("device", "string"),
    ("amount", "double"),
    ("ok", "boolean"),
    ("session", "string"),
    ("pad", "string"),
]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.firehose", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short phases")
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--duration", type=float, help="seconds of load (default 20; quick 5)")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--records", type=int, default=500, help="records per PutRecordBatch")
    p.add_argument("--record-size", type=int, default=1024)
    p.add_argument("--size", type=int, default=5, help="BufferingHints SizeInMBs")
    p.add_argument("--interval", type=int, default=1, help="BufferingHints IntervalInSeconds")
    p.add_argument("--shards", type=int, default=4, help="the kinesis scenario's source stream shards")
    p.add_argument("--servers", default=",".join(SERVERS))
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--no-install", action="store_true", help="skip peers that are not installed yet")
    p.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    p.add_argument("--output", default=str(REPO / "bench" / "RESULTS.md"))
    return p.parse_known_args(argv)[0]  # run.sh hands every section the same flags


def _client(port: int, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{port}",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"}),
    )


def destination(scenario: str, args: argparse.Namespace) -> dict[str, Any]:
    config: dict[str, Any] = {
        "RoleARN": "arn:aws:iam::000000000000:role/bench",
        "BucketARN": f"arn:aws:s3:::{BUCKET}",
        "Prefix": "data/",
        "ErrorOutputPrefix": "errors/",
        "BufferingHints": {"SizeInMBs": args.size, "IntervalInSeconds": args.interval},
    }
    if scenario == "partitioned":  # a jq query over a JSON record with ten keys, 8 distinct values
        config["Prefix"] = "data/customer=!{partitionKeyFromQuery:customer}/"
        config["DynamicPartitioningConfiguration"] = {"Enabled": True}
        # AWS's minimums with dynamic partitioning: 64 MiB, 60 s (the lag shows the interval)
        config["BufferingHints"] = {
            "SizeInMBs": max(args.size, 64),
            "IntervalInSeconds": max(args.interval, 60),
        }
        config["ProcessingConfiguration"] = {
            "Enabled": True,
            "Processors": [
                {
                    "Type": "MetadataExtraction",
                    "Parameters": [
                        {
                            "ParameterName": "MetadataExtractionQuery",
                            "ParameterValue": "{customer: .customer}",
                        },
                        {"ParameterName": "JsonParsingEngine", "ParameterValue": "JQ-1.6"},
                    ],
                }
            ],
        }
    if scenario == "parquet":  # JSON -> Parquet against a Glue table; AWS's minimum size hint: 64 MiB
        config["BufferingHints"] = {"SizeInMBs": max(args.size, 64), "IntervalInSeconds": args.interval}
        config["DataFormatConversionConfiguration"] = {
            "Enabled": True,
            "SchemaConfiguration": {
                "RoleARN": "arn:aws:iam::000000000000:role/bench",
                "DatabaseName": "bench",
                "TableName": "events",
                "Region": "us-east-1",
            },
            "InputFormatConfiguration": {"Deserializer": {"OpenXJsonSerDe": {}}},
            "OutputFormatConfiguration": {"Serializer": {"ParquetSerDe": {}}},
        }
    return config


def _glue_table(port: int) -> None:
    glue = _client(port, "glue")
    glue.create_database(DatabaseInput={"Name": "bench"})
    glue.create_table(
        DatabaseName="bench",
        TableInput={
            "Name": "events",
            "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in COLUMNS]},
        },
    )


def _parquet_rows(s3: Any, prefix: str) -> int:
    """Rows in the Parquet objects under `prefix` (read from each footer: records, not bytes); an
    object that is not Parquet counts none."""
    import pyarrow.parquet as pq  # only this scenario needs it

    rows = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            try:
                rows += pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
            except Exception:  # not Parquet: a peer that ignores the conversion
                continue
    return rows


def _cpu_s(pid: int) -> float:
    """utime + stime of the server's process tree, in seconds."""
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def one_run(server: Server, scenario: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    running = Running(server, workdir)
    try:
        reason = running.wait_ready(120, lambda port: False)
        if reason:
            raise RuntimeError(reason)
        port = running.port
        s3 = _client(port, "s3")
        s3.create_bucket(Bucket=BUCKET)
        firehose = _client(port, "firehose")
        if scenario == "parquet":
            _glue_table(port)
        if scenario == "kinesis":
            kinesis_source.prepare(port, _client, STREAM, args.shards, destination(scenario, args))
        else:
            firehose.create_delivery_stream(
                DeliveryStreamName=STREAM, ExtendedS3DestinationConfiguration=destination(scenario, args)
            )
        deadline = time.monotonic() + 60
        while (
            firehose.describe_delivery_stream(DeliveryStreamName=STREAM)["DeliveryStreamDescription"][
                "DeliveryStreamStatus"
            ]
            != "ACTIVE"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the delivery stream never became ACTIVE")
            time.sleep(0.1)
        sender = kinesis_source.send if scenario == "kinesis" else send
        if scenario == "kinesis":
            body = kinesis_source.body(args.records, args.record_size)
        elif scenario in ("partitioned", "parquet"):
            body = json_batch_body(STREAM, args.records, args.record_size)
        else:
            body = batch_body(STREAM, args.records, args.record_size)
        duration = args.duration or (5.0 if args.quick else 20.0)
        stop = threading.Event()
        senders = [Sender() for _ in range(args.clients)]
        threads = [threading.Thread(target=sender, args=(port, body, args.records, stop, s)) for s in senders]
        rss = RssSampler(running.proc.pid, 0.5)
        rss.start()
        load0 = os.getloadavg()
        cpu0 = _cpu_s(running.proc.pid)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(duration)
        stop.set()
        for thread in threads:
            thread.join()
        stopped = time.perf_counter()
        load_end = os.getloadavg()
        acked = sum(s.acked for s in senders)

        def count() -> int:
            if scenario == "parquet":
                return _parquet_rows(s3, "data/")
            return delivered_bytes(s3, BUCKET, "data/") // args.record_size

        # The tail: until everything acknowledged is delivered. A poll counts from when it started
        # (listing a peer's object per record takes seconds).
        at_stop = got = count()
        drained = stopped
        while got < acked and time.perf_counter() < stopped + 120:
            time.sleep(0.25)
            drained = time.perf_counter()
            got = count()
        cpu = _cpu_s(running.proc.pid) - cpu0
        samples = rss.samples[:]
        rss.stop()
        elapsed = stopped - started
        result = {
            "server": server.name,
            "scenario": scenario,
            "duration_s": round(elapsed, 2),
            "acked_records": acked,
            "acked_per_s": round(acked / elapsed),
            "delivered_records": got,
            "delivered_during_load_per_s": round(at_stop / elapsed),
            "delivered_per_s": round(got / (drained - started)),
            "lost": max(0, acked - got),
            "lag_after_load_s": round(drained - stopped, 2),
            "server_cpu_us_per_record": round(cpu / max(1, got) * 1e6, 1),
            "requests": sum(s.requests for s in senders),
            "errors": [e for s in senders for e in s.errors][:5],
            "rss_mb_start": round(samples[0], 1) if samples else None,
            "rss_mb_peak": round(max(samples), 1) if samples else None,
            "rss_mb_end": round(samples[-1], 1) if samples else None,
            "loadavg_start": round(load0[0], 2),
            "loadavg_end": round(load_end[0], 2),
        }
        if server.family == "headwater":  # its own counter must agree with the bucket
            result["metric_delivered"], result["data_freshness_s"] = delivered(port, STREAM)
        return result
    finally:
        running.stop()


def _peers_ready(names: list[str], args: argparse.Namespace) -> dict[str, str]:
    """{server: why it is skipped} for peers that cannot run."""
    skipped: dict[str, str] = {}
    for name in names:
        if name == "ministack":
            if args.no_install and not ministack_version():
                skipped[name] = "not installed (--no-install)"
            elif reason := install_ministack():
                skipped[name] = reason
        elif name == "localstack":
            if args.no_install and not versions({"localstack"}):
                skipped[name] = "not installed (--no-install)"
            elif reason := install({"localstack"}, services=("firehose", "s3")).get("localstack"):
                if "does not import" in reason and "amazon_kclpy" in _install_log():
                    reason = (
                        "its Firehose provider imports amazon_kclpy (the KCL: Java jars fetched at install),"
                        " which localstack-core[base-runtime] lacks"
                    )
                skipped[name] = reason
    return skipped


def _install_log() -> str:
    try:
        return (PEERS / "install.log").read_text(errors="replace")[-20_000:]
    except OSError:
        return ""


def _ratio(ours: float | None, theirs: float | None) -> str:
    return f"{ours / theirs:.1f}x" if ours and theirs else "-"


def section(raw: dict[str, Any]) -> str:
    m = raw["machine"]
    lines = [
        "# Firehose benchmark results",
        "",
        f"- Command: `{raw['command']}`",
        f"- Date: {raw['date']}",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}; Python {m['python']}",
        f"- Headwater: {raw['headwater']}",
        f"- Peers: {', '.join(f'{k} {v}' for k, v in raw['peers'].items()) or 'none'}",
        "- Load: each row gives the 1-minute load average at the start and end of its load phase (about 0"
        " on an idle machine; anything above 2 means other work shared the 2 CPUs with server and clients)",
        "",
        "## Method",
        "",
        f"- {raw['args']['clients']} client threads, each on its own persistent raw HTTP/1.1 connection, send the"
        f" same prebuilt PutRecordBatch ({raw['args']['records']} records of {raw['args']['record_size']} B)"
        f" back to back for {raw['duration']:g} s; a record counts as acknowledged when the answer says so.",
        f"- Delivery to S3, BufferingHints {raw['args']['size']} MiB / {raw['args']['interval']} s, uncompressed;"
        " delivered = bytes of the objects under `data/` / record size (bytes checked, not object counts),"
        " polled until every acknowledged record is there (lag) or 120 s. Headwater runs `--durability"
        " durable` (acknowledged = on disk); ministack and LocalStack keep their state in memory.",
        "- partitioned: JSON records with ten keys, a MetadataExtraction jq query `{customer: .customer}` (8"
        " values), Prefix `data/customer=!{partitionKeyFromQuery:customer}/`, a buffer per partition under AWS's"
        " minimum hints for dynamic partitioning (64 MiB, 60 s: most records wait for the interval, so the lag"
        " is about 60 s and delivered rec/s counts it).",
        "- parquet: the same JSON records converted to Parquet (OpenXJsonSerDe in, ParquetSerDe out, SNAPPY)"
        " against a Glue table of their ten columns, 64 MiB buffers (AWS's minimum with conversion);"
        " delivered = rows read from the objects' Parquet footers (an object that is not Parquet counts none).",
        f"- kinesis: the clients PutRecords ({raw['args']['records']} x {raw['args']['record_size']} B) into a"
        f" {raw['args'].get('shards', 4)}-shard Kinesis stream that the delivery stream reads"
        " (KinesisStreamAsSource), delivering to S3 as in s3; acked = records the stream accepted.",
        "- Server CPU = utime + stime of the server's process tree over load and drain, per delivered record.",
        "",
        "## Results",
        "",
        "| scenario | server | acked rec/s | delivered rec/s | delivered during load rec/s | lag s | lost |"
        " CPU us/rec | RSS MB start/peak/end | load avg start-end |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in raw["results"]:
        if "error" in r:
            lines.append(f"| {r['scenario']} | {r['server']} | failed: {r['error'][:120]} | | | | | | | |")
            continue
        lines.append(
            f"| {r['scenario']} | {r['server']} | {r['acked_per_s']:,} | {r['delivered_per_s']:,} |"
            f" {r['delivered_during_load_per_s']:,} | {r['lag_after_load_s']} | {r['lost']:,} |"
            f" {r['server_cpu_us_per_record']} | {r['rss_mb_start']}/{r['rss_mb_peak']}/{r['rss_mb_end']} |"
            f" {r['loadavg_start']}-{r['loadavg_end']} |"
        )
    for name, why in raw["skipped"].items():
        lines.append(f"| all | {name} | skipped: {why[:160]} | | | | | | | |")
    lines += ["", "Ratios (Headwater / peer, delivered records/s):", ""]
    ours = {
        r["scenario"]: r for r in raw["results"] if r["server"].startswith("headwater") and "error" not in r
    }
    for r in raw["results"]:
        if r["server"].startswith("headwater") or "error" in r or r["scenario"] not in ours:
            continue
        lines.append(
            f"- {r['scenario']}: {_ratio(ours[r['scenario']]['delivered_per_s'], r['delivered_per_s'])}"
            f" against {r['server']} (acknowledged: {_ratio(ours[r['scenario']]['acked_per_s'], r['acked_per_s'])})"
        )
    lines += [
        "",
        "Targets (issue 13): >= 50,000 records/s delivered to S3 and >= 20,000 with Parquet conversion,"
        " nothing lost, RSS flat.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    PEERS.mkdir(parents=True, exist_ok=True)
    names = [n for n in args.servers.split(",") if n]
    skipped = _peers_ready([n for n in names if n != "headwater-durable"], args)
    results: list[dict[str, Any]] = []
    for scenario in [s for s in args.scenarios.split(",") if s]:
        for name in names:
            if name in skipped:
                continue
            for n in range(args.runs):
                with tempfile.TemporaryDirectory(prefix="firehose-bench-", dir=PEERS) as tmp:
                    try:
                        result = one_run(SERVERS[name], scenario, args, Path(tmp))
                    except Exception as exc:  # a peer that lacks the feature must not end the run
                        result = {"server": name, "scenario": scenario, "error": repr(exc)}
                results.append(result)
                print(
                    f"firehose bench {scenario} {name} run {n + 1}/{args.runs}: " + json.dumps(result),
                    flush=True,
                )
    raw = {
        "command": command("python -m bench.firehose", argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "machine": machine(),
        "headwater": headwater_tree(),
        "peers": {**ministack_version(), **versions({"localstack"})} if len(names) > 1 else {},
        "duration": args.duration or (5.0 if args.quick else 20.0),
        "args": vars(args),
        "results": results,
        "skipped": skipped,
    }
    runs = PEERS / "runs"
    runs.mkdir(exist_ok=True)
    out = runs / f"firehose-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(raw, indent=2))
    text = section(raw)
    print(text)
    if not args.no_write:
        sections.write(Path(args.output), "firehose", text)
    print(f"firehose bench: raw numbers in {out}")
    ours = [r for r in results if r["server"].startswith("headwater")]
    return 0 if ours and all("error" not in r and r["lost"] == 0 for r in ours) else 1


if __name__ == "__main__":
    raise SystemExit(main())
