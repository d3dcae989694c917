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


@cache
def query_model(service: str) -> ServiceModel:
    """`service`'s model as the AWS Query protocol spells it (``overlays/<service>.json`` applied).

    Raises KeyError for a service without a Query overlay.
    """
    overlay = query_compat.overlay(service)
    if overlay is None:
        raise KeyError(f"{service} has no Query protocol overlay")
    description = query_compat.apply(_loader.load_service_model(service, "service-2"), overlay.query)
    return ServiceModel(description, service_name=service)
