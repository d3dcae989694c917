"""UpdateStreamRecordDistributionStrategy: how an on-demand stream places records on shards.

USER_PARTITION_KEY (the default) routes each record by the MD5 of its partition key (or its
ExplicitHashKey) and requires a key; AUTO ignores both and spreads records evenly, so producers may
omit the key (records.py routes, state.Stream.auto_distributed says which applies). Provisioned
streams have no strategy: setting AUTO on one is refused. The change applies to records that arrive
after it; records already stored keep their shards.
"""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kinesis import errors
from headwater.services.kinesis.service import KinesisCore


async def update_record_distribution_strategy(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("UpdateStreamRecordDistributionStrategy", ctx.account)
    stream = core.find_arn(params["StreamARN"], ctx)
    if stream.status != "ACTIVE":
        raise errors.stream_in_use(stream.name, stream.account, stream.status)
    strategy = params["RecordDistributionStrategy"]
    if stream.mode != "ON_DEMAND":
        raise errors.invalid_argument(
            f"The record distribution strategy is only supported for streams in ON_DEMAND mode. "
            f"Stream {stream.name} under account {stream.account} is in {stream.mode} mode."
        )
    stream.distribution = strategy
    await core.save(stream)
    return {}
