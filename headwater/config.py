"""Server settings: command-line flags, each with an environment variable of the same meaning."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Durability = Literal["durable", "fast", "memory"]


@dataclass(frozen=True, slots=True)
class EdgeRoute:
    """A topic mapping of the edge bridge: messages matching `topic_filter` on one side go to the
    other with `prefix` put before their topic."""

    topic_filter: str
    prefix: str = ""


@dataclass(frozen=True, slots=True)
class EdgeStream:
    """A local Kinesis stream the edge forwards to a stream of the upstream's Kinesis API."""

    stream: str
    upstream_stream: str


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    """`serve --edge`: the store-and-forward bridge to an upstream broker (services/iot/bridge/)."""

    # mqtts://host[:8883] (mutual TLS) or mqtt://host[:1883] (plain TCP); "": no upstream broker
    # (Kinesis forwarding only)
    upstream: str
    client_id: str = "headwater-edge"
    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None  # None: the system's trust store
    forward: tuple[EdgeRoute, ...] = ()  # local -> upstream
    subscribe: tuple[EdgeRoute, ...] = ()  # upstream -> local
    shadows: tuple[str, ...] = ()  # things whose Device Shadows sync both ways ("*": all)
    queue_max_bytes: int = 100 * 1024 * 1024
    drop: Literal["oldest", "newest", "none"] = "oldest"  # none: publishers wait for room
    inflight: int = 20  # unacknowledged PUBLISHes upstream
    # larger payloads are not forwarded (AWS IoT closes the connection of a client sending one)
    max_payload: int = 128 * 1024
    # PUBLISHes per second upstream (0: no limit): AWS IoT drops what passes 100/s on a connection
    rate: float = 90.0
    keep_alive: int = 30
    backoff_max: float = 30.0  # seconds between reconnect attempts, at most
    # Kinesis forwarding (services/iot/bridge/kinesis_forward.py): local streams -> the upstream's
    # Kinesis API at `kinesis_endpoint` (None: AWS's https://kinesis.<region>.amazonaws.com)
    kinesis: tuple[EdgeStream, ...] = ()
    kinesis_endpoint: str | None = None
    kinesis_region: str | None = None  # None: the server's region
    # None: the standard AWS chain (environment, shared files/profile, instance role)
    kinesis_access_key_id: str | None = None
    kinesis_secret_access_key: str | None = None
    kinesis_session_token: str | None = None
    kinesis_profile: str | None = None


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 4566
    data_dir: Path = Path("./data")
    durability: Durability = "durable"
    limits: bool = True
    account_id: str = "000000000000"
    region: str = "us-east-1"
    auth: Literal["open", "strict"] = "open"
    # access key id -> secret key, for `--auth strict`
    credentials: dict[str, str] = field(default_factory=dict)
    tls: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    test_mode: bool = False
    # seconds a stream/consumer stays CREATING/UPDATING/DELETING before it settles
    transition_delay: float = 0.5
    # AWS's timing rules: the 60-second queue delete/purge rules and the transition delays (off: none)
    aws_timing: bool = True
    # extra names (DNS or IP) the generated TLS certificate covers
    tls_names: tuple[str, ...] = ()
    # seed files and script folders applied once the server is healthy (`--init`)
    init: tuple[Path, ...] = ()
    # the account's concurrent function invocations (Lambda's ConcurrentExecutions limit)
    functions_concurrency: int = 1000
    # execution roles: "checked" against IAM (when it runs) as Lambda checks them, "any" accepts
    # every well-formed role ARN (test-friendly)
    function_roles: Literal["checked", "any"] = "checked"
    # the IoT device gateway's ports: None = the default (8883, 443, 8443), skipped with a warning when
    # it cannot be bound; a number given explicitly must bind; 0 = off. Plain MQTT (1883) is opt-in.
    iot_port: int | None = None
    iot_alpn_port: int | None = None
    iot_https_port: int | None = None
    mqtt_port: int = 0
    # "aws": AWS IoT's limits, QoS 2 as AWS, mTLS only; "relaxed": QoS 2 downgraded, limits off,
    # anonymous plain MQTT allowed
    iot_mode: Literal["aws", "relaxed"] = "aws"
    # seconds a persistent MQTT session outlives its connection (AWS's default: 1 hour)
    iot_session_expiry: int = 3600
    # stored messages a resumed persistent session is sent per second in AWS mode (AWS replays at
    # most 10/s); 0: as fast as the client acknowledges. Relaxed mode never paces.
    iot_replay_rate: float = 10.0
    # edge mode (`--edge`): the bridge to an upstream; None when off
    edge: EdgeConfig | None = None
    # seconds of Device Shadow history kept (Headwater's debugging view; 0 = none)
    iot_shadow_history: float = 86400.0

    def __post_init__(self) -> None:
        if not self.aws_timing:  # the transition delays are among the timing rules `aws_timing` lifts
            object.__setattr__(self, "transition_delay", 0.0)


def env_default(name: str, default: str) -> str:
    return os.environ.get(f"HEADWATER_{name}", default)


def parse_credentials(text: str) -> dict[str, str]:
    """`AKID:SECRET,AKID2:SECRET2` -> {AKID: SECRET}."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, secret = item.partition(":")
        if not sep or not key or not secret:
            raise ValueError(f"credential {item!r} is not ACCESS_KEY_ID:SECRET")
        pairs[key] = secret
    return pairs


_ACCOUNT = re.compile(r"\d{12}")


def account_for_access_key(access_key: str | None, default: str) -> str:
    """A 12-digit access key id selects its own account (as LocalStack users expect)."""
    if access_key and _ACCOUNT.fullmatch(access_key):
        return access_key
    return default
