"""REST-JSON (Lambda, IoT, iot-data...) as a `modeled.Wire`: the codec in
`headwater.protocol.rest_json`, the operation from the classifier's `RestRouter` match.

Errors carry ``x-amzn-errortype`` and ``__type`` at the error shape's HTTP status; an error's
`details` become the error structure's other members (Lambda's ``Type``: ``User``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel

from headwater.listeners.http.modeled import Answer, modeled_status, unknown_operation
from headwater.protocol import request_checks, rest_json
from headwater.protocol.classify import Classified, Request
from headwater.protocol.errors import AwsError


class RestJsonWire:
    protocol = "rest-json"

    def __init__(self, model: ServiceModel) -> None:
        self.model = model

    def parse(
        self, routed: Classified, request: Request, body: bytes
    ) -> tuple[OperationModel, dict[str, Any]]:
        if routed.operation is None:  # signed for this service, but no route of its model fits
            raise unknown_operation()
        op = self.model.operation_model(routed.operation)
        try:
            return op, rest_json.parse_request(op, routed.labels, request.query, request.headers, body)
        except AwsError as error:
            raise request_checks.as_invalid_input(op, error) from None

    def render(self, op: OperationModel, result: Mapping[str, Any]) -> Answer:
        status, headers, body = rest_json.serialize_response(op, result)
        if body is None:
            raise TypeError(f"{op.name}: streamed payloads are not served yet")
        return status, headers, body

    def error(self, error: AwsError) -> Answer:
        status, headers, body = rest_json.serialize_error(
            self.model, error.code, error.message, error.details or None, modeled_status(self.model, error)
        )
        return status, headers + list(error.headers.items()), body
