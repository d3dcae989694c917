"""SQS digests checked by a client that checks them: the AWS SDK for JavaScript v3.

boto3 never verifies MD5OfMessageBody or MD5OfMessageAttributes; the JavaScript SDK rejects a wrong
body digest, and the node script (tests/e2e/js/sqs_digests.mjs) recomputes the attribute digests
from what it sent and what it received. `make test` installs the SDK with `npm ci` from the
committed lockfile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).parents[1] / "js"
SCRIPT = JS / "sqs_digests.mjs"


def test_javascript_sdk_accepts_every_digest(endpoint: str) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript SDK digest check needs Node.js >= 20")
    if not (JS / "node_modules" / "@aws-sdk" / "client-sqs").is_dir():
        pytest.fail(f"@aws-sdk/client-sqs is not installed: run `npm ci --prefix {JS}` (make test does)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
    done = subprocess.run(
        [node, "--no-warnings", str(SCRIPT), endpoint],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=JS,
    )
    assert done.returncode == 0, f"stdout: {done.stdout}\nstderr: {done.stderr}"
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["failures"] == []
    assert summary["checks"] >= 150  # the stub self-check, sends, and six filtered receives of six messages
