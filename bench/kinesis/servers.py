"""The servers of the Kinesis benchmark: Headwater (durable, fast), kinesalite (memory, LevelDB),
kinesis-local (kinesis-mock's Node build) and moto. How each is started and installed is in bench/common."""

from __future__ import annotations

from bench.common.peers import MOTO, NODE_MODULES, Lineup
from bench.common.servers import BENCH, Server, free_port, headwater, trivial


def _kinesalite(leveldb: bool) -> Server:
    """Through kinesalite_launch.js, which binds loopback only (its own CLI listens on every interface)."""
    return Server(
        name="kinesalite-leveldb" if leveldb else "kinesalite-memory",
        family="kinesalite",
        command=lambda port, data: (
            ["node", str(BENCH / "kinesis" / "kinesalite_launch.js"), str(port)]
            + ([str(data / "leveldb")] if leveldb else [])
        ),
        env=lambda port, data: {"NODE_PATH": str(NODE_MODULES)},
    )


KINESIS_LOCAL = Server(
    name="kinesis-local",
    family="kinesis-local",
    command=lambda port, data: ["node", str(NODE_MODULES / "kinesis-local" / "main.js")],
    env=lambda port, data: {
        "KINESIS_MOCK_PLAIN_PORT": str(port),
        "KINESIS_MOCK_TLS_PORT": str(free_port()),
        "KINESIS_MOCK_CERT_PATH": str(NODE_MODULES / "kinesis-local" / "server.json"),
        "LOG_LEVEL": "WARN",  # its default INFO logs every request; the others log nothing per request
        "CREATE_STREAM_DURATION": "50ms",
        "REGISTER_STREAM_CONSUMER_DURATION": "50ms",
        "SHARD_LIMIT": "100",
    },
    cwd=NODE_MODULES / "kinesis-local",
)

LINEUP = Lineup(
    servers=[
        headwater("durable"),
        headwater("fast"),
        _kinesalite(leveldb=False),
        _kinesalite(leveldb=True),
        KINESIS_LOCAL,
        MOTO,
    ],
    trivial=trivial("trivial", "bench.kinesis.trivial"),
    npm={"kinesalite": "3.3.3", "kinesis-local": "0.6.2"},
)
