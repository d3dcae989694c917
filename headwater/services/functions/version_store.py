"""Where published versions live: JSON under ``functions.versions`` by ``account/region/name:number``
(a version's `pool_key`), loaded at start beside the functions themselves."""

from __future__ import annotations

from headwater.engine.api import MetaStore
from headwater.services.functions.record import FunctionRecord

NAMESPACE = "functions.versions"


class Versions:
    """Every published version, by ``account/region/name:number``."""

    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta
        self.records: dict[str, FunctionRecord] = {}

    def load(self) -> None:
        self.records = {key: FunctionRecord.from_bytes(value) for key, value in self.meta.scan(NAMESPACE)}

    def get(self, function_key: str, version: str) -> FunctionRecord | None:
        return self.records.get(f"{function_key}:{version}")

    def of(self, function_key: str) -> list[FunctionRecord]:
        prefix = f"{function_key}:"
        found = [record for key, record in self.records.items() if key.startswith(prefix)]
        return sorted(found, key=lambda record: int(record.version))

    def uses(self, code_key: str) -> bool:
        return any(code_key == r.code_key or code_key in r.layer_keys for r in self.records.values())

    async def put(self, record: FunctionRecord) -> None:
        self.records[record.pool_key] = record
        await self.meta.put(NAMESPACE, record.pool_key, record.to_bytes())

    async def delete(self, record: FunctionRecord) -> None:
        self.records.pop(record.pool_key, None)
        await self.meta.delete(NAMESPACE, record.pool_key)

    async def drop_function(self, function_key: str) -> None:
        for record in self.of(function_key):
            await self.delete(record)
