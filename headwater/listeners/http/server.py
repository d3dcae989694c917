"""The HTTP listener: granian embedded in our event loop, serving the gateway (ASGI).

HTTP/1.1 and cleartext HTTP/2 with prior knowledge share the port (the Java SDK v2 and the KCL send
every Kinesis call over h2c); with TLS, ALPN offers h2 and http/1.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from botocore.model import ServiceModel

from headwater.config import Config
from headwater.listeners.base import ListenerError
from headwater.listeners.http.access import RequestLog
from headwater.listeners.http.admin import Admin
from headwater.listeners.http.function_urls import FunctionUrlFront
from headwater.listeners.http.gateway import Gateway
from headwater.listeners.http.modeled import ModeledServices, Wire
from headwater.listeners.http.principals import Principals
from headwater.listeners.http.rest_json import RestJsonWire
from headwater.listeners.http.rpcv2 import RpcV2Wire
from headwater.listeners.http.s3 import S3Frontend
from headwater.protocol.classify import Classifier, protocols_of
from headwater.protocol.models import service_model
from headwater.runtime.clock import SystemClock
from headwater.services.base import Service
from headwater.services.ports import FunctionUrls
from headwater.services.s3.api import S3Api

# hyper's per-connection read buffer, which request bodies pass through: at 64 MiB, eight concurrent
# 16 MiB multipart uploads grew RSS by ~130 MB (the server read whole parts ahead of the service);
# at ~400 KiB by ~15-50 MB, at the same throughput
HTTP_READ_BUFFER = 512 * 1024
STOP_TIMEOUT_S = 10.0
# with --log-level debug granian's own lines go through our handler (and format) instead of its own
GRANIAN_LOGGING: dict[str, Any] = {
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": True},
    }
}


def gateway_for(
    config: Config,
    services: Iterable[Service],
    admin: Admin,
    clock: SystemClock,
    principals: Principals | None = None,
    function_urls: FunctionUrls | None = None,
) -> Gateway:
    """The gateway over the registered services: S3 through its streaming front end, REST-JSON and
    RPC v2 CBOR ones through `ModeledServices`, every other one by its botocore model's protocols
    (a service whose model also lists ``json``, Snowball, answers X-Amz-Target requests too).
    `principals` says who signed a request (every front end); `function_urls` serves function URLs."""
    principals = principals or Principals(config)
    rpc: dict[str, Service] = {}
    fast: dict[tuple[str, str], Any] = {}
    wires: dict[str, Wire] = {}
    rest_fast: dict[tuple[str, str], Any] = {}
    models: dict[str, ServiceModel] = {}
    streaming = None
    running: list[str] = []
    for service in services:
        running.append(service.model)
        if isinstance(service.api, S3Api):  # its model loads on its first request
            streaming = S3Frontend(config, service.api, clock, principals)
            continue
        models[service.model] = model = service_model(service.model)
        rpc[service.model] = service
        fast.update(((service.model, name), path) for name, path in service.fast_paths.items())
        rest_fast.update(((service.model, name), path) for name, path in service.rest_fast_paths.items())
        protocol = protocols_of(model)[0]
        if protocol == "rest-json":
            wires[service.model] = RestJsonWire(model)
        elif protocol == "smithy-rpc-v2-cbor":
            wires[service.model] = RpcV2Wire(model)
    modeled = ModeledServices(rpc, wires, rest_fast) if wires else None
    return Gateway(
        config,
        rpc,
        admin,
        clock,
        fast_paths=fast,
        streaming=streaming,
        principals=principals,
        modeled=modeled,
        classifier=Classifier(models, s3=streaming is not None),
        running=tuple(running),
        function_urls=FunctionUrlFront(config, function_urls, principals, clock) if function_urls else None,
    )


def check_port_free(host: str, port: int) -> None:
    """granian binds with SO_REUSEPORT, so a second server on a busy port would silently share it
    (requests split between two processes). A plain bind fails if anyone listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are fine
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ListenerError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


class HttpListener:
    name = "http"

    def __init__(self, config: Config, app: Any) -> None:
        self.config = config
        self.app = app
        self._server: Any = None
        self._serving: asyncio.Future[Any] | None = None
        self.certificate: Path | None = None  # the TLS certificate served, once started
        self._key: Path | None = None

    def tls(self) -> str:
        """For the banner and health: "off", or "on" with the certificate once known."""
        if not self.config.tls:
            return "off"
        return f"on ({self.certificate})" if self.certificate else "on"

    def endpoints(self) -> list[str]:
        scheme = "https" if self.config.tls else "http"
        return [f"{scheme}://{self.config.host}:{self.config.port}"]

    def preflight(self) -> None:
        check_port_free(self.config.host, self.config.port)

    async def start(self) -> None:
        self.preflight()
        config = self.config
        if config.tls and config.tls_cert is None:
            from headwater.runtime.tls import self_signed

            # after the engine locked the data dir: a second server cannot rewrite it
            self.certificate, self._key = self_signed(config.data_dir, config.host, config.tls_names)
        elif config.tls:
            self.certificate, self._key = config.tls_cert, config.tls_key
        self._server = self._build()
        self._serving = asyncio.ensure_future(self._server.serve())
        await asyncio.sleep(0)

    @property
    def serving(self) -> asyncio.Future[Any] | None:
        """Done when the server stopped on its own (the app stops then too)."""
        return self._serving

    async def stop(self) -> None:
        if self._server is None or self._serving is None:
            return
        self._server.stop()
        try:
            await asyncio.wait_for(asyncio.shield(self._serving), STOP_TIMEOUT_S)
        except TimeoutError:
            self._serving.cancel()
            with contextlib.suppress(BaseException):
                await self._serving

    def _build(self) -> Any:
        from granian.constants import HTTPModes, Interfaces, SSLProtocols
        from granian.http import HTTP1Settings, HTTP2Settings
        from granian.log import LogLevels
        from granian.server.embed import Server

        config = self.config
        tls: dict[str, Any] = {}
        if config.tls:
            tls = {"ssl_cert": self.certificate, "ssl_key": self._key, "ssl_protocol_min": SSLProtocols.tls12}
        debug = config.log_level == "debug"
        return Server(
            RequestLog(self.app),
            address=config.host,
            port=config.port,
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
            log_enabled=debug,
            log_level=LogLevels.debug if debug else LogLevels.info,
            log_dictconfig=GRANIAN_LOGGING,
            **tls,
        )
