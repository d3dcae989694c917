"""Shard lineage: ListShards, SplitShard, MergeShards and UpdateShardCount.

Resharding closes parents (their `end_offset` freezes at the log's next offset, so the
EndingSequenceNumber covers every record appended before the close) and opens children that name
them as ParentShardId / AdjacentParentShardId. UpdateShardCount is a series of real splits and merges
(as AWS does it), so every child has at most two parents and consumers can follow the lineage; the
intermediate shards it creates are born and closed in the same instant and hold no records.
"""

from __future__ import annotations

from typing import Any

from headwater.services.context import RequestContext
from headwater.services.kinesis import errors, tokens
from headwater.services.kinesis.hashing import MAX_HASH, even_ranges
from headwater.services.kinesis.service import KinesisCore
from headwater.services.kinesis.state import Shard, Stream
from headwater.services.kinesis.streams import new_shard, open_shard_total, shard_limit

TOKEN_TTL_MS = 300_000
LIST_SHARDS_MAX = 1000
SCALINGS_PER_DAY = 10


# -- ListShards ------------------------------------------------------------------------------------
def _visible(core: KinesisCore, stream: Stream, shard_filter: dict[str, Any] | None) -> list[Shard]:
    shards = sorted(stream.shards, key=lambda s: s.index)
    if not shard_filter:
        return shards
    kind = shard_filter["Type"]
    first_created = min((s.created_ms for s in shards), default=0)
    if kind == "AFTER_SHARD_ID":
        after = shard_filter.get("ShardId")
        if not after:
            raise errors.invalid_argument(
                "Must specify ShardId in ShardFilter when using type AFTER_SHARD_ID."
            )
        return [s for s in shards if s.shard_id > after]
    if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
        timestamp = shard_filter.get("Timestamp")
        if timestamp is None:
            raise errors.invalid_argument(f"Must specify Timestamp in ShardFilter when using type {kind}.")
        moment = max(int(timestamp * 1000), first_created)
    elif kind in ("AT_TRIM_HORIZON", "FROM_TRIM_HORIZON"):
        moment = max(core.clock.now_ms() - stream.retention_hours * 3_600_000, first_created)
    elif kind == "AT_LATEST":
        return [s for s in shards if s.is_open]
    else:
        raise errors.invalid_argument(f"Invalid ShardFilter type: {kind}")
    if shard_filter.get("ShardId") is not None:
        raise errors.invalid_argument(f"ShardId must not be specified in ShardFilter when using type {kind}.")
    open_then = [
        s for s in shards if s.created_ms <= moment and (s.closed_ms is None or s.closed_ms > moment)
    ]
    if kind.startswith("AT_"):
        return open_then
    return [s for s in shards if s.closed_ms is None or s.closed_ms > moment]


def _list_token(stream: Stream, after: str, shard_filter: dict[str, Any] | None, now_ms: int) -> str:
    return tokens.encode(
        {
            "a": stream.account,
            "r": stream.region,
            "s": stream.name,
            "c": stream.created,
            "x": after,
            "f": shard_filter,
            "t": now_ms,
        }
    )


async def list_shards(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("ListShards", ctx.account, params.get("StreamName") or params.get("StreamARN"))
    token = params.get("NextToken")
    now_ms = core.clock.now_ms()
    if token is not None:
        if params.get("StreamName") or params.get("StreamARN"):
            raise errors.invalid_argument("NextToken and StreamName cannot be provided together.")
        if params.get("ExclusiveStartShardId"):
            raise errors.invalid_argument("NextToken and ExclusiveStartShardId cannot be provided together.")
        try:
            state = tokens.decode(token)
            key = (state["a"], state["r"], state["s"])
            after, shard_filter, issued = state["x"], state["f"], int(state["t"])
        except (ValueError, KeyError, TypeError):
            raise errors.invalid_argument(f"Invalid ShardId in NextToken: {token}") from None
        if now_ms - issued > TOKEN_TTL_MS:
            raise errors.AwsError(
                "ExpiredNextTokenException", f"The timestampInMillis of the NextToken has expired: {token}"
            )
        stream = core.streams.get(key)
        if stream is None or stream.created != state["c"]:
            raise errors.stream_not_found(key[2], key[0])
    else:
        stream = core.find(params, ctx)
        after = params.get("ExclusiveStartShardId")
        shard_filter = params.get("ShardFilter")
        created = params.get("StreamCreationTimestamp")
        if created is not None and abs(created - stream.created) > 0.001:
            raise errors.stream_not_found(stream.name, stream.account)
    shards = _visible(core, stream, shard_filter)
    if after is not None:
        shards = [s for s in shards if s.shard_id > after]
    limit = min(params.get("MaxResults", LIST_SHARDS_MAX), LIST_SHARDS_MAX)
    page = shards[:limit]
    result: dict[str, Any] = {"Shards": [s.describe() for s in page]}
    if len(shards) > limit:
        result["NextToken"] = _list_token(stream, page[-1].shard_id, shard_filter, now_ms)
    return result


# -- resharding primitives -------------------------------------------------------------------------
def _moment(core: KinesisCore, *parents: Shard) -> int:
    """The close time of parents and birth time of children: strictly after each parent's birth, so
    "open at time T" questions (ListShards filters) never see a parent and its child as both open."""
    return max(core.clock.now_ms(), *(p.created_ms + 1 for p in parents))


def _close(core: KinesisCore, shard: Shard, at_ms: int) -> None:
    shard.closed_ms = at_ms
    shard.end_offset = core.log.next_offset(shard.partition)


async def _open(
    core: KinesisCore,
    stream: Stream,
    start: int,
    end: int,
    at_ms: int,
    *,
    parent: str | None = None,
    adjacent_parent: str | None = None,
) -> Shard:
    shard = new_shard(core, stream, start, end, at_ms, parent=parent, adjacent_parent=adjacent_parent)
    await core.log.create_partition(shard.partition)
    stream.shards.append(shard)
    return shard


async def _split(core: KinesisCore, stream: Stream, parent: Shard, at: int) -> tuple[Shard, Shard]:
    moment = _moment(core, parent)
    _close(core, parent, moment)
    left = await _open(core, stream, parent.start_hash, at - 1, moment, parent=parent.shard_id)
    right = await _open(core, stream, at, parent.end_hash, moment, parent=parent.shard_id)
    return left, right


async def _merge(core: KinesisCore, stream: Stream, shard: Shard, adjacent: Shard) -> Shard:
    moment = _moment(core, shard, adjacent)
    _close(core, shard, moment)
    _close(core, adjacent, moment)
    start, end = min(shard.start_hash, adjacent.start_hash), max(shard.end_hash, adjacent.end_hash)
    return await _open(
        core, stream, start, end, moment, parent=shard.shard_id, adjacent_parent=adjacent.shard_id
    )


def _updatable(stream: Stream, operation: str) -> None:
    if stream.mode != "PROVISIONED":
        raise errors.validation(f"{operation} is not supported for streams in ON_DEMAND mode.")
    if stream.status != "ACTIVE":
        raise errors.stream_in_use(stream.name, stream.account, stream.status)


def _open_shard(stream: Stream, shard_id: str) -> Shard:
    shard = stream.shard(shard_id)
    if shard is None:
        raise errors.AwsError(
            "ResourceNotFoundException",
            f"Could not find shard {shard_id} in stream {stream.name} under account {stream.account}.",
        )
    if not shard.is_open:
        raise errors.invalid_argument(
            f"Shard {shard_id} in stream {stream.name} under account {stream.account} has already been merged "
            "or split, and thus is not eligible for merging or splitting."
        )
    return shard


async def finish_update(core: KinesisCore, stream: Stream) -> None:
    stream.status = "UPDATING"
    await core.save(stream)
    if core.config.transition_delay <= 0:
        stream.status = "ACTIVE"
        await core.save(stream)
    else:
        core.spawn(core.transition(stream, "ACTIVE"))


def _check_shard_limit(core: KinesisCore, stream: Stream, added: int) -> None:
    total = open_shard_total(core, stream.account, stream.region)
    limit = shard_limit(stream.region)
    if core.config.limits and total + added > limit:
        raise errors.limit_exceeded(
            f"This request would exceed the shard limit for the account {stream.account} in {stream.region}. "
            f"Current shard count for the account: {total}. Limit: {limit}."
        )


async def split_shard(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("SplitShard", ctx.account)
    stream = core.find(params, ctx)
    _updatable(stream, "SplitShard")
    shard = _open_shard(stream, params["ShardToSplit"])
    raw = params["NewStartingHashKey"]
    try:
        at = int(raw)
    except ValueError:
        raise errors.invalid_argument(f"NewStartingHashKey {raw} is not a valid hash key.") from None
    if not shard.start_hash < at <= shard.end_hash or at > MAX_HASH:
        raise errors.invalid_argument(
            f"NewStartingHashKey {raw} used in SplitShard() on shard {shard.shard_id} in stream {stream.name} "
            f"under account {stream.account} is not both greater than one plus the shard's StartingHashKey "
            f"{shard.start_hash} and less than the shard's EndingHashKey {shard.end_hash}."
        )
    _check_shard_limit(core, stream, 1)
    await _split(core, stream, shard, at)
    await finish_update(core, stream)
    return {}


async def merge_shards(core: KinesisCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    core.control_rate("MergeShards", ctx.account)
    stream = core.find(params, ctx)
    _updatable(stream, "MergeShards")
    shard = _open_shard(stream, params["ShardToMerge"])
    adjacent = _open_shard(stream, params["AdjacentShardToMerge"])
    if not (shard.end_hash + 1 == adjacent.start_hash or adjacent.end_hash + 1 == shard.start_hash):
        raise errors.invalid_argument(
            f"Shards {shard.shard_id} and {adjacent.shard_id} in stream {stream.name} under account "
            f"{stream.account} are not an adjacent pair of shards eligible for merging"
        )
    await _merge(core, stream, shard, adjacent)
    await finish_update(core, stream)
    return {}


async def reshape(core: KinesisCore, stream: Stream, target: int) -> None:
    """Turns the open shards into `target` evenly sized ones through splits, then merges."""
    ranges = even_ranges(target)
    boundaries = sorted(start for start, _ in ranges[1:])
    pieces: list[Shard] = []
    for shard in sorted(stream.open_shards, key=lambda s: s.start_hash):
        current = shard
        for at in boundaries:
            if current.start_hash < at <= current.end_hash:
                left, current = await _split(core, stream, current, at)
                pieces.append(left)
        pieces.append(current)
    for start, end in ranges:
        group = sorted(
            (p for p in pieces if start <= p.start_hash and p.end_hash <= end), key=lambda p: p.start_hash
        )
        merged = group[0]
        for piece in group[1:]:
            merged = await _merge(core, stream, merged, piece)


async def update_shard_count(
    core: KinesisCore, params: dict[str, Any], ctx: RequestContext
) -> dict[str, Any]:
    core.control_rate("UpdateShardCount", ctx.account)
    stream = core.find(params, ctx)
    _updatable(stream, "UpdateShardCount")
    target = params["TargetShardCount"]
    current = len(stream.open_shards)
    if target > current * 2:
        raise errors.limit_exceeded(
            "UpdateShardCount cannot scale up over double your current open shard count. "
            f"Current open shard count: {current} Target shard count: {target}"
        )
    if target * 2 < current:
        raise errors.limit_exceeded(
            "UpdateShardCount cannot scale down below half your current open shard count. "
            f"Current open shard count: {current} Target shard count: {target}"
        )
    now = core.clock.now()
    stream.scalings = [t for t in stream.scalings if now - t < 86_400]
    if core.config.limits and len(stream.scalings) >= SCALINGS_PER_DAY:
        raise errors.limit_exceeded(
            f"Exceeded the number of allowed UpdateShardCount operations ({SCALINGS_PER_DAY}) in a rolling "
            f"24 hour period for stream {stream.name} under account {stream.account}."
        )
    _check_shard_limit(core, stream, max(0, target - current))
    stream.scalings.append(now)
    if target != current:
        await reshape(core, stream, target)
    await finish_update(core, stream)
    return {
        "StreamName": stream.name,
        "CurrentShardCount": current,
        "TargetShardCount": target,
        "StreamARN": stream.arn,
    }
