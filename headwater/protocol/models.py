"""Loads botocore service models: the contract for every operation, shape and constraint."""

from __future__ import annotations

from functools import cache

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel

from headwater.protocol import query_compat

_loader = Loader()


@cache
def service_model(service: str) -> ServiceModel:
    """The newest botocore model of `service` (e.g. ``kinesis``), loaded once per process."""
    return ServiceModel(_loader.load_service_model(service, "service-2"), service_name=service)


@cache
def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def query_native(service: str) -> bool:
    """True when the botocore model itself speaks AWS Query (STS, IAM), not through an overlay."""
    metadata = service_model(service).metadata
    return "query" in metadata.get("protocols", [metadata.get("protocol")])


def serves_query(service: str) -> bool:
    """True when `service` is spoken in the AWS Query dialect: natively (STS) or by overlay (SQS)."""
    return query_native(service) or query_compat.has_query_overlay(service)


@cache
def query_model(service: str) -> ServiceModel:
    """`service`'s model as the AWS Query protocol spells it: its own for a Query-native service,
    else with its overlay's Query traits applied (``overlays/<service>.json``).

    Raises KeyError for a service that speaks no Query dialect.
    """
    if query_native(service):
        return service_model(service)
    overlay = query_compat.overlay(service)
    if overlay is None or not overlay.query:
        raise KeyError(f"{service} has no Query protocol overlay")
    description = query_compat.apply(_loader.load_service_model(service, "service-2"), overlay.query)
    return ServiceModel(description, service_name=service)
