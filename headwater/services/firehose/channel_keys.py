"""Object keys of a Kinesis channel's delivery: its OutputKeyTemplate evaluated per object.

Theory of operation
-------------------
A template is literal text and `!{variable}`s: `channel-name`, `channel-id`, the time fields
`yyyy`, `YY`, `MM`, `dd`, `HH`, `mm` (UTC, at the arrival time of the oldest record in the object,
as Firehose's prefixes are) and `extension` (`.gz` for GZIP, `.zst` for ZSTD, nothing for NONE).
The kinesis service validates templates; this only evaluates them. Every key gets a unique suffix
(AWS appends one so that keys never collide whatever the template): `-<16 hex digits>`, put before
the extension when the template ends with `!{extension}` (so the file keeps it), else at the end.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

CONFIG_KEY = "KinesisChannelKeys"  # in a channel delivery's ExtendedS3 config: what `key` needs
EXTENSIONS = {"NONE": "", "GZIP": ".gz", "ZSTD": ".zst"}
_VARIABLE = re.compile(r"!\{([^}]*)\}")
_TIME = {"yyyy": "%Y", "YY": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M"}


def settings(template: str, channel_name: str, channel_id: str, compression: str) -> dict[str, str]:
    return {"Template": template, "Name": channel_name, "Id": channel_id, "Compression": compression}


def key(settings: dict[str, Any], at_ms: int) -> str:
    at = datetime.fromtimestamp(at_ms / 1000, tz=UTC)
    extension = EXTENSIONS.get(settings["Compression"], "")
    values = {"channel-name": settings["Name"], "channel-id": settings["Id"], "extension": extension}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _TIME:
            return at.strftime(_TIME[name])
        return values.get(name, "")

    template = settings["Template"]
    unique = "-" + uuid.uuid4().hex[:16]
    if template.endswith("!{extension}"):
        return _VARIABLE.sub(value, template[: -len("!{extension}")]) + unique + extension
    return _VARIABLE.sub(value, template) + unique
