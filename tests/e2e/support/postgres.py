"""A real PostgreSQL server for tests: `initdb` into a temporary directory, `pg_ctl start` on a
free loopback port (password authentication, its Unix socket inside that directory), stopped and
removed at the end. PostgreSQL refuses to run as root, so under root (containers, CI) the server
runs as the `postgres` user when there is one, else as `nobody`. The binaries come from PATH or
`pg_config --bindir`; `find_bindir()` says why not when none is installed, and the fixtures skip
quoting it."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.support.server import free_port


def find_bindir() -> tuple[Path | None, str]:
    """(the directory holding initdb and pg_ctl, or None with the reason)."""
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True)
            candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir, ""
    return None, (
        "no PostgreSQL server binaries (initdb, pg_ctl) on PATH, in `pg_config --bindir` or "
        "/usr/lib/postgresql/*/bin: install PostgreSQL (e.g. apt-get install postgresql)"
    )


def _run_as() -> dict[str, Any]:
    """subprocess arguments that drop root for the server's processes."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root with neither a postgres nor a nobody user")


@dataclass
class Postgres:
    bindir: Path
    root: Path | None = None
    port: int = 0
    user: str = "headwater"
    password: str = "headwater-secret"
    database: str = "postgres"

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    def start(self, timeout: float = 60.0) -> Postgres:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="headwater-pg-"))
        run_as = _run_as()
        if run_as:
            os.chown(self.root, run_as["user"], run_as["group"])
        pwfile = self.root / "pgpass.txt"
        pwfile.write_text(self.password)
        env = {**os.environ, "LC_ALL": "C"}
        subprocess.run(
            [str(self.bindir / "initdb"), "-D", str(self.data_dir), "-U", self.user,
             "--pwfile", str(pwfile), "-A", "md5", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, env=env, cwd=self.root, **run_as,
        )  # fmt: skip
        options = f"-p {self.port} -h 127.0.0.1 -k {self.data_dir} -F"
        subprocess.run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
             "-l", str(self.root / "postgres.log"), "-w", "-t", str(int(timeout)),
             "start"],
            check=True, capture_output=True, env=env, cwd=self.root, **run_as,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.connect().close()
                return self
            except Exception:  # noqa: BLE001 - not accepting connections yet
                time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not accept connections in time")

    def stop(self) -> None:
        if self.root is None:
            return
        subprocess.run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"],
            capture_output=True, cwd=self.root, **_run_as(),
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def connect(self) -> Any:
        import psycopg2

        return psycopg2.connect(
            host="127.0.0.1", port=self.port, dbname=self.database,
            user=self.user, password=self.password,
        )  # fmt: skip

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:redshift://127.0.0.1:{self.port}/{self.database}"

    def execute(self, statement: str, *params: object) -> list[tuple[object, ...]]:
        connection = self.connect()
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(statement, params or None)
                return list(cursor.fetchall()) if cursor.description else []
        finally:
            connection.close()
