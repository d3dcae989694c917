"""kill -9 while a delivery stream reads a Kinesis stream under load: every record put into the
stream, before and after the crash, is delivered at least once (the shards resume after their
durable checkpoints; none is skipped)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests.e2e.firehose.kinesis_support import kinesis_stream, lines, sourced_stream
from tests.e2e.firehose.support import wait_objects
from tests.e2e.support.clients import client_for
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import durable_server


def test_kill_under_load_skips_no_kinesis_record(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    kinesis = client_for(server.endpoint, "kinesis")
    arn = kinesis_stream(kinesis, "busy", shards=3)
    s3 = client_for(server.endpoint, "s3")
    s3.create_bucket(Bucket="landing")
    # 1 MiB objects while the load runs; the tail waits for the 900 s interval, i.e. the restart
    sourced_stream(client_for(server.endpoint, "firehose"), "drain", arn, "landing", interval_s=900)
    put: list[bytes] = []
    lock = threading.Lock()
    stop = threading.Event()

    def produce(worker: int, client: Any) -> None:
        n = 0
        while not stop.is_set():
            records = [f"w{worker}-b{n}-r{i}".encode().ljust(199, b".") + b"\n" for i in range(250)]
            try:
                answer = client.put_records(
                    StreamName="busy", Records=[{"Data": r, "PartitionKey": r[:12].decode()} for r in records]
                )
            except Exception:  # the server died mid-call: nothing acknowledged
                return
            assert answer["FailedRecordCount"] == 0
            with lock:
                put.extend(records)
            n += 1

    def load(tag: str, endpoint: str) -> list[threading.Thread]:
        threads = [
            threading.Thread(target=produce, args=(f"{tag}{w}", client_for(endpoint, "kinesis")))
            for w in range(3)
        ]
        for thread in threads:
            thread.start()
        return threads

    threads = load("a", server.endpoint)
    wait_for(lambda: len(put) >= 15_000, 60, "load put")
    wait_objects(s3, "landing", 1, timeout=30)  # some delivered and checkpointed before the kill
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    before = len(put)

    server = durable_server(data_dir).start()
    try:
        s3 = client_for(server.endpoint, "s3")
        stop.clear()
        threads = load("b", server.endpoint)
        wait_for(lambda: len(put) >= before + 5_000, 60, "load put after the restart")
        stop.set()
        for thread in threads:
            thread.join()

        def delivered() -> bool:
            server.advance(900)
            return set(put) <= set(lines(s3, "landing"))

        wait_for(delivered, 90, "every record put delivered")
        print(f"put {len(put)} records ({before} before the kill), delivered {len(lines(s3, 'landing'))}")
    finally:
        server.stop()
