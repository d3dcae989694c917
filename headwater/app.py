"""The composition root: engine -> services (from the registry) -> listeners, on one event loop.

Start order: the engine, then every service in registry order, then the listeners. Stop order: the
services close their long-lived work first (subscriptions end, so connections drain promptly), then
the listeners stop, then the engine closes. A reset closes the services (reverse order), empties the
engine, resets them in order and applies the seed files again. `--init` seed files are applied
between the services and the listeners, init scripts run once the listeners answer, before the
banner (`seeding/`).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any

from headwater import __version__, health
from headwater.config import Config
from headwater.engine.api import DataDirInUse
from headwater.engine.factory import open_engine
from headwater.listeners.base import Listener, ListenerError
from headwater.listeners.http.admin import Admin, ShadowHistory
from headwater.listeners.http.principals import Principals
from headwater.listeners.http.server import HttpListener, gateway_for
from headwater.listeners.mqtt import codec
from headwater.listeners.mqtt.listener import MqttListener
from headwater.listeners.mqtt.parts import Parts
from headwater.listeners.runtime_api import RuntimeApiListener
from headwater.runtime.clock import SystemClock, TestClock
from headwater.runtime.heap import freeze_startup_heap
from headwater.runtime.metrics import Metrics
from headwater.seeding import SeedError, Seeding
from headwater.services.base import Host, Ports
from headwater.services.ports import (
    DeviceTrust,
    EdgeStatus,
    FunctionUrls,
    Identities,
    IotDataPlane,
    IotExplain,
    IotRulesDebugger,
    MqttBroker,
    Runtimes,
    ShadowStore,
)
from headwater.services.registry import build_services

log = logging.getLogger("headwater")


class Headwater:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.clock: SystemClock = TestClock() if config.test_mode else SystemClock()
        self.metrics = Metrics()
        self.engine = open_engine(config.durability, config.data_dir)
        host = Host(config, self.engine, self.clock, self.metrics, Ports())
        self.services = build_services(host)
        # the listeners learn who signed a request from the keys STS issued, then the configuration
        principals = Principals(config, host.ports.find(Identities))
        runtimes = host.ports.find(Runtimes)
        trust = host.ports.find(DeviceTrust)
        self.edge = host.ports.find(EdgeStatus)  # edge mode's bridge (`--edge`)
        admin = Admin(
            self,
            packages=runtimes.package if runtimes is not None else None,
            root_ca=trust.root_ca_pem if trust is not None else None,
            ca_chain=trust.ca_chain_pem if trust is not None else None,
            explain=explainer.explain if (explainer := host.ports.find(IotExplain)) is not None else None,
            scope=(config.account_id, config.region),
            rules=host.ports.find(IotRulesDebugger),
            edge=self.edge.status if self.edge is not None else None,
            shadow_history=self._shadow_history(host.ports.find(ShadowStore)),
        )
        urls = host.ports.find(FunctionUrls)
        gateway = gateway_for(config, self.services, admin, self.clock, principals, urls)
        self.http = HttpListener(config, gateway)
        self.seeding = Seeding(config, self.services, self.engine.meta)
        self.listeners: list[Listener] = [self.http]
        if runtimes is not None:  # function workers' runtime clients call it on loopback ports
            runtime_api = RuntimeApiListener()
            runtimes.attach(runtime_api)
            self.listeners.append(runtime_api)
        broker = host.ports.find(MqttBroker)
        if broker is not None:  # the device gateway: MQTT and HTTPS ports for the iot service's broker
            parts = Parts(
                config,
                broker,
                host.ports.find(IotDataPlane),
                principals,
                self.clock,
                codec.server_codec,
                shadows=host.ports.find(ShadowStore),
            )
            self.listeners.append(MqttListener(parts, host.ports.find(DeviceTrust)))
        self.started = 0.0
        self._stop = asyncio.Event()
        memory = config.durability == "memory"
        self._usage = None if memory else health.DiskUsage(config.data_dir)

    def _shadow_history(self, shadows: ShadowStore | None) -> ShadowHistory | None:
        if shadows is None:
            return None
        account, region = self.config.account_id, self.config.region

        def history(
            asked_account: str | None, asked_region: str | None, thing: str, name: str | None
        ) -> list[dict[str, Any]]:
            return shadows.history(asked_account or account, asked_region or region, thing, name)

        return history

    def health(self) -> dict[str, Any]:
        config = self.config
        certificate = self.http.certificate
        described = {
            "status": "running",
            "version": __version__,
            "durability": config.durability,
            "limits": "on" if config.limits else "off",
            "uptime_s": round(time.monotonic() - self.started, 3),
            "services": {service.name: service.health() for service in self.services},
            "storage": health.storage(config, self._usage),
            "auth": config.auth,
            "tls": {
                "enabled": config.tls,
                "certificate": str(certificate.resolve()) if certificate else None,
            },
            "resources": health.counts(self.resources()),
        }
        if self.edge is not None:
            described["edge"] = self.edge.status()
        return described

    def resources(self) -> dict[str, dict[str, list[str]]]:
        """Resource names by service and kind (services that hold none are left out)."""
        return {service.name: kinds for service in self.services if (kinds := service.resources())}

    async def reset(self) -> None:
        await self.services.close()
        await self.engine.reset()
        self.metrics.reset()
        if isinstance(self.clock, TestClock):
            self.clock.offset = 0.0
        await self.services.reset()
        await self.seeding.after_reset()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        self.started = time.monotonic()
        try:
            self.seeding.load()  # a bad seed file, like a busy port, stops the start early
            for listener in self.listeners:
                listener.preflight()  # a busy port is refused before any storage is touched
        except (ListenerError, SeedError) as exc:
            raise SystemExit(f"headwater: {exc}") from None
        try:
            await self.engine.start()
        except DataDirInUse as exc:
            raise SystemExit(f"headwater: {exc}") from None
        await self.services.start()
        try:
            await self.seeding.declare()
        except SeedError as exc:
            await self._shutdown([])
            raise SystemExit(f"headwater: {exc}") from None
        started: list[Listener] = []
        try:
            for listener in self.listeners:
                await listener.start()
                started.append(listener)
        except ListenerError as exc:
            await self._shutdown(started)
            raise SystemExit(f"headwater: {exc}") from None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        await self.seeding.run_scripts(self.http.endpoints()[0], until=self._stop)
        if not self._stop.is_set():  # not ready if it was stopped while its scripts ran
            freeze_startup_heap()  # full collections then skip the models and modules loaded
            self._announce()
        stopping = asyncio.ensure_future(self._stop.wait())
        waits: set[asyncio.Future[Any]] = {stopping}
        if self.http.serving is not None:
            waits.add(self.http.serving)
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        await self._shutdown(started)
        log.info("Headwater stopped")

    async def _shutdown(self, listeners: list[Listener]) -> None:
        await self.services.close()
        for listener in reversed(listeners):
            await listener.stop()
        await self.engine.close()

    def _announce(self) -> None:
        endpoints = [endpoint for listener in self.listeners for endpoint in listener.endpoints()]
        described = self.health()
        if self.config.log_format == "json":  # one JSON line, like every other line then
            log.info(
                "Headwater %s ready", __version__, extra={"fields": {"endpoints": endpoints, **described}}
            )
            return
        print("\n".join(health.banner(described, endpoints, self.config)), flush=True)
