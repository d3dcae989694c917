"""botocore's protocol test vectors, fetched from the sdist of the installed botocore version.

The vectors (``tests/unit/protocols/{input,output}/*.json``) ship in botocore's source
distribution, not in its wheel. The first run downloads the sdist (``pip download``, which uses
the machine's package index; else PyPI's JSON API, checked against the sha256 it publishes), and
extracts the vectors into ``$HEADWATER_CACHE/botocore-<version>/`` (default
``~/.cache/headwater``): the vector files and the ignore list. Later runs reuse them.
Nothing here is committed. Writes go through a temporary name and ``os.replace`` so that xdist
workers collecting at once never see half a file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import botocore

PROTOCOLS_DIR = "tests/unit/protocols"
IGNORE_LIST = "protocol-tests-ignore-list.json"


def cache_dir() -> Path:
    root = os.environ.get("HEADWATER_CACHE") or os.path.join(Path.home(), ".cache", "headwater")
    return Path(root) / f"botocore-{botocore.__version__}"


def _pip_download(version: str) -> bytes:
    """The sdist through pip, which honours the machine's index configuration (and checks hashes)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", f"botocore=={version}"]
        command += ["--no-binary", ":all:", "--no-deps", "-d", tmp, "-q"]
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        found = list(Path(tmp).glob("botocore-*.tar.gz"))
        if not found:
            raise RuntimeError(f"pip downloaded no sdist of botocore {version}")
        return found[0].read_bytes()


def _pypi_download(version: str) -> bytes:
    """The sdist from PyPI's JSON API, checked against the sha256 it publishes."""
    with urllib.request.urlopen(f"https://pypi.org/pypi/botocore/{version}/json", timeout=30) as response:
        info = json.load(response)
    for entry in info["urls"]:
        if entry["packagetype"] == "sdist":
            with urllib.request.urlopen(entry["url"], timeout=120) as sdist:
                data: bytes = sdist.read()
            if hashlib.sha256(data).hexdigest() != entry["digests"]["sha256"]:
                raise RuntimeError(f"botocore sdist {entry['url']}: sha256 mismatch")
            return data
    raise RuntimeError(f"PyPI lists no sdist for botocore {version}")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def ensure_vectors() -> Path:
    """The directory holding ``input/``, ``output/`` and the ignore list; downloads on first use.

    Raises OSError/RuntimeError when the sdist cannot be had (no network, no such release).
    """
    root = cache_dir() / "protocols"
    marker = root / ".complete"
    if marker.exists():
        return root
    try:
        data = _pip_download(botocore.__version__)
    except (OSError, RuntimeError, subprocess.SubprocessError):
        data = _pypi_download(botocore.__version__)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) != 2 or not parts[1].startswith(PROTOCOLS_DIR + "/") or not member.isfile():
                continue
            relative = parts[1][len(PROTOCOLS_DIR) + 1 :]
            if relative != IGNORE_LIST and not (
                relative.count("/") == 1 and relative.split("/")[0] in ("input", "output")
            ):
                continue  # legacy/ and anything else: not part of this suite
            extracted = archive.extractfile(member)
            if extracted is not None:
                _atomic_write(root / relative, extracted.read())
    _atomic_write(marker, b"")
    return root


@dataclass(frozen=True)
class Case:
    """One vector: `file` is the file's stem (``rest-json``), `kind` "input" or "output"."""

    file: str
    kind: str
    suite: str  # the suite's description, which botocore's ignore list names
    description: dict[str, Any]  # the suite minus its cases: metadata, shapes...
    case: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.case["id"])

    @property
    def test_id(self) -> str:
        return f"{self.file}:{self.kind}:{self.name}"


def load_cases(root: Path, files: tuple[str, ...]) -> list[Case]:
    cases: list[Case] = []
    for kind in ("input", "output"):
        for stem in files:
            path = root / kind / f"{stem}.json"
            if not path.exists():
                continue
            for suite in json.loads(path.read_text(encoding="utf-8")):
                description = {k: v for k, v in suite.items() if k != "cases"}
                for case in suite["cases"]:
                    cases.append(Case(stem, kind, suite["description"], description, case))
    return cases


def ignore_list(root: Path) -> dict[str, Any]:
    path = root / IGNORE_LIST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}  # type: ignore[no-any-return]
