"""`serve --edge` flags and the bridge's configuration file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from headwater.cli.edge import edge_config, parse_size
from headwater.config import EdgeRoute, EdgeStream


def values(**given: Any) -> dict[str, Any]:
    return {"edge": True, **{f"edge_{name}": value for name, value in given.items()}}


def test_flags() -> None:
    config = edge_config(
        values(
            upstream="mqtts://iot.example.com:8883",
            forward=("sensors/#", "alerts/#=site1/,logs/+"),
            subscribe=("cmd/#=cloud/",),
            queue_max="10MB",
            drop="none",
            rate=0.0,
        )  # fmt: skip
    )
    assert config is not None
    assert config.forward == (EdgeRoute("sensors/#"), EdgeRoute("alerts/#", "site1/"), EdgeRoute("logs/+"))
    assert config.subscribe == (EdgeRoute("cmd/#", "cloud/"),)
    assert (config.queue_max_bytes, config.drop, config.rate) == (10 * 1024 * 1024, "none", 0.0)
    assert config.cert is None and config.client_id == "headwater-edge"
    assert config.max_payload == 128 * 1024


def test_off_without_the_flag_and_refused_half_given() -> None:
    assert edge_config({"edge": False}) is None
    with pytest.raises(SystemExit, match="need --edge"):
        edge_config({"edge": False, "edge_upstream": "mqtt://x"})
    with pytest.raises(SystemExit, match="needs --edge-upstream"):
        edge_config(values())
    with pytest.raises(SystemExit, match="not mqtts://"):
        edge_config(values(upstream="http://x"))
    with pytest.raises(SystemExit, match="go together"):
        edge_config(values(upstream="mqtts://x", cert="c.pem"))
    with pytest.raises(SystemExit, match="--edge-cert/--edge-key/--edge-ca: .*No such file"):
        edge_config(values(upstream="mqtts://x", cert="missing.pem", key="missing.key"))
    with pytest.raises(SystemExit, match="not a topic filter"):
        edge_config(values(upstream="mqtt://x", forward=("a/#/b",)))


def test_the_file_and_flags_over_it(tmp_path: Path) -> None:
    file = tmp_path / "edge.toml"
    file.write_text(
        'upstream = "mqtt://file:1883"\nclient-id = "from-file"\nqueue-max = "1GB"\n'
        'forward = ["a/#", {filter = "b/#", prefix = "p/"}]\n'
    )
    config = edge_config(values(config=file, upstream="mqtt://flag:1883"))
    assert config is not None
    assert (config.upstream, config.client_id, config.queue_max_bytes) == (
        "mqtt://flag:1883",
        "from-file",
        1 << 30,
    )
    assert config.forward == (EdgeRoute("a/#"), EdgeRoute("b/#", "p/"))


def test_sizes() -> None:
    assert [parse_size(s) for s in ("100MB", "512KiB", "1g", "4096", "1.5KB")] == [
        100 << 20,
        512 << 10,
        1 << 30,
        4096,
        1536,
    ]
    with pytest.raises(SystemExit):
        parse_size("lots")


def test_kinesis_streams_from_flags_and_file(tmp_path: Path) -> None:
    config = edge_config(
        values(
            upstream="mqtt://up:1883",
            kinesis=("events,metrics=cloud-metrics",),
            kinesis_endpoint="http://up:4566/",
            kinesis_region="eu-west-1",
        )  # fmt: skip
    )
    assert config is not None
    assert config.kinesis == (EdgeStream("events", "events"), EdgeStream("metrics", "cloud-metrics"))
    assert (config.kinesis_endpoint, config.kinesis_region) == ("http://up:4566", "eu-west-1")
    assert config.kinesis_access_key_id is None
    file = tmp_path / "edge.toml"
    file.write_text(
        'upstream = "mqtt://up:1883"\n'
        'kinesis = [{stream = "events", upstream = "site1-events"}, "logs"]\n'
        'kinesis-access-key-id = "AKID"\nkinesis-secret-access-key = "secret"\nkinesis-profile = "edge"\n'
    )
    config = edge_config(values(config=file))
    assert config is not None
    assert config.kinesis == (EdgeStream("events", "site1-events"), EdgeStream("logs", "logs"))
    assert config.kinesis_endpoint is None  # AWS's endpoint of the region
    assert (config.kinesis_access_key_id, config.kinesis_secret_access_key) == ("AKID", "secret")
    assert config.kinesis_profile == "edge"
    for bad in ({"kinesis": ("bad/name",)}, {"kinesis_endpoint": "up:4566"}):
        with pytest.raises(SystemExit):
            edge_config(values(upstream="mqtt://up:1883", **bad))


def test_kinesis_forwarding_alone_needs_no_upstream_broker() -> None:
    config = edge_config(values(kinesis=("events",), kinesis_endpoint="http://up:4566"))
    assert (
        config is not None and config.upstream == "" and config.kinesis == (EdgeStream("events", "events"),)
    )
    with pytest.raises(SystemExit, match="need --edge-upstream"):
        edge_config(values(kinesis=("events",), forward=("a/#",)))
