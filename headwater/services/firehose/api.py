"""The Firehose operations: parameter dicts in (validated against the model), results out."""

from __future__ import annotations

from headwater.services.firehose import control, ingest
from headwater.services.firehose.core import FirehoseCore
from headwater.services.operations import ServiceApi

OPERATIONS = {
    "CreateDeliveryStream": control.create_delivery_stream,
    "DeleteDeliveryStream": control.delete_delivery_stream,
    "DescribeDeliveryStream": control.describe_delivery_stream,
    "ListDeliveryStreams": control.list_delivery_streams,
    "UpdateDestination": control.update_destination,
    "TagDeliveryStream": control.tag_delivery_stream,
    "UntagDeliveryStream": control.untag_delivery_stream,
    "ListTagsForDeliveryStream": control.list_tags_for_delivery_stream,
    "StartDeliveryStreamEncryption": control.start_delivery_stream_encryption,
    "StopDeliveryStreamEncryption": control.stop_delivery_stream_encryption,
    "PutRecord": ingest.put_record,
    "PutRecordBatch": ingest.put_record_batch,
}


def firehose_api(core: FirehoseCore) -> ServiceApi:
    return ServiceApi(core, OPERATIONS)
