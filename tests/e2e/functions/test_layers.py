"""Layers end to end: publishing (inline and from S3), listing with filters, and functions whose
workers import from their layers (Python) or run a `provided` bootstrap shipped in one."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.functions.support import invoke, python_function, zipped

USES_LAYERS = """
import shared
import helper

def handler(event, context):
    return {"shared": shared.WHO, "helper": helper.greet(event.get("name", "you"))}
"""


def _error(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def test_layers_are_published_listed_and_imported_in_order(lam: Any, role: str, s3: Any) -> None:
    first = lam.publish_layer_version(
        LayerName="libs",
        Description="helpers",
        Content={
            "ZipFile": zipped(
                {
                    "python/shared.py": "WHO = 'libs'\n",
                    "python/helper.py": "def greet(n):\n    return 'hi ' + n\n",
                }
            )
        },
        CompatibleRuntimes=["python3.11", "python3.12"],
        CompatibleArchitectures=["x86_64"],
        LicenseInfo="MIT",
    )
    assert first["Version"] == 1 and first["LayerVersionArn"] == first["LayerArn"] + ":1"
    assert first["Content"]["CodeSize"] > 0 and first["LicenseInfo"] == "MIT"
    s3.create_bucket(Bucket="layer-src")
    s3.put_object(
        Bucket="layer-src", Key="override.zip", Body=zipped({"python/shared.py": "WHO = 'override'\n"})
    )
    second = lam.publish_layer_version(
        LayerName="override",
        Content={"S3Bucket": "layer-src", "S3Key": "override.zip"},
        CompatibleRuntimes=["nodejs20.x"],
    )
    assert second["Version"] == 1

    got = lam.get_layer_version(LayerName="libs", VersionNumber=1)
    assert got["Content"]["CodeSha256"] == first["Content"]["CodeSha256"] and got["Description"] == "helpers"
    assert lam.get_layer_version_by_arn(Arn=second["LayerVersionArn"])["LayerArn"] == second["LayerArn"]
    assert [x["LayerName"] for x in lam.list_layers()["Layers"]] == ["libs", "override"]
    listed = lam.list_layers(CompatibleRuntime="python3.12")["Layers"]
    assert [(x["LayerName"], x["LatestMatchingVersion"]["Version"]) for x in listed] == [("libs", 1)]
    assert lam.list_layers(CompatibleArchitecture="arm64")["Layers"] == []
    lam.publish_layer_version(LayerName="libs", Content={"ZipFile": zipped({"python/unused.py": ""})})
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="libs")["LayerVersions"]] == [2, 1]
    assert [
        v["Version"]
        for v in lam.list_layer_versions(LayerName="libs", CompatibleRuntime="python3.11")["LayerVersions"]
    ] == [1]

    # the later layer wins where both have a file, as in AWS's /opt
    layers = [first["LayerVersionArn"], second["LayerVersionArn"]]
    created = python_function(lam, "layered", USES_LAYERS, role, Layers=layers)
    assert [x["Arn"] for x in created["Layers"]] == layers and created["Layers"][0]["CodeSize"] > 0
    _, body = invoke(lam, "layered", {"name": "ann"})
    assert body == {"shared": "override", "helper": "hi ann"}

    missing = first["LayerArn"] + ":9"
    error = _error(lam.update_function_configuration, FunctionName="layered", Layers=[missing])
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"] == f"Layer version {missing} does not exist."
    error = _error(lam.update_function_configuration, FunctionName="layered", Layers=[layers[0]] * 6)
    assert error["Code"] == "InvalidParameterValueException"

    # a deleted layer version is gone from the API but functions using it keep working
    lam.delete_layer_version(LayerName="libs", VersionNumber=1)
    lam.delete_layer_version(LayerName="libs", VersionNumber=1)  # idempotent
    error = _error(lam.get_layer_version, LayerName="libs", VersionNumber=1)
    assert error["Code"] == "ResourceNotFoundException"
    lam.update_function_configuration(FunctionName="layered", Timeout=9)  # new workers
    lam.get_waiter("function_updated_v2").wait(FunctionName="layered", WaiterConfig={"Delay": 0.2})
    _, body = invoke(lam, "layered", {"name": "bo"})
    assert body == {"shared": "override", "helper": "hi bo"}
    error = _error(lam.update_function_configuration, FunctionName="layered", Layers=[layers[0]])
    assert error["Message"] == f"Layer version {layers[0]} does not exist."
    # numbers are never reused
    again = lam.publish_layer_version(LayerName="libs", Content={"ZipFile": zipped({"python/x.py": ""})})
    assert again["Version"] == 3


def test_provided_bootstrap_from_a_layer_reads_its_files(lam: Any, role: str) -> None:
    bootstrap = """\
    #!/bin/sh
    set -eu
    API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
    DATA="$(cat "$(dirname "$0")/data.txt")"
    while true; do
      HEADERS="$(mktemp)"
      curl -sS -D "$HEADERS" -o /dev/null "$API/invocation/next"
      ID="$(grep -i Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
      curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\\"data\\": \\"$DATA\\"}"
    done
    """
    layer = lam.publish_layer_version(
        LayerName="shell-runtime",
        Content={
            "ZipFile": zipped(
                {"bootstrap": bootstrap, "data.txt": "from the layer"}, executable=("bootstrap",)
            )
        },
    )
    lam.create_function(
        FunctionName="layer-shell",
        Runtime="provided.al2023",
        Role=role,
        Handler="function.handler",
        Code={"ZipFile": zipped({"function.sh": "echo unused\n"})},
        Layers=[layer["LayerVersionArn"]],
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="layer-shell", WaiterConfig={"Delay": 0.2})
    _, body = invoke(lam, "layer-shell", {})
    assert body == {"data": "from the layer"}
