"""kill -9 under PutRecordBatch load loses no acknowledged record: records buffered, or written but
not yet checkpointed, are delivered after the restart (at-least-once, as AWS)."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.e2e.firehose.support import objects, s3_stream, wait_objects
from tests.e2e.support.clients import client_for
from tests.e2e.support.s3 import wait_for
from tests.e2e.support.server import durable_server


def test_kill_under_load_loses_nothing_acknowledged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = durable_server(data_dir).start()
    s3 = client_for(server.endpoint, "s3")
    s3.create_bucket(Bucket="landing")
    # 1 MiB objects while the load runs; the tail waits for the 900 s interval, i.e. the restart
    s3_stream(client_for(server.endpoint, "firehose"), "load", "landing", size_mb=1, interval_s=900)
    acknowledged: list[bytes] = []
    lock = threading.Lock()
    stop = threading.Event()

    def produce(worker: int) -> None:
        firehose = client_for(server.endpoint, "firehose")
        n = 0
        while not stop.is_set():
            records = [f"w{worker}-b{n}-r{i}".encode().ljust(199, b".") + b"\n" for i in range(200)]
            try:
                answer = firehose.put_record_batch(
                    DeliveryStreamName="load", Records=[{"Data": r} for r in records]
                )
            except Exception:  # the server died mid-call: nothing acknowledged
                return
            assert answer["FailedPutCount"] == 0
            with lock:
                acknowledged.extend(records)
            n += 1

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(acknowledged) >= 12_000, 60, "load acknowledged")
    wait_objects(s3, "landing", 1, timeout=30)  # some delivered and checkpointed before the kill
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()

    server = durable_server(data_dir).start()
    try:
        s3 = client_for(server.endpoint, "s3")
        server.advance(900)

        def delivered() -> set[bytes]:
            lines = b"".join(body for _, body in objects(s3, "landing")).splitlines(keepends=True)
            return set(lines)

        wait_for(lambda: set(acknowledged) <= delivered(), 60, "every acknowledged record delivered")
    finally:
        server.stop()
