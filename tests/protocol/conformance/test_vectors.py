"""botocore's protocol compliance vectors, run in reverse against Headwater's server-side codecs.

Input vectors: botocore serialized `params` into `serialized`; Headwater's request parser must
read `serialized` back into `params`. Output vectors: Headwater renders `result` (or the error),
and botocore's own response parser must read back `result` (or `errorCode`/`errorMessage` and
the error's members). Models are built per case from its `metadata`, `shapes` and `given`, the
way botocore's tests/unit/test_protocols.py builds them. See `vectors` for the download and
`exclusions` for what does not run.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.model import NoShapeFoundError, OperationModel, ServiceModel
from botocore.parsers import create_parser

from tests.protocol.conformance import adapters, exclusions, vectors
from tests.protocol.conformance.normalize import canon, prune, to_result


def _collect() -> list[Any]:
    try:
        root = vectors.ensure_vectors()
    except Exception as exc:  # no network, no such release on PyPI...
        reason = f"botocore {vectors.botocore.__version__} sdist unavailable: {exc!r}"
        return [pytest.param(None, id="vectors-unavailable", marks=pytest.mark.skip(reason=reason))]
    ignore = vectors.ignore_list(root)
    params = []
    for case in vectors.load_cases(root, exclusions.FILES):
        why = exclusions.reason(case.test_id, case.suite, ignore)
        marks = [pytest.mark.skip(reason=why)] if why else []
        params.append(pytest.param(case, id=case.test_id, marks=marks))
    return params


def _operation(case: vectors.Case) -> OperationModel:
    description = copy.deepcopy(case.description)
    given = copy.deepcopy(case.case["given"])
    name = given.get("name", "OperationName")
    description["operations"] = {name: given}
    return ServiceModel(description).operation_model(name)


def _error_shape(op: OperationModel, code: str) -> str:
    """The name of the error shape a service raises to be read as `code`."""
    model = op.service_model
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.metadata.get("exception") and (
            name == code or shape.metadata.get("error", {}).get("code") == code
        ):
            return name
    return code


@pytest.mark.parametrize("case", _collect())
def test_vector(case: vectors.Case) -> None:
    op = _operation(case)
    protocol = op.service_model.metadata["protocol"]
    data = case.case
    if case.kind == "input":
        params = adapters.parse_input(protocol, op, data["serialized"])
        # A request cannot carry None, nor tell an empty list or map from an absent one.
        assert prune(canon(op.input_shape, params)) == prune(canon(op.input_shape, data["params"]))
        return
    parser = create_parser(protocol)
    if "error" in data or "errorCode" in data:
        code = data.get("errorCode", "")
        shape_name = _error_shape(op, code)
        fields = dict(data.get("error", {}))
        response = adapters.render_error(protocol, op, shape_name, code, data.get("errorMessage", ""), fields)
        parsed = parser.parse(response, op.output_shape)
        assert parsed["Error"]["Code"] == code, parsed
        assert parsed["Error"].get("Message", "") == data.get("errorMessage", ""), parsed
        try:
            error_shape = op.service_model.shape_for(shape_name)
        except NoShapeFoundError:
            return
        members = parser.parse(response, error_shape)
        members.pop("ResponseMetadata", None)
        members.pop("Error", None)
        assert canon(error_shape, members) == canon(error_shape, data.get("error", {}))
        return
    shape = op.output_shape
    if protocol == "query" and shape is not None and shape.members:
        # The vectors' models lack the wrapper element every real Query model names (botocore's
        # own runner sets it the same way).
        shape.serialization["resultWrapper"] = f"{op.name}Result"
    response = adapters.render_output(protocol, op, to_result(shape, data["result"]))
    parsed = parser.parse(response, shape)
    parsed.pop("ResponseMetadata", None)
    assert canon(shape, parsed) == canon(shape, data["result"])
