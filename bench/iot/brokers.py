"""The brokers compared: Mosquitto (Debian's package, unpacked without root), amqtt (PyPI, the project
venv's `bench` extra) and Headwater's MQTT listener; plus the ceiling's trivial server.

Every broker gets a plain MQTT port (the `Running` port) and an mTLS one whose number the command writes
to `ports.json` in its data directory, with the certificates from `tls.make_certs`.

Mosquitto: `apt-get download` of the package and those of its library dependencies that are not
installed, `dpkg -x` into bench/.peers/mosquitto/, run with LD_LIBRARY_PATH pointing there and a
generated config: anonymous, no persistence, `max_queued_messages 0` (no cap: its default, 1,000, drops
QoS 1 messages for a subscriber that falls behind, which would be counted as loss) and 100 in flight
(AWS IoT's figure), a listener requiring a client certificate from the bench CA.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common.servers import HEADWATER_PYTHON, HOST, PEERS, REPO, Server, free_port, headwater_args
from bench.iot.tls import Certs

MOSQUITTO = PEERS / "mosquitto"
MOSQUITTO_BIN = MOSQUITTO / "usr" / "sbin" / "mosquitto"
LIBS = MOSQUITTO / "usr" / "lib" / "x86_64-linux-gnu"
AMQTT_BIN = REPO / ".venv" / "bin" / "amqtt"


def _ports(data: Path, mqtts: int | None) -> None:
    (data / "ports.json").write_text(json.dumps({"mqtts": mqtts}))


def tls_port(data: Path) -> int | None:
    try:
        return json.loads((data / "ports.json").read_text())["mqtts"]
    except (OSError, ValueError, KeyError):
        return None


def _missing_libs() -> list[str]:
    env = {**os.environ, "LD_LIBRARY_PATH": str(LIBS)}
    out = subprocess.run(["ldd", str(MOSQUITTO_BIN)], capture_output=True, text=True, env=env).stdout
    return [line.split()[0] for line in out.splitlines() if "not found" in line]


def _not_installed(packages: list[str]) -> list[str]:
    wanted = []
    for name in packages:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
        if "install ok installed" not in status.stdout:
            wanted.append(name)
    return wanted


def install_mosquitto() -> str | None:
    """None when bench/.peers/mosquitto has a runnable broker (installing it if needed), else why not."""
    if MOSQUITTO_BIN.exists() and not _missing_libs():
        return None
    if not shutil.which("apt-get") or not shutil.which("dpkg"):
        return "needs apt-get and dpkg (a Debian-like system) to fetch the mosquitto package"
    depends = subprocess.run(["apt-cache", "depends", "mosquitto"], capture_output=True, text=True).stdout
    deps = re.findall(r"^\s+Depends: ([a-z0-9][a-z0-9.+-]+)$", depends, re.M)
    with tempfile.TemporaryDirectory(prefix="mosquitto-", dir=PEERS) as tmp:
        fetched = subprocess.run(
            ["apt-get", "download", "mosquitto", *_not_installed(deps)],
            capture_output=True,
            text=True,
            cwd=tmp,
            timeout=300,
        )
        if fetched.returncode:
            tail = " | ".join(fetched.stderr.strip().splitlines()[-3:])
            return f"apt-get download mosquitto failed (no Debian mirror reachable?): {tail}"
        for deb in Path(tmp).glob("*.deb"):
            subprocess.run(["dpkg", "-x", str(deb), str(MOSQUITTO)], check=True)
    if not MOSQUITTO_BIN.exists():
        return "the mosquitto package has no usr/sbin/mosquitto"
    if missing := _missing_libs():
        return f"mosquitto needs libraries that are neither installed nor fetched: {', '.join(missing)}"
    return None


@functools.cache
def mosquitto_version() -> str:
    debs = sorted(MOSQUITTO.glob("usr/share/doc/mosquitto/changelog*"))
    out = subprocess.run(
        [str(MOSQUITTO_BIN), "-h"], capture_output=True, text=True, env={"LD_LIBRARY_PATH": str(LIBS)}
    )
    found = re.search(r"version (\S+)", out.stdout + out.stderr)
    return (found.group(1) if found else "unknown") + (" (Debian package)" if debs else "")


def mosquitto(certs: Certs) -> Server:
    def command(port: int, data: Path) -> list[str]:
        mqtts = free_port()
        _ports(data, mqtts)
        conf = data / "mosquitto.conf"
        conf.write_text(
            "\n".join(
                [
                    f"user {getpass.getuser()}",  # as root it would switch to a 'mosquitto' user
                    "persistence false",
                    "allow_anonymous true",
                    "max_queued_messages 0",
                    "max_inflight_messages 100",
                    "log_dest stderr",
                    "log_type error",
                    "log_type warning",
                    f"listener {port} {HOST}",
                    f"listener {mqtts} {HOST}",
                    f"cafile {certs.ca}",
                    f"certfile {certs.server_cert}",
                    f"keyfile {certs.server_key}",
                    "require_certificate true",
                    "",
                ]
            )
        )
        return [str(MOSQUITTO_BIN), "-c", str(conf)]

    return Server("mosquitto", "mosquitto", command, env=lambda port, data: {"LD_LIBRARY_PATH": str(LIBS)})


def amqtt_version() -> str:
    try:
        from importlib.metadata import version

        return version("amqtt")
    except Exception:  # noqa: BLE001 - not installed
        return ""


def amqtt(certs: Certs) -> Server:
    """amqtt's broker with only its anonymous-auth plugin (no packet or event logging, no $SYS); its TLS
    listener asks for a client certificate but does not require one (CERT_OPTIONAL in amqtt 0.12)."""

    def command(port: int, data: Path) -> list[str]:
        mqtts = free_port()
        _ports(data, mqtts)
        config = {
            "listeners": {
                "default": {"type": "tcp", "bind": f"{HOST}:{port}"},
                "mtls": {
                    "type": "tcp",
                    "bind": f"{HOST}:{mqtts}",
                    "ssl": True,
                    "cafile": str(certs.ca),
                    "certfile": str(certs.server_cert),
                    "keyfile": str(certs.server_key),
                },
            },
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        conf = data / "amqtt.yaml"
        conf.write_text(json.dumps(config, indent=2))  # JSON is YAML
        return [str(AMQTT_BIN), "-c", str(conf)]

    return Server("amqtt", "amqtt", command, cwd=REPO)


@functools.cache
def headwater_flags() -> str:
    """`serve --help` of this tree: which MQTT flags it has (the listener lands on its own branch)."""
    out = subprocess.run(
        [str(HEADWATER_PYTHON), "-m", "headwater", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200"},
    )
    return out.stdout


def headwater_missing() -> str | None:
    flags = headwater_flags()
    if "--mqtt-port" not in flags:
        return "this tree's `serve` has no --mqtt-port yet (the MQTT listener is on branch iot-listener)"
    return None


def headwater_tls_flag() -> str | None:
    """The flag for the mTLS (8883) port, if this tree has one."""
    found = re.search(r"(--(?:iot|mqtts|mqtt-tls|iot-tls|mtls)-port)\b", headwater_flags())
    return found.group(1) if found else None


def headwater_mqtt(mqtt_port: dict[str, int]) -> Server:
    """Headwater (durable, limits off) with the MQTT listener on a plain port in relaxed IoT mode; the
    plain port is written to `mqtt_port["port"]` (the `Running` port is the HTTP one)."""

    def command(port: int, data: Path) -> list[str]:
        mqtt = free_port()
        mqtt_port["port"] = mqtt
        extra = ["--mqtt-port", str(mqtt)]
        if "--iot-mode" in headwater_flags():
            extra += ["--iot-mode", "relaxed"]
        flag = headwater_tls_flag()
        mqtts = free_port() if flag else None
        if flag:
            extra += [flag, str(mqtts)]
        for off in ("--iot-alpn-port", "--iot-https-port"):  # 443 and 8443 are not measured: keep them free
            if off in headwater_flags():
                extra += [off, "0"]
        _ports(data, mqtts)
        return [
            str(HEADWATER_PYTHON),
            "-m",
            "headwater",
            "serve",
            *headwater_args(port, data, "durable"),
            *extra,
        ]

    return Server("headwater", "headwater", command, cwd=REPO, health_path="/_headwater/health")


def trivial(certs: Certs) -> Server:
    def command(port: int, data: Path) -> list[str]:
        mqtts = free_port()
        _ports(data, mqtts)
        return [
            sys.executable,
            "-m",
            "bench.iot.trivial",
            "--port",
            str(port),
            "--tls-port",
            str(mqtts),
            "--ca",
            str(certs.ca),
            "--cert",
            str(certs.server_cert),
            "--key",
            str(certs.server_key),
        ]

    return Server("trivial", "trivial", command, cwd=REPO)
