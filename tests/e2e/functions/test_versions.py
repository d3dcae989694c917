"""Versions and aliases end to end: immutable published versions, qualified invokes and ARNs,
weighted alias routing, and Lambda's errors around them."""

from __future__ import annotations

import base64
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.functions.support import ensure_role, invoke, python_function, zipped
from tests.e2e.support.clients import client_for
from tests.e2e.support.server import durable_server

SOURCE = """
import os

def handler(event, context):
    return {{
        "code": "{label}",
        "version": os.environ["AWS_LAMBDA_FUNCTION_VERSION"],
        "arn": context.invoked_function_arn,
    }}
"""


def _error(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value.response["Error"]


def _update_code(lam: Any, name: str, label: str) -> None:
    lam.update_function_code(FunctionName=name, ZipFile=zipped({"app.py": SOURCE.format(label=label)}))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.2})


def test_published_versions_are_immutable_snapshots(lam: Any, role: str) -> None:
    python_function(lam, "ver", SOURCE.format(label="one"), role, Description="first")
    first = lam.publish_version(FunctionName="ver", Description="v1")
    assert first["Version"] == "1" and first["FunctionArn"].endswith(":function:ver:1")
    assert first["Description"] == "v1" and first["State"] == "Active"
    # nothing changed since version 1: Lambda answers version 1 again
    assert lam.publish_version(FunctionName="ver")["Version"] == "1"

    _update_code(lam, "ver", "two")
    latest = lam.get_function_configuration(FunctionName="ver")
    wrong = "A" * 43 + "="
    error = _error(lam.publish_version, FunctionName="ver", CodeSha256=wrong)
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith(
        f"CodeSHA256 ({wrong}) is different from current CodeSHA256 in $LATEST"
    )
    error = _error(lam.publish_version, FunctionName="ver", RevisionId="not-the-revision")
    assert error["Code"] == "PreconditionFailedException"
    second = lam.publish_version(
        FunctionName="ver", CodeSha256=latest["CodeSha256"], RevisionId=latest["RevisionId"]
    )
    assert second["Version"] == "2" and second["Description"] == "first"

    for qualifier, code in (("1", "one"), ("2", "two"), ("$LATEST", "two")):
        answer, body = invoke(lam, "ver", Qualifier=qualifier, LogType="Tail")
        assert answer["ExecutedVersion"] == qualifier
        assert body["code"] == code and body["version"] == qualifier
        assert body["arn"].endswith(f":function:ver:{qualifier}")
        assert f"Version: {qualifier}" in base64.b64decode(answer["LogResult"]).decode()
    arn = lam.get_function(FunctionName="ver")["Configuration"]["FunctionArn"]
    answer, body = invoke(lam, f"{arn}:1")
    assert answer["ExecutedVersion"] == "1" and body["code"] == "one"

    config = lam.get_function_configuration(FunctionName="ver", Qualifier="1")
    assert config["Version"] == "1" and config["CodeSha256"] == first["CodeSha256"]
    assert lam.get_function(FunctionName="ver:2")["Configuration"]["Version"] == "2"
    error = _error(lam.get_function, FunctionName="ver", Qualifier="7")
    assert error["Code"] == "ResourceNotFoundException" and error["Message"].endswith(":function:ver:7")

    seen, marker = [], None
    while True:
        page = lam.list_versions_by_function(
            FunctionName="ver", MaxItems=1, **({"Marker": marker} if marker else {})
        )
        seen += [v["Version"] for v in page["Versions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert seen == ["$LATEST", "1", "2"]

    error = _error(lam.delete_function, FunctionName="ver", Qualifier="$LATEST")
    assert error["Code"] == "InvalidParameterValueException"
    lam.delete_function(FunctionName="ver", Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="ver")["Versions"]] == [
        "$LATEST",
        "2",
    ]
    # numbers are never reused: the next version after a change is 3
    lam.update_function_configuration(FunctionName="ver", Timeout=7)
    lam.get_waiter("function_updated_v2").wait(FunctionName="ver", WaiterConfig={"Delay": 0.2})
    assert lam.publish_version(FunctionName="ver")["Version"] == "3"
    lam.delete_function(FunctionName="ver")
    assert _error(lam.get_function, FunctionName="ver", Qualifier="2")["Code"] == "ResourceNotFoundException"


def test_aliases_point_at_versions_and_split_by_weight(lam: Any, role: str) -> None:
    python_function(lam, "aliased", SOURCE.format(label="one"), role)
    lam.publish_version(FunctionName="aliased")
    _update_code(lam, "aliased", "two")
    lam.publish_version(FunctionName="aliased")

    created = lam.create_alias(FunctionName="aliased", Name="live", FunctionVersion="1", Description="prod")
    assert created["AliasArn"].endswith(":function:aliased:live") and created["FunctionVersion"] == "1"
    assert lam.get_alias(FunctionName="aliased", Name="live")["Description"] == "prod"
    lam.create_alias(FunctionName="aliased", Name="edge", FunctionVersion="$LATEST")
    assert [a["Name"] for a in lam.list_aliases(FunctionName="aliased")["Aliases"]] == ["edge", "live"]
    assert [a["Name"] for a in lam.list_aliases(FunctionName="aliased", FunctionVersion="1")["Aliases"]] == [
        "live"
    ]

    answer, body = invoke(lam, "aliased", Qualifier="live")
    assert answer["ExecutedVersion"] == "1" and body["code"] == "one" and body["version"] == "1"
    assert body["arn"].endswith(":function:aliased:live")
    answer, body = invoke(lam, "aliased:edge")
    assert answer["ExecutedVersion"] == "$LATEST" and body["code"] == "two"
    assert lam.get_function_configuration(FunctionName="aliased", Qualifier="live")["Version"] == "1"

    errors = [
        _error(lam.create_alias, FunctionName="aliased", Name="live", FunctionVersion="2"),
        _error(lam.create_alias, FunctionName="aliased", Name="123", FunctionVersion="2"),
        _error(lam.create_alias, FunctionName="aliased", Name="nine", FunctionVersion="9"),
        _error(
            lam.create_alias,
            FunctionName="aliased",
            Name="split",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        ),
        _error(lam.get_alias, FunctionName="aliased", Name="absent"),
        _error(lam.delete_function, FunctionName="aliased", Qualifier="1"),
        _error(lam.update_alias, FunctionName="aliased", Name="live", RevisionId="stale"),
    ]
    assert [e["Code"] for e in errors] == [
        "ResourceConflictException",
        "ValidationException",
        "ResourceNotFoundException",
        "InvalidParameterValueException",
        "ResourceNotFoundException",
        "ResourceConflictException",
        "PreconditionFailedException",
    ]
    assert errors[0]["Message"].startswith("Alias already exists: arn:aws:lambda:")
    assert errors[4]["Message"].endswith(":function:aliased:absent")
    assert (
        errors[5]["Message"] == "Unable to delete version because the following aliases reference it: [live]"
    )

    revision = lam.get_alias(FunctionName="aliased", Name="live")["RevisionId"]
    updated = lam.update_alias(
        FunctionName="aliased",
        Name="live",
        FunctionVersion="2",
        RevisionId=revision,
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
    )
    assert updated["RoutingConfig"] == {"AdditionalVersionWeights": {"1": 0.5}}
    ran = Counter(invoke(lam, "aliased", Qualifier="live")[0]["ExecutedVersion"] for _ in range(80))
    # a fair coin 80 times: fewer than 15 of either side has odds below one in a million
    assert set(ran) == {"1", "2"} and min(ran.values()) >= 15, ran

    lam.update_alias(FunctionName="aliased", Name="live", RoutingConfig={})
    assert "RoutingConfig" not in lam.get_alias(FunctionName="aliased", Name="live")
    lam.delete_alias(FunctionName="aliased", Name="live")
    lam.delete_function(FunctionName="aliased", Qualifier="1")
    assert [a["Name"] for a in lam.list_aliases(FunctionName="aliased")["Aliases"]] == ["edge"]


def test_versions_aliases_and_layers_survive_kill_9(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    server = durable_server(data, "--transition-delay", "0").start()
    try:
        lam = client_for(server.endpoint, "lambda")
        role = ensure_role(lambda service: client_for(server.endpoint, service))
        layer = lam.publish_layer_version(
            LayerName="kept", Content={"ZipFile": zipped({"python/kept.py": "WHAT = 'layer'\n"})}
        )
        source = "import kept\n\ndef handler(event, context):\n    return kept.WHAT\n"
        python_function(lam, "durable", source, role, Layers=[layer["LayerVersionArn"]])
        lam.publish_version(FunctionName="durable")
        lam.create_alias(FunctionName="durable", Name="live", FunctionVersion="1")
    finally:
        server.kill()
    server = durable_server(data, "--transition-delay", "0").start()
    try:
        lam = client_for(server.endpoint, "lambda")
        answer, body = invoke(lam, "durable", Qualifier="live")
        assert answer["ExecutedVersion"] == "1" and body == "layer"
        assert lam.get_layer_version(LayerName="kept", VersionNumber=1)["Version"] == 1
        assert [v["Version"] for v in lam.list_versions_by_function(FunctionName="durable")["Versions"]] == [
            "$LATEST",
            "1",
        ]
    finally:
        server.stop()
