"""Build the AWS CLI v2 the tests run (`aws logs tail --follow`, the README with v2), from Debian's
archive and PyPI, the two places this project's CI reaches (AWS's own installer is not one of them;
PyPI's `awscli` is v1).

Theory of operation:
- Debian packages the CLI v2 as `awscli`, a pure-Python .deb (architecture `all`) whose
  `usr/lib/python3/dist-packages/awscli` is the whole CLI with its botocore and s3transfer vendored.
  We take trixie's (Debian 13), 2.23.6: it reads `AWS_ENDPOINT_URL` (v2.13+), which the README's
  examples use, where bookworm's 2.9.19 (what `apt-get download awscli` gives on Debian 12) does not.
  The file is fetched from the pool by its path and checked against the pinned SHA-256 (which is the
  one trixie's signed index lists), so neither apt, nor root, nor a Debian host is needed.
- The .deb is an `ar` archive holding `data.tar.xz`; both are read with the standard library.
- Its Python dependencies come from PyPI, pinned (with theirs) in awscli-v2-requirements.txt, into a
  venv of their own; the CLI's package is copied into that venv, and `pip check` confirms the pins
  satisfy the CLI's own Requires-Dist. `aws` is a wrapper running `python -m awscli` in that venv.
- Everything lives under CACHE/<deb version>/, built where it stays (a venv is not relocatable) and
  marked complete by a `.complete` file written last: a run is a no-op once built, and a folder
  without the mark (an interrupted run) is removed and built again. CACHE/aws is a symlink to the
  current version's wrapper, the path `make test` gives the tests.
- If it cannot be built (offline, no pip...), the reason goes to CACHE/unavailable and the exit status
  is 1; the tests that need v2 then skip, quoting it.

Usage: python tests/tools/awscli_v2.py [CACHE]   (default .cache/awscli-v2)
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path

DEB_VERSION = "2.23.6-1"
DEB_PATH = f"pool/main/a/awscli/awscli_{DEB_VERSION}_all.deb"
DEB_SHA256 = "09645cccbeece0553786ea7532d28901a9e7375d761fe5676490dbb4e7180569"
MIRROR = os.environ.get("HEADWATER_DEBIAN_MIRROR", "http://deb.debian.org/debian")
REQUIREMENTS = Path(__file__).with_name("awscli-v2-requirements.txt")
PACKAGE_DIR = "usr/lib/python3/dist-packages/"


class Unavailable(Exception):
    """Why the CLI cannot be built here."""


def fetch_deb() -> bytes:
    url = f"{MIRROR}/{DEB_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            body: bytes = response.read()
    except OSError as error:
        raise Unavailable(f"cannot download {url}: {error}") from error
    digest = hashlib.sha256(body).hexdigest()
    if digest != DEB_SHA256:
        raise Unavailable(f"{url} has SHA-256 {digest}, not the pinned {DEB_SHA256}")
    return body


def ar_members(archive: bytes) -> dict[str, bytes]:
    """The members of an `ar` archive (a .deb's outer format): 60-byte headers, 2-byte aligned."""
    if not archive.startswith(b"!<arch>\n"):
        raise Unavailable("the .deb is not an ar archive")
    members, offset = {}, 8
    while offset + 60 <= len(archive):
        header = archive[offset : offset + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        members[name] = archive[offset + 60 : offset + 60 + size]
        offset += 60 + size + (size % 2)
    return members


def extract_package(deb: bytes, site_packages: Path) -> None:
    """Copy the deb's Python package (awscli/ and its dist-info) into site-packages."""
    data = next((v for k, v in ar_members(deb).items() if k.startswith("data.tar")), None)
    if data is None:
        raise Unavailable("the .deb has no data.tar member")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("./")
            if name.startswith(PACKAGE_DIR) and len(name) > len(PACKAGE_DIR):
                member.name = name.removeprefix(PACKAGE_DIR)
                tar.extract(member, site_packages, filter="data")


def run(*command: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        output = "\n".join(
            line for line in (done.stdout + done.stderr).splitlines() if "is ignored" not in line
        )
        raise Unavailable(f"`{' '.join(command)}` exited {done.returncode}:\n{output[-2000:]}")


def build(target: Path) -> None:
    deb = fetch_deb()
    run(sys.executable, "-m", "venv", str(target))
    python = target / "bin" / "python"
    run(str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(REQUIREMENTS))
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    extract_package(deb, Path(purelib))
    run(str(python), "-m", "pip", "check")
    wrapper = target / "bin" / "aws"
    wrapper.write_text(f'#!/bin/sh\nexec "{python}" -m awscli "$@"\n')
    wrapper.chmod(0o755)
    run(str(wrapper), "--version")


def main(cache: Path) -> int:
    cache = cache.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / DEB_VERSION
    unavailable = cache / "unavailable"
    started = time.monotonic()
    if not (final / ".complete").exists():
        shutil.rmtree(final, ignore_errors=True)
        try:
            build(final)
        except Unavailable as reason:
            unavailable.write_text(f"{reason}\n")
            print(f"AWS CLI v2 not built (the tests that need it skip): {reason}", file=sys.stderr)
            shutil.rmtree(final, ignore_errors=True)
            return 1
        (final / ".complete").touch()
        print(f"AWS CLI v2 {DEB_VERSION} built in {time.monotonic() - started:.0f}s: {final}/bin/aws")
    link = cache / "aws"
    link.unlink(missing_ok=True)
    link.symlink_to(Path(DEB_VERSION) / "bin" / "aws")
    unavailable.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/awscli-v2")))
