"""How each kind of seed entry is applied, and how it stays idempotent across restarts.

An entry is the parameters of the AWS call that creates the resource, plus, for buckets and keys,
the settings AWS sets with calls of their own. Applying it again (the next start of a durable
server, or after a reset) must change nothing:

* streams: CreateStream; ResourceInUseException means the stream is there (left as it is).
* queues: CreateQueue is idempotent on AWS: the same name and attributes answer the existing
  queue, different attributes QueueAlreadyExists (reported: the seed and the data disagree).
* buckets: CreateBucket; BucketAlreadyOwnedByYou (or, in us-east-1, a 200) means it is there. The settings members
  (NotificationConfiguration, VersioningConfiguration, Tagging...) are put again each time,
  except a notification configuration equal to the bucket's: putting one sends the queues an
  s3:TestEvent, which a restart must not repeat.
* keys: KMS keys have no name, so a key entry needs an `Alias`: a key whose alias exists is
  there; otherwise CreateKey, then CreateAlias.

Every parameter is checked (`Caller.check`) before the first call of an entry, so a typo fails
before anything of that entry exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from headwater.seeding.calls import Caller, SeedCallError

Outcome = str  # "created", "exists" or "updated"
Apply = Callable[[Caller, dict[str, Any]], Awaitable[Outcome]]

# bucket member -> (operation that sets it, that operation's member)
BUCKET_SETTINGS: dict[str, str] = {
    "NotificationConfiguration": "PutBucketNotificationConfiguration",
    "VersioningConfiguration": "PutBucketVersioning",
    "Tagging": "PutBucketTagging",
    "LifecycleConfiguration": "PutBucketLifecycleConfiguration",
    "CORSConfiguration": "PutBucketCors",
    "Policy": "PutBucketPolicy",
    "ServerSideEncryptionConfiguration": "PutBucketEncryption",
}


class EntryError(Exception):
    """An entry's shape is wrong for its kind (before any call)."""


async def stream(call: Caller, params: dict[str, Any]) -> Outcome:
    try:
        await call("kinesis", "CreateStream", params)
    except SeedCallError as error:
        if error.code != "ResourceInUseException":
            raise
        return "exists"
    return "created"


async def queue(call: Caller, params: dict[str, Any]) -> Outcome:
    call.check("sqs", "CreateQueue", params)
    name = params.get("QueueName")
    try:
        await call("sqs", "GetQueueUrl", {"QueueName": name})
        existed = True
    except SeedCallError:
        existed = False
    await call("sqs", "CreateQueue", params)  # also checks the attributes match an existing queue
    return "exists" if existed else "created"


async def bucket(call: Caller, params: dict[str, Any]) -> Outcome:
    create = {key: value for key, value in params.items() if key not in BUCKET_SETTINGS}
    if call.region != "us-east-1" and "CreateBucketConfiguration" not in create:
        # as `aws s3 mb` does: a bucket outside us-east-1 names its region
        create["CreateBucketConfiguration"] = {"LocationConstraint": call.region}
    settings = [
        (BUCKET_SETTINGS[member], {"Bucket": create.get("Bucket"), member: value})
        for member, value in params.items()
        if member in BUCKET_SETTINGS
    ]
    call.check("s3", "CreateBucket", create)
    for operation, request in settings:
        call.check("s3", operation, request)
    outcome = "created"
    try:
        await call("s3", "HeadBucket", {"Bucket": create.get("Bucket")})
        outcome = "exists"  # (us-east-1 answers CreateBucket of one's own bucket with a 200)
    except SeedCallError:
        pass
    try:
        await call("s3", "CreateBucket", create)
    except SeedCallError as error:
        if error.code != "BucketAlreadyOwnedByYou":
            raise
        outcome = "exists"
    for operation, request in settings:
        if operation == "PutBucketNotificationConfiguration":
            current = await call("s3", "GetBucketNotificationConfiguration", {"Bucket": request["Bucket"]})
            if _same_notifications(current, request["NotificationConfiguration"]):
                continue
            outcome = "updated" if outcome == "exists" else outcome
        await call("s3", operation, request)
    return outcome


async def key(call: Caller, params: dict[str, Any]) -> Outcome:
    alias = params.get("Alias")
    if not isinstance(alias, str):
        raise EntryError(
            'a key needs an Alias (such as "alias/app"): KMS keys have no name, and the alias '
            "is how a restart finds the key it made"
        )
    create = {name: value for name, value in params.items() if name != "Alias"}
    call.check("kms", "CreateKey", create)
    call.check("kms", "CreateAlias", {"AliasName": alias, "TargetKeyId": "0" * 36})
    try:
        await call("kms", "DescribeKey", {"KeyId": alias})
        return "exists"
    except SeedCallError as error:
        if error.code != "NotFoundException":
            raise
    made = await call("kms", "CreateKey", create)
    await call("kms", "CreateAlias", {"AliasName": alias, "TargetKeyId": made["KeyMetadata"]["KeyId"]})
    return "created"


def _same_notifications(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Equal but for what S3 fills in: Ids the seed did not give, and the case of filter rule names."""

    def normal(config: Mapping[str, Any], ids: bool) -> dict[str, Any]:
        shaped: dict[str, Any] = {}
        for member, items in config.items():
            if not isinstance(items, list):
                shaped[member] = items
                continue
            listed = []
            for item in items:
                item = dict(item)
                if not ids:
                    item.pop("Id", None)
                rules = ((item.get("Filter") or {}).get("Key") or {}).get("FilterRules")
                if rules:
                    item["Filter"] = sorted((rule["Name"].lower(), rule["Value"]) for rule in rules)
                listed.append(item)
            shaped[member] = sorted(listed, key=repr)
        return {member: items for member, items in shaped.items() if items}

    gave_ids = any("Id" in item for items in wanted.values() if isinstance(items, list) for item in items)
    return normal(current, gave_ids) == normal(wanted, gave_ids)


# service -> entry list -> how to apply an entry; in the order services are seeded (a key before
# the queues and streams that encrypt with it, queues before the buckets that notify them)
KINDS: dict[str, dict[str, Apply]] = {
    "kms": {"keys": key},
    "kinesis": {"streams": stream},
    "sqs": {"queues": queue},
    "s3": {"buckets": bucket},
}

# the name each entry is logged by
NAMES = {"keys": "Alias", "streams": "StreamName", "queues": "QueueName", "buckets": "Bucket"}
