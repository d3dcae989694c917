"""Smithy RPC v2 CBOR (Snowball...) as a `modeled.Wire`: the codec in
`headwater.protocol.rpcv2_cbor`, the operation from the request path the classifier read.

Every answer carries ``smithy-protocol: rpc-v2-cbor``; errors are CBOR maps with ``__type`` at the
error shape's HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import OperationModel, ServiceModel

from headwater.listeners.http.modeled import Answer, modeled_status, unknown_operation
from headwater.protocol import rpcv2_cbor
from headwater.protocol.classify import Classified, Request
from headwater.protocol.errors import AwsError


class RpcV2Wire:
    protocol = "rpc-v2-cbor"

    def __init__(self, model: ServiceModel) -> None:
        self.model = model

    def parse(
        self, routed: Classified, request: Request, body: bytes
    ) -> tuple[OperationModel, dict[str, Any]]:
        if routed.operation not in self.model.operation_names:
            raise unknown_operation()
        op = self.model.operation_model(routed.operation)
        return op, rpcv2_cbor.parse_request(op, body)

    def render(self, op: OperationModel, result: Mapping[str, Any]) -> Answer:
        return rpcv2_cbor.serialize_response(op, result)

    def error(self, error: AwsError) -> Answer:
        status, headers, body = rpcv2_cbor.serialize_error(
            self.model, error.code, error.message, error.details or None, modeled_status(self.model, error)
        )
        return status, headers + list(error.headers.items()), body
