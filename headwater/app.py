"""The composition root: engine -> services -> gateway -> HTTP server, on one event loop."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import time
from typing import Any

from headwater import __version__
from headwater.config import Config
from headwater.engine.factory import open_engine
from headwater.listeners.http.admin import Admin
from headwater.listeners.http.gateway import Gateway
from headwater.listeners.http.s3 import S3Frontend
from headwater.runtime.clock import SystemClock, TestClock
from headwater.runtime.metrics import Metrics
from headwater.services.kinesis.api import KinesisApi
from headwater.services.kinesis.fast import kinesis_fast_paths
from headwater.services.kinesis.service import KinesisCore
from headwater.services.s3.api import S3Api
from headwater.services.s3.service import S3Core
from headwater.services.sqs.api import SqsApi
from headwater.services.sqs.fast import sqs_fast_paths
from headwater.services.sqs.service import SqsCore

log = logging.getLogger("headwater")

# hyper's per-connection read buffer, which request bodies pass through: at 64 MiB, eight concurrent
# 16 MiB multipart uploads grew RSS by ~130 MB (the server read whole parts ahead of the service);
# at ~400 KiB by ~15-50 MB, at the same throughput
HTTP_READ_BUFFER = 512 * 1024


def _check_port_free(host: str, port: int) -> None:
    """granian binds with SO_REUSEPORT, so a second server on a busy port would silently share it
    (requests split between two processes). A plain bind fails if anyone listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are fine
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SystemExit(f"headwater: cannot listen on {host}:{port}: {exc.strerror}") from None


class Headwater:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.clock: SystemClock = TestClock() if config.test_mode else SystemClock()
        self.metrics = Metrics()
        self.engine = open_engine(config.durability, config.data_dir)
        self.kinesis = KinesisCore(config, self.engine, self.clock, self.metrics)
        # one local key store for every service (Kinesis created it first)
        self.sqs = SqsCore(config, self.engine, self.clock, self.metrics, self.kinesis.keystore)
        self.s3 = S3Core(config, self.engine, self.clock, self.metrics, self.kinesis.keystore, self.sqs)
        self.gateway = Gateway(
            config,
            {"kinesis": KinesisApi(self.kinesis), "sqs": SqsApi(self.sqs)},
            Admin(self),
            self.clock,
            fast_paths={**kinesis_fast_paths(self.kinesis), **sqs_fast_paths(self.sqs)},
            streaming=S3Frontend(config, S3Api(self.s3), self.clock),
        )
        self.started = 0.0
        self._stop = asyncio.Event()

    def health(self) -> dict[str, Any]:
        return {
            "status": "running",
            "version": __version__,
            "durability": self.config.durability,
            "limits": "on" if self.config.limits else "off",
            "uptime_s": round(time.monotonic() - self.started, 3),
            "services": {"kinesis": "running", "sqs": "running", "s3": "running"},
        }

    async def reset(self) -> None:
        await self.s3.close()
        await self.kinesis.close()
        await self.sqs.close()
        await self.engine.reset()
        self.metrics.reset()
        if isinstance(self.clock, TestClock):
            self.clock.offset = 0.0
        await self.kinesis.reset()
        self.sqs.keys = self.kinesis.keystore  # the Kinesis reset built a fresh one
        self.s3.keys = self.kinesis.keystore
        await self.sqs.reset()
        await self.s3.reset()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        from granian.constants import HTTPModes, Interfaces
        from granian.http import HTTP1Settings, HTTP2Settings
        from granian.server.common import SSLProtocols
        from granian.server.embed import Server

        self.started = time.monotonic()
        _check_port_free(self.config.host, self.config.port)
        await self.engine.start()
        await self.kinesis.start()
        await self.sqs.start()
        await self.s3.start()
        tls: dict[str, Any] = {}
        if self.config.tls:
            cert, key = self.config.tls_cert, self.config.tls_key
            if cert is None or key is None:
                from headwater.runtime.tls import self_signed

                cert, key = self_signed(self.config.data_dir, self.config.host)
            tls = {"ssl_cert": cert, "ssl_key": key, "ssl_protocol_min": SSLProtocols.tls12}
        server = Server(
            self.gateway,
            address=self.config.host,
            port=self.config.port,
            interface=Interfaces.ASGINL,
            http=HTTPModes.auto,
            websockets=False,
            backlog=1024,
            http1_settings=HTTP1Settings(keep_alive=True, max_buffer_size=HTTP_READ_BUFFER),
            http2_settings=HTTP2Settings(
                initial_connection_window_size=16 * 1024 * 1024,
                initial_stream_window_size=8 * 1024 * 1024,
                max_frame_size=1024 * 1024,
            ),
            log_enabled=self.config.log_level == "debug",
            **tls,
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        serving = asyncio.ensure_future(server.serve())
        await asyncio.sleep(0)
        self._announce()
        stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        # End live subscriptions first so the HTTP server can drain its connections promptly.
        await self.s3.close()
        await self.kinesis.close()
        await self.sqs.close()
        server.stop()
        try:
            await asyncio.wait_for(serving, 10)
        except TimeoutError:
            serving.cancel()
        stopping.cancel()
        await self.engine.close()
        log.info("Headwater stopped")

    def _announce(self) -> None:
        scheme = "https" if self.config.tls else "http"
        lines = [
            f"Headwater {__version__} ready",
            f"  endpoint    {scheme}://{self.config.host}:{self.config.port}",
            "  services    kinesis, sqs, s3",
            f"  storage     {self.config.durability} ({self.config.data_dir})",
            f"  limits      {'on' if self.config.limits else 'off'}    auth {self.config.auth}",
            f"  account     {self.config.account_id}    region {self.config.region}",
        ]
        print("\n".join(lines), flush=True)
