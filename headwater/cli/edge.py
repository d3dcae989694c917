"""`serve --edge`: the bridge's flags and its configuration file (TOML, the same names without the
`edge-` prefix and with `_`), turned into `EdgeConfig`. A flag given wins over the file."""

from __future__ import annotations

import re
import ssl
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from headwater.config import EdgeConfig, EdgeRoute, EdgeStream
from headwater.protocol.mqtt.topics import valid_topic_filter

F = Callable[..., Any]
Option = Callable[..., Callable[[F], F]]
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
DEFAULTS = EdgeConfig(upstream="")


def edge_options(option: Option) -> list[Callable[[F], F]]:
    path = click.Path(path_type=Path)
    return [
        option("--edge", False, "Edge mode: a store-and-forward bridge to an upstream broker.",
               is_flag=True),
        option("--edge-config", None, "A TOML file with the bridge's settings (flags given win).", type=path),
        option("--edge-upstream", None, "The upstream: mqtts://host:8883 (mutual TLS) or mqtt://host:1883."),
        option("--edge-client-id", None, "The bridge's MQTT client id upstream [default: headwater-edge]."),
        option("--edge-cert", None, "The bridge's client certificate (PEM) for mutual TLS.", type=path),
        option("--edge-key", None, "Its private key (PEM).", type=path),
        option("--edge-ca", None, "The CA (PEM) the upstream's certificate is checked against.", type=path),
        option("--edge-forward", None, "Local -> upstream: FILTER or FILTER=REMOTE_PREFIX (repeatable; "
               "comma-separated in the variable).", multiple=True),
        option("--edge-subscribe", None, "Upstream -> local: FILTER or FILTER=LOCAL_PREFIX (repeatable).",
               multiple=True),
        option("--edge-shadows", None, "Things whose Device Shadows sync both ways: NAME[,NAME...] or *."),
        option("--edge-queue-max", None, "The disk queue's bound: 100MB, 512KB, 1GB... [default: 100MB]."),
        option("--edge-drop", None, "When the queue is full: oldest, newest, or none (publishers wait) "
               "[default: oldest].", type=click.Choice(("oldest", "newest", "none"))),
        option("--edge-max-payload", None, "Larger payloads are not forwarded (counted as rejected) "
               "[default: 128KB, AWS IoT's limit]."),
        option("--edge-inflight", None, "Unacknowledged PUBLISHes upstream [default: 20].", type=int),
        option("--edge-rate", None, "PUBLISHes per second upstream, 0: no limit (AWS IoT allows 100 per "
               "connection) [default: 90].", type=float),
        option("--edge-keep-alive", None, "MQTT keep-alive upstream, seconds [default: 30].", type=int),
        option("--edge-backoff-max", None, "The longest wait between reconnects, seconds [default: 30].",
               type=float),
        option("--edge-kinesis", None, "A local Kinesis stream forwarded upstream: STREAM or "
               "STREAM=UPSTREAM_STREAM (repeatable; comma-separated in the variable).", multiple=True),
        option("--edge-kinesis-endpoint", None, "The upstream's Kinesis API: http(s)://host:port of "
               "another Headwater [default: AWS's https://kinesis.<region>.amazonaws.com]."),
        option("--edge-kinesis-region", None, "The upstream's region (SigV4) [default: the server's]."),
        option("--edge-kinesis-profile", None, "The AWS profile signing upstream Kinesis calls "
               "[default: the standard AWS environment/profile chain]."),
    ]  # fmt: skip


def edge_config(values: dict[str, Any]) -> EdgeConfig | None:
    """The bridge's configuration from the serve flags, None without `--edge` (a file or an
    upstream given without it is refused: nothing would be forwarded)."""
    settings: dict[str, Any] = {}
    if values.get("edge_config") is not None:
        settings.update(_file(values["edge_config"]))
    for name in ("upstream", "client_id", "cert", "key", "ca", "queue_max", "drop", "inflight",
                 "max_payload", "rate", "keep_alive", "backoff_max", "kinesis_endpoint", "kinesis_region",
                 "kinesis_profile"):  # fmt: skip
        if values.get(f"edge_{name}") is not None:
            settings[name] = values[f"edge_{name}"]
    for name in ("forward", "subscribe", "kinesis"):
        given = [item for value in values.get(f"edge_{name}") or () for item in _split(value)]
        if given:
            settings[name] = given
    if values.get("edge_shadows") is not None:
        settings["shadows"] = _split(values["edge_shadows"])
    if not values.get("edge"):
        if settings:
            raise SystemExit("--edge-* settings need --edge")
        return None
    return build(settings)


def build(settings: dict[str, Any]) -> EdgeConfig:
    upstream = settings.get("upstream") or ""
    if not upstream:  # Kinesis forwarding alone needs no upstream broker
        if not settings.get("kinesis"):
            raise SystemExit("--edge needs --edge-upstream (or upstream in --edge-config) or --edge-kinesis")
        if any(settings.get(name) for name in ("forward", "subscribe", "shadows")):
            raise SystemExit("--edge-forward, --edge-subscribe and --edge-shadows need --edge-upstream")
    elif not str(upstream).startswith(("mqtts://", "mqtt://")):
        raise SystemExit(f"--edge-upstream: {upstream!r} is not mqtts://host:port or mqtt://host:port")
    if (settings.get("cert") is None) != (settings.get("key") is None):
        raise SystemExit("--edge-cert and --edge-key go together")
    _check_tls(settings)
    inflight = int(settings.get("inflight", DEFAULTS.inflight))
    if not 1 <= inflight <= 1000:
        raise SystemExit("--edge-inflight: 1 to 1000")
    drop = settings.get("drop", DEFAULTS.drop)
    if drop not in ("oldest", "newest", "none"):
        raise SystemExit(f"--edge-drop: {drop!r} is not oldest, newest or none")
    return EdgeConfig(
        upstream=str(upstream),
        client_id=str(settings.get("client_id", DEFAULTS.client_id)),
        cert=_path(settings.get("cert")),
        key=_path(settings.get("key")),
        ca=_path(settings.get("ca")),
        forward=tuple(_route(item, "--edge-forward") for item in settings.get("forward", ())),
        subscribe=tuple(_route(item, "--edge-subscribe") for item in settings.get("subscribe", ())),
        shadows=tuple(_thing(name) for name in _listed(settings.get("shadows", ()))),
        queue_max_bytes=parse_size(settings.get("queue_max", DEFAULTS.queue_max_bytes), "--edge-queue-max"),
        drop=drop,
        inflight=inflight,
        max_payload=parse_size(settings.get("max_payload", DEFAULTS.max_payload), "--edge-max-payload"),
        rate=max(0.0, float(settings.get("rate", DEFAULTS.rate))),
        keep_alive=max(0, int(settings.get("keep_alive", DEFAULTS.keep_alive))),
        backoff_max=max(0.1, float(settings.get("backoff_max", DEFAULTS.backoff_max))),
        kinesis=tuple(_stream(item) for item in settings.get("kinesis", ())),
        kinesis_endpoint=_endpoint(settings.get("kinesis_endpoint")),
        kinesis_region=_optional(settings.get("kinesis_region")),
        kinesis_access_key_id=_optional(settings.get("kinesis_access_key_id")),
        kinesis_secret_access_key=_optional(settings.get("kinesis_secret_access_key")),
        kinesis_session_token=_optional(settings.get("kinesis_session_token")),
        kinesis_profile=_optional(settings.get("kinesis_profile")),
    )


def _check_tls(settings: dict[str, Any]) -> None:
    """The certificate, key and CA load (a bad file is one line at start, not a failed bridge)."""
    try:
        context = ssl.create_default_context(cafile=settings.get("ca"))
        if settings.get("cert") is not None:
            context.load_cert_chain(settings["cert"], settings.get("key"))
    except (OSError, ssl.SSLError) as exc:
        raise SystemExit(f"--edge-cert/--edge-key/--edge-ca: {exc}") from None


def parse_size(value: Any, flag: str = "--edge-queue-max") -> int:
    """`100MB`, `512KiB`, `1g`, `4096` -> bytes (binary units)."""
    if isinstance(value, int):
        return value
    match = _SIZE.fullmatch(str(value))
    if match is None:
        raise SystemExit(f"{flag}: {value!r} is not a size like 100MB")
    unit = match.group(2).lower().rstrip("b").rstrip("i")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size < 1024:
        raise SystemExit(f"{flag}: at least 1KB")
    return size


def _file(path: Path) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SystemExit(f"--edge-config {path}: {exc}") from None
    return {key.replace("-", "_"): value for key, value in document.items()}


def _split(value: str) -> list[str]:
    # the environment variable carries several, comma-separated (a topic filter has no commas)
    return [item.strip() for item in value.split(",") if item.strip()]


def _route(item: Any, flag: str) -> EdgeRoute:
    if isinstance(item, dict):  # the file's {filter = "...", prefix = "..."}
        topic_filter, prefix = str(item.get("filter", "")), str(item.get("prefix", ""))
    else:
        topic_filter, _, prefix = str(item).partition("=")
    topic_filter = topic_filter.strip()
    if not valid_topic_filter(topic_filter) or topic_filter.startswith("$share/"):
        raise SystemExit(f"{flag}: {topic_filter!r} is not a topic filter")
    if "+" in prefix or "#" in prefix:
        raise SystemExit(f"{flag}: the prefix {prefix!r} may not hold wildcards")
    return EdgeRoute(topic_filter, prefix.strip())


_STREAM_NAME = re.compile(r"[a-zA-Z0-9_.-]{1,128}")


def _stream(item: Any) -> EdgeStream:
    if isinstance(item, dict):  # the file's {stream = "...", upstream = "..."}
        local, remote = str(item.get("stream", "")), str(item.get("upstream", ""))
    else:
        local, _, remote = str(item).partition("=")
    local, remote = local.strip(), remote.strip() or local.strip()
    for name in (local, remote):
        if not _STREAM_NAME.fullmatch(name):
            raise SystemExit(f"--edge-kinesis: {name!r} is not a stream name")
    return EdgeStream(local, remote)


def _endpoint(value: Any) -> str | None:
    if value is None:
        return None
    if not str(value).startswith(("http://", "https://")):
        raise SystemExit(f"--edge-kinesis-endpoint: {value!r} is not http(s)://host[:port]")
    return str(value).rstrip("/")


def _optional(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _listed(value: Any) -> list[str]:
    return _split(value) if isinstance(value, str) else [str(item) for item in value]


def _thing(name: str) -> str:
    if name != "*" and (not name or any(c in name for c in "/+#")):
        raise SystemExit(f"--edge-shadows: {name!r} is not a thing name (or *)")
    return name


def _path(value: Any) -> Path | None:
    return None if value is None else Path(value)
