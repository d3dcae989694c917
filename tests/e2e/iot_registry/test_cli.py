"""The AWS CLI drives the registry: create, describe, attach a principal (the header member),
list with paging, and an error's code."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.support.cli import Cli


def test_cli_registry(cli: Callable[..., Cli]) -> None:
    aws = cli("iot")
    aws("create-thing-type", "--thing-type-name", "sensor")
    made = aws(
        "create-thing",
        "--thing-name",
        "probe",
        "--thing-type-name",
        "sensor",
        "--attribute-payload",
        '{"attributes": {"site": "north"}}',
    )
    assert made["thingArn"].endswith(":thing/probe")
    for i in range(5):
        aws("create-thing", "--thing-name", f"extra-{i}")
    seen = aws("describe-thing", "--thing-name", "probe")
    assert seen["thingTypeName"] == "sensor" and seen["attributes"] == {"site": "north"}
    aws(
        "update-thing",
        "--thing-name",
        "probe",
        "--attribute-payload",
        '{"attributes": {"site": "south"}}',
        "--expected-version",
        "1",
    )
    CERT = aws("create-keys-and-certificate")["certificateArn"]  # noqa: N806
    aws("attach-thing-principal", "--thing-name", "probe", "--principal", CERT)
    assert aws("list-thing-principals", "--thing-name", "probe")["principals"] == [CERT]
    assert aws("list-principal-things", "--principal", CERT)["things"] == ["probe"]
    # the CLI pages through everything on its own
    listed = aws("list-things", "--page-size", "2")
    assert [t["thingName"] for t in listed["things"]] == [f"extra-{i}" for i in range(5)] + ["probe"]
    aws("create-thing-group", "--thing-group-name", "field")
    aws("add-thing-to-thing-group", "--thing-group-name", "field", "--thing-name", "probe")
    assert aws("list-things-in-thing-group", "--thing-group-name", "field")["things"] == ["probe"]
    failed = aws.run("describe-thing", "--thing-name", "nothing-here")
    assert failed.returncode != 0 and "ResourceNotFoundException" in failed.stderr
    conflict = aws.run("update-thing", "--thing-name", "probe", "--expected-version", "1")
    assert conflict.returncode != 0 and "VersionConflictException" in conflict.stderr
