"""Layer versions as stored, and how a worker gets their content.

A layer version is JSON under ``functions.layers`` by ``account/region/name:number``; the highest
number a layer ever had is under ``functions.layer_names`` (numbers are never reused, even after
the versions are deleted). The zip itself is stored as function packages are (`packages.py`: a
blob of the functions' own owner, found by its SHA-256), shared with any function or layer of the
same content and deleted when nothing names it (a function keeps using a layer version that was
deleted, as on AWS, because its record names the content).
"""

from __future__ import annotations

import json
import stat
import zipfile
from dataclasses import asdict, dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from headwater.engine.api import MetaStore

NAMESPACE = "functions.layers"
NUMBERS = "functions.layer_names"


def layer_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:layer:{name}"


@dataclass(frozen=True, slots=True)
class LayerVersion:
    account: str
    region: str
    name: str
    version: int
    created: str
    code_sha256: str
    code_key: str
    code_size: int
    description: str = ""
    runtimes: list[str] = field(default_factory=list)
    architectures: list[str] = field(default_factory=list)
    license: str | None = None

    @property
    def layer_key(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"

    @property
    def key(self) -> str:
        return f"{self.layer_key}:{self.version}"

    @property
    def arn(self) -> str:
        return layer_arn(self.account, self.region, self.name)

    @property
    def version_arn(self) -> str:
        return f"{self.arn}:{self.version}"

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LayerVersion:
        return cls(**json.loads(data))

    def item(self) -> dict[str, Any]:
        """A LayerVersionsListItem."""
        item: dict[str, Any] = {
            "LayerVersionArn": self.version_arn,
            "Version": self.version,
            "Description": self.description,
            "CreatedDate": self.created,
        }
        if self.runtimes:
            item["CompatibleRuntimes"] = list(self.runtimes)
        if self.architectures:
            item["CompatibleArchitectures"] = list(self.architectures)
        if self.license is not None:
            item["LicenseInfo"] = self.license
        return item

    def shape(self, location: str) -> dict[str, Any]:
        """GetLayerVersion's and PublishLayerVersion's answer."""
        content = {"Location": location, "CodeSha256": self.code_sha256, "CodeSize": self.code_size}
        return {"Content": content, "LayerArn": self.arn, **self.item()}


class Layers:
    """Every layer version, by ``account/region/name:number``."""

    def __init__(self, meta: MetaStore) -> None:
        self.meta = meta
        self.records: dict[str, LayerVersion] = {}
        self.numbers: dict[str, int] = {}

    def load(self) -> None:
        self.records = {key: LayerVersion.from_bytes(value) for key, value in self.meta.scan(NAMESPACE)}
        self.numbers = {key: int(value) for key, value in self.meta.scan(NUMBERS)}

    def get(self, layer_key: str, version: int) -> LayerVersion | None:
        return self.records.get(f"{layer_key}:{version}")

    def of(self, layer_key: str) -> list[LayerVersion]:
        """A layer's versions, newest first (as ListLayerVersions lists them)."""
        found = [layer for layer in self.records.values() if layer.layer_key == layer_key]
        return sorted(found, key=lambda layer: -layer.version)

    def in_region(self, account: str, region: str) -> list[LayerVersion]:
        prefix = f"{account}/{region}/"
        return [layer for key, layer in self.records.items() if key.startswith(prefix)]

    def uses(self, code_key: str) -> bool:
        return any(layer.code_key == code_key for layer in self.records.values())

    async def next_number(self, layer_key: str) -> int:
        number = self.numbers.get(layer_key, 0) + 1
        self.numbers[layer_key] = number
        await self.meta.put(NUMBERS, layer_key, str(number).encode())
        return number

    async def put(self, layer: LayerVersion) -> None:
        self.records[layer.key] = layer
        await self.meta.put(NAMESPACE, layer.key, layer.to_bytes())

    async def delete(self, layer: LayerVersion) -> None:
        self.records.pop(layer.key, None)
        await self.meta.delete(NAMESPACE, layer.key)


def extract(package: bytes, opt: Path) -> None:
    """Unzips a layer into a worker's `opt` (AWS's /opt), over what earlier layers put there,
    keeping executable bits; entries that would escape `opt` are skipped."""
    opt.mkdir(parents=True, exist_ok=True)
    base = opt.resolve()
    with zipfile.ZipFile(BytesIO(package)) as archive:
        for info in archive.infolist():
            target = (opt / info.filename).resolve()
            if not target.is_relative_to(base):
                continue
            archive.extract(info, opt)
            if (info.external_attr >> 16) & 0o111 and not info.is_dir():
                target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
