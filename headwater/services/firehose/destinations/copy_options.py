"""Redshift's COPY parameters (a Firehose CopyCommand's CopyOptions) parsed into a `CopyPlan`.

Theory of operation
-------------------
CopyOptions is the tail of a Redshift `COPY table (columns) FROM 's3://...' <options>` statement.
`parse_copy_options` tokenizes it (words, numbers, quoted strings with '' or \\' escapes) and reads
each parameter with its optional AS. What Headwater can honour against PostgreSQL becomes a field
of the plan; what only tunes Redshift itself (COMPUPDATE, STATUPDATE, REGION, credentials...) is
accepted and ignored; what cannot be honoured (FIXEDWIDTH, AVRO, PARQUET, JSONPaths files,
MAXERROR > 0, ...) raises `CopyOptionsError` naming it, so a CreateDeliveryStream that asks for it
fails at once instead of loading wrong rows later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"\s*(?:'((?:[^'\\]|''|\\.)*)'|([^\s']+))", re.S)


class CopyOptionsError(ValueError):
    """CopyOptions that are malformed or that Headwater cannot honour."""


@dataclass(slots=True)
class CopyPlan:
    format: str = "TEXT"  # TEXT (delimited), CSV or JSON
    delimiter: str = "|"  # Redshift's default for text; CSV's default is ","
    quote: str = '"'
    json_ignorecase: bool = False
    compression: str | None = None  # GZIP, BZIP2, ZSTD
    ignore_header: int = 0
    null_as: str | None = None
    empty_as_null: bool = False
    blanks_as_null: bool = False
    trim_blanks: bool = False
    truncate_columns: bool = False
    accept_inv_chars: str | None = None  # the replacement character when set
    escape: bool = False
    remove_quotes: bool = False
    fill_record: bool = False
    ignore_blank_lines: bool = False
    time_format: str | None = None  # 'auto', 'epochsecs', 'epochmillisecs' or a format string
    date_format: str | None = None
    noload: bool = False
    ignored: list[str] = field(default_factory=list)  # accepted, meaningless for PostgreSQL


# Parameters that only steer Redshift's own machinery; the value after some of them is skipped.
_IGNORED_FLAGS = {"COMPUPDATE", "STATUPDATE", "ROUNDEC", "EXPLICIT_IDS"}
_IGNORED_WITH_VALUE = {
    "REGION",
    "IAM_ROLE",
    "CREDENTIALS",
    "ACCESS_KEY_ID",
    "SECRET_ACCESS_KEY",
    "SESSION_TOKEN",
    "MASTER_SYMMETRIC_KEY",
    "READRATIO",
    "COMPROWS",
}
_UNSUPPORTED = {
    "FIXEDWIDTH": "fixed-width input",
    "AVRO": "Avro input",
    "PARQUET": "Parquet input",
    "ORC": "ORC input",
    "SHAPEFILE": "shapefile input",
    "LZOP": "LZOP compression",
    "MANIFEST": "manifest files (Firehose stages one object per COPY)",
    "ENCRYPTED": "client-side encrypted objects",
    "ACCEPTANYDATE": "loading invalid dates",
    "SSH": "SSH sources",
}


def _tokens(text: str) -> list[tuple[str, bool]]:
    """(value, quoted) pairs."""
    out: list[tuple[str, bool]] = []
    position = 0
    text = text.strip().rstrip(";")
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise CopyOptionsError(f"CopyOptions cannot be parsed near: {text[position:][:40]!r}")
        position = match.end()
        if match.group(1) is not None:
            # only the quote's own escapes: other backslashes stay (NULL AS '\N' is literal)
            value = re.sub(r"''|\\'", "'", match.group(1))
            out.append((value, True))
        elif match.group(2):
            out.append((match.group(2), False))
    return out


class _Reader:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def more(self) -> bool:
        return self.position < len(self.tokens)

    def peek(self) -> tuple[str, bool] | None:
        return self.tokens[self.position] if self.more() else None

    def word(self) -> str:
        value, _ = self.tokens[self.position]
        self.position += 1
        return value.upper()

    def skip_as(self) -> None:
        nxt = self.peek()
        if nxt is not None and not nxt[1] and nxt[0].upper() == "AS":
            self.position += 1

    def value(self, name: str, *, quoted: bool | None = None) -> str:
        self.skip_as()
        nxt = self.peek()
        if nxt is None or (quoted is not None and nxt[1] != quoted):
            kind = "a quoted string" if quoted else "a value"
            raise CopyOptionsError(f"CopyOptions: {name} needs {kind}.")
        self.position += 1
        return nxt[0]

    def optional_quoted(self) -> str | None:
        self.skip_as()
        nxt = self.peek()
        if nxt is not None and nxt[1]:
            self.position += 1
            return nxt[0]
        return None

    def integer(self, name: str) -> int:
        text = self.value(name, quoted=False)
        if not text.isdigit():
            raise CopyOptionsError(f"CopyOptions: {name} needs a whole number, not {text!r}.")
        return int(text)


def _character(text: str) -> str:
    r"""A delimiter as Redshift spells it: '\t' is a tab, '\ooo' an octal code."""
    if text == "\\t":
        return "\t"
    if re.fullmatch(r"\\[0-7]{3}", text):
        return chr(int(text[1:], 8))
    return text


def _json(plan: CopyPlan, argument: str) -> None:
    mode = argument.strip().lower()
    if mode not in ("auto", "auto ignorecase"):
        raise CopyOptionsError(
            f"CopyOptions: JSON {argument!r} is not supported: Headwater honours JSON 'auto' and "
            "JSON 'auto ignorecase' (JSONPaths files are not read)."
        )
    plan.format = "JSON"
    plan.json_ignorecase = mode == "auto ignorecase"


def _format(reader: _Reader, plan: CopyPlan, name: str) -> None:
    if name == "JSON":
        _json(plan, reader.value("JSON", quoted=True))
    elif name == "CSV":
        plan.format = "CSV"
        if plan.delimiter == "|":
            plan.delimiter = ","
        nxt = reader.peek()
        if nxt is not None and not nxt[1] and nxt[0].upper() == "QUOTE":
            reader.position += 1
            plan.quote = reader.value("QUOTE", quoted=True)
    elif name in _UNSUPPORTED:
        raise CopyOptionsError(f"CopyOptions: {name} ({_UNSUPPORTED[name]}) is not supported.")
    else:
        raise CopyOptionsError(f"CopyOptions: unknown format {name}.")


def parse_copy_options(text: str | None) -> CopyPlan:
    plan = CopyPlan()
    reader = _Reader(text or "")
    while reader.more():
        name = reader.word()
        if name == "FORMAT":
            reader.skip_as()
            _format(reader, plan, reader.word())
        elif name in ("JSON", "CSV"):
            _format(reader, plan, name)
        elif name == "DELIMITER":
            plan.delimiter = _character(reader.value(name, quoted=True))
            if len(plan.delimiter) != 1:
                raise CopyOptionsError("CopyOptions: DELIMITER must be a single character.")
        elif name == "QUOTE":
            plan.quote = reader.value(name, quoted=True)
        elif name in ("GZIP", "BZIP2", "ZSTD"):
            plan.compression = name
        elif name == "IGNOREHEADER":
            plan.ignore_header = reader.integer(name)
        elif name == "NULL":
            plan.null_as = reader.value(name, quoted=True)
        elif name == "EMPTYASNULL":
            plan.empty_as_null = True
        elif name == "BLANKSASNULL":
            plan.blanks_as_null = True
        elif name == "TRIMBLANKS":
            plan.trim_blanks = True
        elif name == "TRUNCATECOLUMNS":
            plan.truncate_columns = True
        elif name == "ACCEPTINVCHARS":
            plan.accept_inv_chars = reader.optional_quoted() or "?"
        elif name == "ESCAPE":
            plan.escape = True
        elif name == "REMOVEQUOTES":
            plan.remove_quotes = True
        elif name == "FILLRECORD":
            plan.fill_record = True
        elif name == "IGNOREBLANKLINES":
            plan.ignore_blank_lines = True
        elif name == "TIMEFORMAT":
            plan.time_format = reader.value(name, quoted=True)
        elif name == "DATEFORMAT":
            plan.date_format = reader.value(name, quoted=True)
        elif name == "NOLOAD":
            plan.noload = True
        elif name == "MAXERROR":
            if reader.integer(name) != 0:
                raise CopyOptionsError(
                    "CopyOptions: MAXERROR above 0 is not supported: Headwater loads a batch "
                    "whole or not at all."
                )
        elif name == "ENCODING":
            encoding = reader.value(name).upper()
            if encoding not in ("UTF8", "UTF-8"):
                raise CopyOptionsError(f"CopyOptions: ENCODING {encoding} is not supported.")
        elif name in _IGNORED_FLAGS:
            plan.ignored.append(name)
            nxt = reader.peek()
            if nxt is not None and nxt[0].upper() in ("ON", "OFF", "TRUE", "FALSE", "PRESET"):
                reader.position += 1
        elif name in _IGNORED_WITH_VALUE:
            plan.ignored.append(name)
            reader.value(name)
        elif name in _UNSUPPORTED:
            raise CopyOptionsError(f"CopyOptions: {name} ({_UNSUPPORTED[name]}) is not supported.")
        else:
            raise CopyOptionsError(f"CopyOptions: unknown or unsupported parameter {name}.")
    if plan.format == "JSON" and plan.ignore_header:
        raise CopyOptionsError("CopyOptions: IGNOREHEADER cannot be used with JSON.")
    return plan
