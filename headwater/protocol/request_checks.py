"""How a parsed AWS JSON/CBOR or Query request is checked before a service sees it.

Two rules, by the service's model. A plain JSON service (Kinesis) validates every constraint of the
input shape up front, with AWS's "1 validation error detected" messages. An awsQueryCompatible one
(SQS) words type errors the way its JSON front end does and checks only that required members are
present (MissingRequiredParameterException): the rest is the service's own validation, as in AWS.
The gateway, the hand-tuned fast paths and the REST-JSON and RPC v2 CBOR handlers all check
through here, so they cannot drift apart.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from botocore.model import OperationModel

from headwater.protocol import json_codec, query_compat
from headwater.protocol.errors import AwsError
from headwater.protocol.validation import java_namespace, validate


def parse_json(op: OperationModel, body: bytes, codec: ModuleType = json_codec) -> dict[str, Any]:
    """The checked params of a JSON (or CBOR, with `codec`) request body for `op`."""
    if not op.service_model.is_query_compatible:
        params: dict[str, Any] = codec.parse_request(op, body)
        if op.input_shape is not None:
            validate(op.input_shape, params, namespace=java_namespace(op.service_model))
        return params
    try:
        params = codec.parse_request(op, body)
    except AwsError as error:
        error.message = query_compat.token_type_message(error.message)
        raise
    require_members(op, params, query=False)
    return params


# Services that answer bad input (a model-constraint failure, a value that does not parse) under
# one code of their own, the message kept: AWS IoT (`iot`, `iot-data`) says InvalidRequestException
# "1 validation error detected: Value ... at 'thingName' failed to satisfy constraint: ..." (seen
# in SDK issues against the live service); neither model has Validation/SerializationException.
# Keyed by signing name (`iot`, `iotdata`): models without an endpointPrefix have no service name.
INVALID_INPUT_CODES = {"iot": "InvalidRequestException", "iotdata": "InvalidRequestException"}


def as_invalid_input(op: OperationModel, error: AwsError) -> AwsError:
    """`error` (ValidationException, SerializationException) under the code `op`'s service gives bad
    input, where `INVALID_INPUT_CODES` names one."""
    if error.code in ("ValidationException", "SerializationException"):
        error.code = INVALID_INPUT_CODES.get(op.service_model.metadata.get("signingName", ""), error.code)
    return error


def check(op: OperationModel, params: dict[str, Any]) -> None:
    """The same rule for params a protocol already parsed (REST-JSON, RPC v2 CBOR)."""
    if op.service_model.is_query_compatible:
        require_members(op, params, query=False)
    elif op.input_shape is not None:
        try:
            validate(op.input_shape, params, namespace=java_namespace(op.service_model))
        except AwsError as error:
            raise as_invalid_input(op, error) from None


def require_members(op: OperationModel, params: dict[str, Any], *, query: bool) -> None:
    """MissingRequiredParameterException for the first required member `params` lacks."""
    if op.input_shape is None:
        return
    missing = query_compat.missing_member(op.input_shape, params, query=query)
    if missing is not None:
        raise AwsError(
            "MissingRequiredParameterException", f"The request must contain the parameter {missing}."
        )
