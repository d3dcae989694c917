"""A Node.js function under AWS's npm aws-lambda-ric (installed for the tests in tests/e2e/js, or
named by HEADWATER_TEST_NODE_RIC); skipped where Node.js or the package is missing."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.functions.support import ROLE, ensure_role, invoke, zipped
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import Server

JS = Path(__file__).parents[1] / "js" / "node_modules" / "aws-lambda-ric"
RIC = Path(os.environ.get("HEADWATER_TEST_NODE_RIC", JS))
HANDLER = """
export const handler = async (event, context) => {
  console.log("hello from", context.functionName);
  if (event.fail) throw new TypeError("bad event");
  return { got: event, name: context.functionName, left: context.getRemainingTimeInMillis() > 0 };
};
"""


@pytest.fixture(scope="module")
def node_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if shutil.which("node") is None or not (RIC / "index.mjs").is_file():
        pytest.skip("needs node and aws-lambda-ric (make installs it into tests/e2e/js)")
    data = tmp_path_factory.mktemp("node") / "data"
    data.mkdir()
    server = Server(
        data, "--durability", "memory", "--transition-delay", "0", env={"HEADWATER_NODE_RIC": str(RIC)}
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_node_function(node_server: Server) -> None:
    lam = client_for(node_server.endpoint, "lambda")
    ensure_role(lambda service: client_for(node_server.endpoint, service))
    lam.create_function(
        FunctionName="node", Runtime="nodejs20.x", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": zipped({"index.mjs": HANDLER})},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="node", WaiterConfig={"Delay": 0.2})
    answer, body = invoke(lam, "node", {"x": 1}, LogType="Tail")
    assert body == {"got": {"x": 1}, "name": "node", "left": True}
    assert "hello from node" in base64.b64decode(answer["LogResult"]).decode()
    answer, body = invoke(lam, "node", {"fail": True})
    assert answer["FunctionError"] == "Unhandled"
    assert body["errorType"] == "TypeError" and body["errorMessage"] == "bad event"
