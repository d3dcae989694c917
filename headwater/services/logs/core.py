"""The logs core: the groups and streams of every account and region, and where their events live.

Definitions are kept in memory (they are few) and written to the metadata store before an
operation answers; events live only in the engine's log, one partition per stream, so memory does
not grow with what is stored. At start the definitions are read back, a partition that no stream
names (a crash between creating it and recording its stream) is dropped and a stream whose
partition is missing gets a new empty one. Retention runs in `retention.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from headwater.config import Config
from headwater.engine.api import Log, MetaStore
from headwater.runtime.clock import SystemClock
from headwater.services.logs import errors
from headwater.services.logs.records import (
    GROUPS,
    PARTITION_PREFIX,
    STREAMS,
    Group,
    Stream,
    decode_group,
    decode_stream,
    encode,
    group_key,
)


class LogsCore:
    def __init__(self, config: Config, log: Log, meta: MetaStore, clock: SystemClock) -> None:
        self.config = config
        self.log = log
        self.meta = meta
        self.clock = clock
        self.groups: dict[str, Group] = {}
        self.streams: dict[str, dict[str, Stream]] = {}  # group key -> stream name -> stream

    # -- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        self.groups = {key: decode_group(raw) for key, raw in self.meta.scan(GROUPS)}
        self.streams = {key: {} for key in self.groups}
        for _, raw in self.meta.scan(STREAMS):
            stream = decode_stream(raw)
            if stream.group_key in self.streams:
                self.streams[stream.group_key][stream.name] = stream
        named = {s.partition for streams in self.streams.values() for s in streams.values()}
        existing = {p for p in self.log.partitions() if p.startswith(PARTITION_PREFIX)}
        for orphan in existing - named:
            await self.log.drop_partition(orphan)
        for missing in named - existing:
            await self.log.create_partition(missing)

    async def close(self) -> None:
        pass

    async def reset(self) -> None:
        self.groups.clear()  # the engine's reset emptied the store and the log
        self.streams.clear()

    # -- lookups ------------------------------------------------------------------------------------

    def group(self, account: str, region: str, name: str) -> Group:
        found = self.groups.get(group_key(account, region, name))
        if found is None:
            raise errors.group_not_found()
        return found

    def group_by_identifier(self, account: str, region: str, params: dict[str, object]) -> Group:
        """The group a request names by `logGroupName` or `logGroupIdentifier` (a name or an ARN)."""
        name, ident = params.get("logGroupName"), params.get("logGroupIdentifier")
        if name is not None and ident is not None:
            raise errors.invalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
        if ident is not None:
            name = str(ident)
            if name.startswith("arn:"):
                parts = name.split(":", 6)
                if len(parts) < 7 or not parts[5] == "log-group":
                    raise errors.invalid("Invalid log group ARN")
                account, region, name = parts[4], parts[3], parts[6].removesuffix(":*")
        if name is None:
            raise errors.invalid("Either logGroupName or logGroupIdentifier must be specified.")
        return self.group(account, region, str(name))

    def stream(self, group: Group, name: str) -> Stream:
        found = self.streams[group.key].get(name)
        if found is None:
            raise errors.stream_not_found()
        return found

    def groups_of(self, account: str, region: str) -> Iterator[Group]:
        prefix = f"{account}\0{region}\0"
        return (group for key, group in sorted(self.groups.items()) if key.startswith(prefix))

    # -- changes ------------------------------------------------------------------------------------

    async def create_group(self, group: Group) -> None:
        if group.key in self.groups:
            raise errors.group_exists()
        self.groups[group.key] = group
        self.streams[group.key] = {}
        await self.meta.put(GROUPS, group.key, encode(group))

    async def save_group(self, group: Group) -> None:
        await self.meta.put(GROUPS, group.key, encode(group))

    async def delete_group(self, group: Group) -> None:
        streams = self.streams.pop(group.key, {})
        del self.groups[group.key]
        for stream in streams.values():
            await self.meta.delete(STREAMS, stream.key)
            await self.log.drop_partition(stream.partition)
        await self.meta.delete(GROUPS, group.key)

    async def create_stream(self, group: Group, name: str) -> Stream:
        if name in self.streams[group.key]:
            raise errors.stream_exists()
        stream = Stream(group.key, name, f"{PARTITION_PREFIX}{uuid.uuid4().hex}", self.clock.now_ms())
        self.streams[group.key][name] = stream
        await self.log.create_partition(stream.partition)
        await self.meta.put(STREAMS, stream.key, encode(stream))
        return stream

    async def save_stream(self, stream: Stream) -> None:
        await self.meta.put(STREAMS, stream.key, encode(stream))

    async def delete_stream(self, group: Group, stream: Stream) -> None:
        del self.streams[group.key][stream.name]
        await self.meta.delete(STREAMS, stream.key)
        await self.log.drop_partition(stream.partition)

    async def ensure(self, account: str, region: str, group_name: str, stream_name: str) -> Stream:
        """The stream, made (with its group) when absent: the `LogSink` port's writers expect that."""
        key = group_key(account, region, group_name)
        group = self.groups.get(key)
        if group is None:
            group = Group(account, region, group_name, self.clock.now_ms())
            await self.create_group(group)
        stream = self.streams[key].get(stream_name)
        return stream if stream is not None else await self.create_stream(group, stream_name)
