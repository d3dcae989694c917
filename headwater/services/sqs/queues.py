"""Queue management: create, find, list, delete, attributes, purge, tags, permissions."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from headwater.services.context import RequestContext
from headwater.services.ports import KeyRingError
from headwater.services.sqs import attributes as attrs
from headwater.services.sqs import errors
from headwater.services.sqs.pages import paginate
from headwater.services.sqs.queue import Queue, QueueDef, redrive_policy
from headwater.services.sqs.service import SSE_SQS_KEY, SqsCore

PURGE_INTERVAL_S = 60.0
MAX_PERMISSION_ACTIONS = 7


async def _check_redrive(core: SqsCore, definition: QueueDef, attributes: dict[str, str]) -> None:
    """Cross-queue rules of a RedrivePolicy: the DLQ exists, has the same type, and allows us."""
    text = attributes.get("RedrivePolicy")
    if not text:
        return
    policy = attrs.parse_redrive_policy(text)
    target = core.find_arn(policy.dead_letter_target_arn)
    if target is None:
        raise attrs.invalid_redrive_policy(text, "Dead letter target does not exist.")
    if target.fifo != definition.fifo:
        raise attrs.invalid_redrive_policy(
            text, "Dead-letter queue must be same type of queue as the source.."
        )
    allow_text = target.definition.attributes.get("RedriveAllowPolicy")
    allow = attrs.parse_redrive_allow_policy(allow_text) if allow_text else None
    if not attrs.redrive_allowed(allow, definition.arn, target.definition.arn):
        raise attrs.invalid_redrive_policy(
            text,
            f"Queue {definition.arn} is not allowed to use {target.definition.arn} as its dead-letter queue.",
        )


async def _check_keys(core: SqsCore, definition: QueueDef, attributes: dict[str, str]) -> None:
    """Resolves (and so persists) the KMS key before any message is sealed with it; an AWS-managed
    alias creates its key. Like AWS, any key id is accepted here: one that does not exist (yet) or
    cannot be used fails the sends and receives instead (`SqsCore.check_key`)."""
    ref = attributes.get("KmsMasterKeyId") or (
        SSE_SQS_KEY if attributes.get("SqsManagedSseEnabled") == "true" else None
    )
    if ref:
        with contextlib.suppress(KeyRingError):
            await core.keys.resolve(definition.account, definition.region, ref)


async def create_queue(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name = params.get("QueueName")
    if name is None:
        raise errors.missing_parameter("QueueName")
    requested = params.get("Attributes") or {}
    tags = params.get("tags") or {}
    key = (ctx.account, ctx.region, name)
    existing = core.queues.get(key)
    if existing is not None:
        attrs.validate_queue_name(name, requested)
        differing = attrs.differs_for_create(existing.definition.attributes, requested)
        if differing is not None:
            raise attrs.queue_exists_error(differing)
        return {"QueueUrl": core.url(existing, ctx)}
    attributes = attrs.create_attributes(name, requested)
    attrs.check_tags(tags, name)
    if core.recently_deleted(key):
        raise errors.deleted_recently()
    now = int(core.clock.now())
    definition = QueueDef(ctx.account, ctx.region, name, uuid.uuid4().hex, attributes, now, now, dict(tags))
    await _check_redrive(core, definition, attributes)
    await _check_keys(core, definition, attributes)
    queue = await core.create(definition)
    return {"QueueUrl": core.url(queue, ctx)}


async def get_queue_url(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    name = params.get("QueueName")
    if name is None:
        raise errors.missing_parameter("QueueName")
    account = params.get("QueueOwnerAWSAccountId") or ctx.account
    queue = core.queues.get((account, ctx.region, name))
    if queue is None:
        raise errors.queue_does_not_exist()
    return {"QueueUrl": core.url(queue, ctx)}


async def list_queues(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    prefix = params.get("QueueNamePrefix") or ""
    names = sorted(
        name
        for (account, region, name) in core.queues
        if account == ctx.account and region == ctx.region and name.startswith(prefix)
    )
    page, token = paginate(names, params)
    result: dict[str, Any] = {}
    if page:
        result["QueueUrls"] = [f"{ctx.scheme}://{ctx.host}/{ctx.account}/{name}" for name in page]
    if token:
        result["NextToken"] = token
    return result


async def delete_queue(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    await core.delete(queue)
    return {}


def _computed(core: SqsCore, queue: Queue) -> dict[str, str]:
    d = queue.definition
    return {
        "ApproximateNumberOfMessages": str(queue.approximate_visible),
        "ApproximateNumberOfMessagesNotVisible": str(queue.inflight),
        "ApproximateNumberOfMessagesDelayed": str(queue.delayed),
        "CreatedTimestamp": str(d.created),
        "LastModifiedTimestamp": str(d.modified),
        "QueueArn": d.arn,
    }


async def get_queue_attributes(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    names = attrs.select_attribute_names(params.get("AttributeNames") or (), queue.fifo)
    if not names:
        return {}
    queue.settle(core.clock.now_ms())
    values = {**queue.definition.attributes, **_computed(core, queue)}
    selected = {name: values[name] for name in names if name in values}
    return {"Attributes": selected} if selected else {}


async def set_queue_attributes(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    d = queue.definition
    changes = params.get("Attributes")
    if changes is None:
        raise errors.missing_parameter("Attributes")
    attributes = attrs.set_attributes(d.attributes, changes, queue.fifo)
    await _check_redrive(core, d, attributes)
    await _check_keys(core, d, attributes)
    old_delay = d.attributes.get("DelaySeconds")
    d.attributes = attributes
    d.modified = int(core.clock.now())
    if queue.fifo and attributes.get("DelaySeconds") != old_delay:
        moved = queue.redelay(int(attributes["DelaySeconds"]), core.clock.now_ms())
        if moved:
            core.store.set_state(d.store_id, [(m.seq, m.state()) for m in moved])
    redrive_policy(queue)  # re-parse now, so receives never parse
    queue.settle(core.clock.now_ms())  # a shorter retention applies to what is there
    await core.save(queue)
    return {}


async def purge_queue(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    now = core.clock.now()
    # one purge a minute per queue (lifted with `aws_timing` off)
    if core.config.aws_timing and queue.purged_at and now - queue.purged_at < PURGE_INTERVAL_S:
        raise errors.purge_in_progress(queue.name)
    queue.purged_at = now
    await queue.purge()
    return {}


async def tag_queue(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    tags = params.get("Tags")
    if not tags:  # an empty map is absent on the Query wire, and AWS refuses both alike
        raise errors.missing_parameter("Tags")
    merged = {**queue.definition.tags, **tags}
    attrs.check_tags(merged, queue.name)
    queue.definition.tags = merged
    await core.save(queue)
    return {}


async def untag_queue(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    keys = params.get("TagKeys")
    if keys is None:
        raise errors.missing_parameter("TagKeys")
    if not keys:  # AWS's answer to an empty key list
        raise errors.invalid_parameter("Tag keys must be between 1 and 128 characters in length.")
    for key in keys:
        queue.definition.tags.pop(key, None)
    await core.save(queue)
    return {}


async def list_queue_tags(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    return {"Tags": dict(queue.definition.tags)} if queue.definition.tags else {}


# -- permissions: statements in the queue's Policy attribute, keyed by their Sid (the label) -------

# the actions cross-account permissions never apply to (AWS's "Limitations of custom policies")
OWNER_ONLY_ACTIONS = frozenset(
    (
        "AddPermission",
        "CancelMessageMoveTask",
        "CreateQueue",
        "DeleteQueue",
        "ListMessageMoveTasks",
        "ListQueues",
        "ListQueueTags",
        "RemovePermission",
        "SetQueueAttributes",
        "StartMessageMoveTask",
        "TagQueue",
        "UntagQueue",
    )
)


def _policy(queue: Queue) -> dict[str, Any]:
    text = queue.definition.attributes.get("Policy")
    if not text:
        return {"Version": "2012-10-17", "Id": f"{queue.definition.arn}/SQSDefaultPolicy", "Statement": []}
    policy = json.loads(text)
    statements = policy.get("Statement", [])
    policy["Statement"] = statements if isinstance(statements, list) else [statements]
    return policy


async def add_permission(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    label = params.get("Label")
    accounts = params.get("AWSAccountIds")
    actions = params.get("Actions")
    for name, value in (("Label", label), ("AWSAccountIds", accounts), ("Actions", actions)):
        if not value:
            raise errors.missing_parameter(name)
    assert isinstance(label, str) and accounts is not None and actions is not None
    if len(label) > 80 or not all(c.isalnum() or c in "-_" for c in label):
        raise errors.invalid_value(
            "Label",
            label,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    if len(actions) > MAX_PERMISSION_ACTIONS:
        raise errors.over_limit(
            f"{len(actions)} Actions were found, maximum allowed is {MAX_PERMISSION_ACTIONS}."
        )
    for action in actions:
        if action in OWNER_ONLY_ACTIONS:
            raise errors.invalid_value(
                "ActionName", f"SQS:{action}", "Only the queue owner is allowed to invoke this action."
            )
    policy = _policy(queue)
    if any(s.get("Sid") == label for s in policy["Statement"]):
        raise errors.invalid_value("Label", label, "Already exists.")
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    statement_actions = [f"SQS:{action}" if action != "*" else "SQS:*" for action in actions]
    policy["Statement"].append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": statement_actions[0] if len(statement_actions) == 1 else statement_actions,
            "Resource": queue.definition.arn,
        }
    )
    queue.definition.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
    await core.save(queue)
    return {}


async def remove_permission(core: SqsCore, params: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    queue = core.find(params.get("QueueUrl"), ctx)
    label = params.get("Label")
    if not label:
        raise errors.missing_parameter("Label")
    policy = _policy(queue)
    kept = [s for s in policy["Statement"] if s.get("Sid") != label]
    if len(kept) == len(policy["Statement"]):
        raise errors.invalid_value("Label", label, "can't find label on existing policy.")
    if kept:
        policy["Statement"] = kept
        queue.definition.attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
    else:
        queue.definition.attributes.pop("Policy", None)
    await core.save(queue)
    return {}
