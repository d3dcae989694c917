"""Where an entry of a seed file starts: line numbers for errors.

Neither `tomllib` nor `json` reports positions of the values they parse, so errors are located
afterwards, on the text of a file that already parsed:

* TOML: the n-th array-of-tables header `[[sqs.queues]]` is entry n of `sqs.queues`; entries
  written as an inline array (`queues = [...]`) point at the line of that key.
* JSON: a small structural walk (strings skipped with the json module's own scanner) records
  where every value at most three levels deep starts (`{"sqs": {"queues": [{...}]}}`).

A path is a tuple of keys and 0-based indices: ("sqs",), ("sqs", "queues"), ("sqs", "queues", 1).
A locator answers None where it cannot tell; the error then names the file alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import suppress
from typing import Protocol

Path = tuple[str | int, ...]

_DEPTH = 3
# the json module's string scanner (untyped in typeshed): (text, index after the quote) -> (str, end)
scanstring: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")  # noqa: B009


class Locator(Protocol):
    def line(self, path: Path) -> int | None: ...


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _key(name: str) -> str:
    """A TOML key as written: bare or quoted."""
    return rf"""(?:{re.escape(name)}|"{re.escape(name)}"|'{re.escape(name)}')"""


class TomlLocator:
    def __init__(self, text: str) -> None:
        self.text = text

    def _find(self, pattern: str, nth: int = 0) -> int | None:
        matches = list(re.finditer(pattern, self.text, re.MULTILINE))
        return _line_of(self.text, matches[nth].start()) if nth < len(matches) else None

    def line(self, path: Path) -> int | None:
        if not path:
            return None
        dot = r"\s*\.\s*"
        head = str(path[0])
        if len(path) == 1:
            header = rf"^[ \t]*\[+\s*{_key(head)}\s*[\].]"  # [sqs], [[sqs.queues]]
            return self._find(header) or self._find(rf"^[ \t]*{_key(head)}\s*[.=]")
        kind = str(path[1])
        table = rf"^[ \t]*\[\[\s*{_key(head)}{dot}{_key(kind)}\s*\]\]"
        key = rf"^[ \t]*(?:{_key(head)}{dot})?{_key(kind)}\s*="
        if len(path) >= 3 and isinstance(path[2], int):
            found = self._find(table, path[2])
            if found is not None:
                return found
        return self._find(table) or self._find(key) or self.line(path[:1])


class JsonLocator:
    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: dict[Path, int] = {}
        with suppress(ValueError, IndexError):  # only called on text json.loads accepted; be safe anyway
            self._walk(0, ())

    def line(self, path: Path) -> int | None:
        while path:
            if path in self._starts:
                return _line_of(self.text, self._starts[path])
            path = path[:-1]
        return None

    def _space(self, pos: int) -> int:
        while self.text[pos] in " \t\r\n":
            pos += 1
        return pos

    def _walk(self, pos: int, path: Path) -> int:
        pos = self._space(pos)
        if len(path) <= _DEPTH:
            self._starts[path] = pos
        char = self.text[pos]
        if char == '"':
            return scanstring(self.text, pos + 1)[1]
        if char not in "{[":
            return json.JSONDecoder().raw_decode(self.text, pos)[1]
        closing = "}" if char == "{" else "]"
        pos = self._space(pos + 1)
        index = 0
        while self.text[pos] != closing:
            member: str | int = index
            if char == "{":
                member, pos = scanstring(self.text, self._space(pos) + 1)
                pos = self._space(pos) + 1  # the colon
            pos = self._space(self._walk(pos, (*path, member)))
            if self.text[pos] == ",":
                pos = self._space(pos + 1)
            index += 1
        return pos + 1
