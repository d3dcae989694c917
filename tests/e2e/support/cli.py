"""The AWS CLI (v1, from the `awscli` test dependency) run against a live server, in an environment
that nothing from the developer's own AWS setup (profiles, endpoints, retries) can leak into."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

AWS = Path(sys.executable).parent / "aws"


class Cli:
    def __init__(self, endpoint: str, home: Path, service: str | None = None, timeout: float = 120) -> None:
        """`service` (e.g. "sqs") is put before every command's arguments, when given."""
        self.endpoint = endpoint
        self.service = service
        self.timeout = timeout
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(home / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
            AWS_MAX_ATTEMPTS="1",
            HOME=str(home),
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        prefix = [self.service] if self.service else []
        command = [str(AWS), "--endpoint-url", self.endpoint, "--output", "json", *prefix, *args]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=self.timeout)

    def ok(self, *args: str) -> str:
        """The command's output; it must succeed."""
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def json(self, *args: str) -> Any:
        out = self.ok(*args)
        return json.loads(out) if out.strip() else None

    __call__ = json
