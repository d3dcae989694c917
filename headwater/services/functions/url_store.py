"""Function URL configurations as stored: one per function and one per alias in the metadata
store (``functions.urls``, by the function's key or ``<key>:<alias>``), each holding its URL id (32 lower-case letters and digits,
as AWS's). The id -> key index is resident (one entry per URL, like the function records), so the
HTTP listener finds a URL by its Host in one lookup."""

from __future__ import annotations

import json
import string
from dataclasses import asdict, dataclass, field
from typing import Any

from headwater.engine.api import MetaStore
from headwater.services.functions.record import function_arn

URLS = "functions.urls"
ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True, slots=True)
class UrlConfig:
    url_id: str
    account: str
    region: str
    name: str
    auth_type: str
    created: str
    modified: str
    invoke_mode: str = "BUFFERED"
    cors: dict[str, Any] = field(default_factory=dict)
    qualifier: str | None = None  # the alias the URL invokes, None for the unqualified function

    @property
    def function_key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    @property
    def key(self) -> str:
        return self.function_key if self.qualifier is None else f"{self.function_key}:{self.qualifier}"

    @property
    def function_arn(self) -> str:
        arn = function_arn(self.account, self.region, self.name)
        return arn if self.qualifier is None else f"{arn}:{self.qualifier}"

    @property
    def url(self) -> str:
        return f"https://{self.url_id}.lambda-url.{self.region}.on.aws/"

    def answer(self, *, modified: bool = True) -> dict[str, Any]:
        result: dict[str, Any] = {
            "FunctionUrl": self.url,
            "FunctionArn": self.function_arn,
            "AuthType": self.auth_type,
            "CreationTime": self.created,
            "InvokeMode": self.invoke_mode,
        }
        if modified:
            result["LastModifiedTime"] = self.modified
        if self.cors:
            result["Cors"] = dict(self.cors)
        return result


class UrlStore:
    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta
        self.by_id: dict[str, str] = {}  # url id -> function key

    def load(self) -> None:
        self.by_id = {json.loads(raw)["url_id"]: key for key, raw in self.meta.scan(URLS)}

    def clear(self) -> None:
        self.by_id.clear()

    def get(self, key: str) -> UrlConfig | None:
        raw = self.meta.get(URLS, key)
        return None if raw is None else UrlConfig(**json.loads(raw))

    def by_url(self, url_id: str) -> UrlConfig | None:
        key = self.by_id.get(url_id)
        return None if key is None else self.get(key)

    async def put(self, config: UrlConfig) -> None:
        self.by_id[config.url_id] = config.key
        await self.meta.put(URLS, config.key, json.dumps(asdict(config)).encode())

    def of(self, function_key: str) -> list[UrlConfig]:
        """The function's URL configurations: its own first, then its aliases' by name."""
        found = [self.get(key) for key in self.by_id.values() if key.split(":")[0] == function_key]
        return sorted(
            (c for c in found if c is not None), key=lambda c: (c.qualifier is not None, c.qualifier or "")
        )

    async def drop_function(self, function_key: str) -> None:
        for config in self.of(function_key):
            await self.delete(config.key)

    async def delete(self, key: str) -> None:
        config = self.get(key)
        if config is not None:
            self.by_id.pop(config.url_id, None)
            await self.meta.delete(URLS, key)
