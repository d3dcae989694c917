"""Firehose's non-S3 destinations: HTTP endpoint, Splunk HEC, OpenSearch `_bulk` and Redshift (as
any PostgreSQL server). Each is a class built from its destination configuration dict and the
clock, with `async def deliver(records, stream_arn) -> list[Failure]`; Redshift also has
`deliver_object(bucket, key)` for the staged object AWS copies from."""

from headwater.services.firehose.destinations.http_endpoint import HttpEndpointDestination
from headwater.services.firehose.destinations.opensearch import OpenSearchDestination
from headwater.services.firehose.destinations.redshift import ErrorManifest, RedshiftDestination
from headwater.services.firehose.destinations.retry import DestinationFailure
from headwater.services.firehose.destinations.splunk import SplunkDestination

__all__ = [
    "DestinationFailure",
    "ErrorManifest",
    "HttpEndpointDestination",
    "OpenSearchDestination",
    "RedshiftDestination",
    "SplunkDestination",
]
