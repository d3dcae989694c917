"""A declarative seed file: what it asks for, entry by entry, each with the line it starts on.

The file is TOML or JSON (by its suffix) of the same shape: optional top-level `account` and
`region`, then one table per service holding lists of entries whose members are the AWS API's own
parameters (so they can be copied from the AWS documentation or a boto3 call):

    account = "000000000000"          # defaults: the server's --account-id and --region
    [[sqs.queues]]
    QueueName = "jobs"
    region = "eu-west-1"              # an entry may name its own account and region

Only the file's structure is checked here (sections, kinds, lists of tables, account and region);
the parameters are checked when the entry is applied, as an API call would check them.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwater.seeding.locate import JsonLocator, Locator, TomlLocator
from headwater.seeding.locate import Path as Where

SUFFIXES = (".toml", ".json")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_SCOPE = ("account", "region")


class SeedError(Exception):
    """An invalid seed, worded `<file>:<line>: <where>: <what>` for a one-line exit message."""


@dataclass(frozen=True, slots=True)
class Entry:
    service: str  # "sqs"
    kind: str  # "queues"
    index: int
    params: dict[str, Any]  # the AWS parameters, without account and region
    account: str
    region: str

    @property
    def where(self) -> str:
        return f"{self.service}.{self.kind}[{self.index}]"


@dataclass(frozen=True, slots=True)
class SeedFile:
    path: Path
    entries: tuple[Entry, ...]
    locator: Locator

    def error(self, entry: Entry, message: str) -> SeedError:
        line = self.locator.line((entry.service, entry.kind, entry.index))
        return SeedError(f"{_at(self.path, line)}: {entry.where}: {message}")


def _at(path: Path, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def load(path: Path, kinds: Mapping[str, tuple[str, ...]], account: str, region: str) -> SeedFile:
    """Parse and check the structure of `path`; `kinds` names the entry lists each service takes
    ({"sqs": ("queues",), ...}). Raises SeedError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(f"{path}: cannot read the seed file: {exc}") from None
    document, locator = _parse(path, text)
    return SeedFile(path, tuple(_entries(path, document, locator, kinds, account, region)), locator)


def _parse(path: Path, text: str) -> tuple[dict[str, Any], Locator]:
    if path.suffix == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SeedError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
        if not isinstance(document, dict):
            raise SeedError(f"{path}:1: a seed file is a JSON object of services")
        return document, JsonLocator(text)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib words its errors "Invalid value (at line 3, column 9)"
        found = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        message = str(exc)[: found.start()].rstrip() if found else str(exc)
        raise SeedError(f"{_at(path, int(found[1]) if found else None)}: invalid TOML: {message}") from None
    return document, TomlLocator(text)


def _scope(
    path: Path, table: Mapping[str, Any], where: Where, locator: Locator, base: tuple[str, str]
) -> tuple[str, str]:
    account = table.get("account", base[0])
    region = table.get("region", base[1])
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise SeedError(f"{_at(path, locator.line(where))}: account {account!r} is not a 12-digit account id")
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise SeedError(
            f"{_at(path, locator.line(where))}: region {region!r} is not a region name such as us-east-1"
        )
    return account, region


def _entries(
    path: Path,
    document: Mapping[str, Any],
    locator: Locator,
    kinds: Mapping[str, tuple[str, ...]],
    account: str,
    region: str,
) -> list[Entry]:
    default = _scope(path, document, (), locator, (account, region))
    entries: list[Entry] = []
    for service, section in document.items():
        if service in _SCOPE:
            continue
        line = locator.line((service,))
        if service not in kinds:
            known = ", ".join(sorted(kinds))
            raise SeedError(
                f"{_at(path, line)}: unknown section {service!r} (sections: {known}, account, region)"
            )
        if not isinstance(section, dict):
            raise SeedError(f"{_at(path, line)}: {service} is a table of {', '.join(kinds[service])}")
        for kind, items in section.items():
            line = locator.line((service, kind))
            if kind not in kinds[service]:
                known = ", ".join(kinds[service])
                raise SeedError(
                    f"{_at(path, line)}: unknown entry list {service}.{kind} ({service} takes: {known})"
                )
            if not isinstance(items, list):
                raise SeedError(
                    f"{_at(path, line)}: {service}.{kind} is a list of tables ([[{service}.{kind}]])"
                )
            for index, item in enumerate(items):
                where: Where = (service, kind, index)
                if not isinstance(item, dict):
                    raise SeedError(
                        f"{_at(path, locator.line(where))}: {service}.{kind}[{index}] is not a table"
                    )
                scope = _scope(path, item, where, locator, default)
                params = {key: value for key, value in item.items() if key not in _SCOPE}
                entries.append(Entry(service, kind, index, params, *scope))
    return entries
