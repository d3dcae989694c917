"""`--init`: seed files applied before the server announces itself, scripts run once it answers.

The composition root drives three steps:

1. `Seeding.load()` before any storage is opened: every path exists, every seed file parses and
   has a known structure (a bad file stops the start with one `file:line: ...` line).
2. `declare()` once the services started, before the listeners: each file's entries in service
   order (keys, streams, queues, buckets), then in file order, through the services' own
   operations; then it waits for the streams it named to be ACTIVE. Any failure is a SeedError
   naming the file, line and entry. The composition root runs it again after a reset.
3. `run_scripts(endpoint)` once the listener answers: the script folders' programs
   (`scripts.py`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from headwater.config import Config
from headwater.engine.api import MetaStore
from headwater.seeding.calls import Caller, SeedCallError, ServiceLookup
from headwater.seeding.document import SUFFIXES, Entry, SeedError, SeedFile, load
from headwater.seeding.resources import KINDS, NAMES, EntryError
from headwater.seeding.scripts import environment, run_scripts, scripts_in

log = logging.getLogger("headwater.seed")

ACTIVE_WITHIN_S = 60.0
_ORDER = {service: rank for rank, service in enumerate(KINDS)}


@dataclass(slots=True)
class Seeding:
    config: Config
    services: ServiceLookup
    meta: MetaStore
    files: list[SeedFile] = field(default_factory=list)
    scripts: list[Path] = field(default_factory=list)

    def load(self) -> None:
        """Reads every `--init` path (raises SeedError)."""
        kinds = {service: tuple(lists) for service, lists in KINDS.items()}
        seeds: list[Path] = []
        for path in self.config.init:
            if path.is_dir():
                found = sorted((p for p in path.iterdir() if p.suffix in SUFFIXES), key=lambda p: p.name)
                seeds.extend(p for p in found if p.is_file())
                self.scripts.extend(p for p in scripts_in(path) if p.suffix not in SUFFIXES)
            elif path.is_file():
                if path.suffix not in SUFFIXES:
                    raise SeedError(f"{path}: a seed file is .toml or .json (scripts go in a folder)")
                seeds.append(path)
            else:
                raise SeedError(f"{path}: no such seed file or script folder (--init)")
        self.files = [load(path, kinds, self.config.account_id, self.config.region) for path in seeds]

    async def declare(self) -> None:
        """Applies every seed file (raises SeedError)."""
        for seed in self.files:
            streams: list[tuple[Entry, Caller]] = []
            for entry in sorted(seed.entries, key=lambda e: _ORDER[e.service]):
                call = Caller(self.services, entry.account, entry.region)
                outcome = await self._apply(seed, entry, call)
                name = entry.params.get(NAMES[entry.kind])
                log.info("seed %s: %s %s: %s", seed.path, entry.where, name, outcome)
                if entry.kind == "streams":
                    streams.append((entry, call))
            for entry, call in streams:
                await self._until_active(seed, entry, call)

    async def after_reset(self) -> None:
        """A reset returns to the state the server started in: empty, plus the seed files."""
        try:
            await self.declare()
        except SeedError as error:  # the reset itself succeeded; the seed no longer applies
            log.error("seed after reset: %s", error)

    async def run_scripts(self, endpoint: str, until: asyncio.Event) -> None:
        """Runs the scripts, or stops the one running when `until` is set (the server stops)."""
        if not self.scripts:
            return
        for wildcard in ("0.0.0.0", "[::]"):  # a server on every address is reached on loopback
            endpoint = endpoint.replace(f"//{wildcard}:", "//127.0.0.1:")
        env = environment(endpoint, self.config.region)
        running = asyncio.ensure_future(run_scripts(self.scripts, env, self.meta))
        stopping = asyncio.ensure_future(until.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (running, stopping):
            task.cancel()
        await asyncio.gather(running, stopping, return_exceptions=True)

    async def _apply(self, seed: SeedFile, entry: Entry, call: Caller) -> str:
        try:
            return await KINDS[entry.service][entry.kind](call, dict(entry.params))
        except SeedCallError as error:
            raise seed.error(entry, f"{error.code}: {error.message}") from None
        except EntryError as error:
            raise seed.error(entry, str(error)) from None
        except Exception as error:  # a service fault: still one clear line, the trace in the log
            log.exception("seed %s: %s failed", seed.path, entry.where)
            raise seed.error(entry, f"InternalFailure: {error!r}") from None

    async def _until_active(self, seed: SeedFile, entry: Entry, call: Caller) -> None:
        """Streams are CREATING for a moment; clients of a seeded server expect them ACTIVE."""
        deadline = time.monotonic() + ACTIVE_WITHIN_S + self.config.transition_delay
        request = {"StreamName": entry.params.get("StreamName")}
        while True:
            try:
                summary = await call("kinesis", "DescribeStreamSummary", request)
            except SeedCallError as error:
                raise seed.error(entry, f"{error.code}: {error.message}") from None
            status = summary["StreamDescriptionSummary"]["StreamStatus"]
            if status == "ACTIVE":
                return
            if time.monotonic() > deadline:
                raise seed.error(entry, f"the stream is still {status} after {ACTIVE_WITHIN_S:.0f} s")
            await asyncio.sleep(0.05)
