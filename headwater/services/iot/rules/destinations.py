"""Topic rule destinations for the http action, and AWS's confirmation of their URL.

CreateTopicRuleDestination stores the destination IN_PROGRESS and POSTs the confirmation request
to its URL in the background: {arn, confirmationToken, enableUrl, messageType:
"DestinationConfirmation"} (the enableUrl is Headwater's own ConfirmTopicRuleDestination route).
The endpoint's owner passes the token back (ConfirmTopicRuleDestination, or a GET of the
enableUrl) and the destination is ENABLED; http actions deliver only to an ENABLED destination.
UpdateTopicRuleDestination to IN_PROGRESS sends a new token; DISABLED stops deliveries.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from headwater.protocol.errors import AwsError
from headwater.services.context import RequestContext
from headwater.services.iot.rules.model import Destination, Doc, invalid

if TYPE_CHECKING:
    from headwater.services.iot.rules.part import RulesPart

MAX_RESULTS = 1000
STATUSES = ("ENABLED", "IN_PROGRESS", "DISABLED")


def _not_found(arn: str) -> AwsError:
    return AwsError(
        "UnauthorizedException", f"Topic rule destination {arn} does not exist or access is denied.", 401
    )


def _find(part: RulesPart, arn: str, ctx: RequestContext) -> Destination:
    destination = part.store.destinations.get(arn)
    if destination is None or (destination.account, destination.region) != (ctx.account, ctx.region):
        raise _not_found(arn)
    return destination


def enable_url(ctx: RequestContext, token: str) -> str:
    return f"{ctx.scheme}://{ctx.host}/confirmdestination/{token}"


async def create_topic_rule_destination(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    config = params.get("destinationConfiguration") or {}
    http = config.get("httpUrlConfiguration")
    if not isinstance(http, dict) or not http.get("confirmationUrl"):
        raise invalid("Headwater supports HTTP URL topic rule destinations (httpUrlConfiguration) only.")
    url = str(http["confirmationUrl"])
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # an unclosed IPv6 bracket...
        host = None
    if host is None or parts.scheme not in ("http", "https"):
        raise invalid(f"The confirmation URL {url} is not a valid HTTP(S) URL.")
    for existing in part.store.destinations.values():
        if (existing.account, existing.region, existing.confirmation_url) == (ctx.account, ctx.region, url):
            raise AwsError(
                "ResourceAlreadyExistsException",
                f"A topic rule destination for {url} already exists.",
                409,
                details={"resourceArn": existing.arn},
            )
    now = part.now()
    arn = f"arn:aws:iot:{ctx.region}:{ctx.account}:ruledestination/http/{uuid.uuid4()}"
    destination = Destination(
        ctx.account, ctx.region, arn, url, "IN_PROGRESS", secrets.token_hex(32), now, now
    )
    await part.store.put_destination(destination)
    part.send_confirmation(destination, enable_url(ctx, destination.token))
    return {"topicRuleDestination": destination.document()}


async def confirm_topic_rule_destination(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    token = str(params.get("confirmationToken", ""))
    for destination in list(part.store.destinations.values()):
        if destination.token == token and token:
            if destination.status == "IN_PROGRESS":
                destination.status = "ENABLED"
                destination.reason = ""
                destination.updated = part.now()
                await part.store.put_destination(destination)
            return {}
    raise invalid("The confirmation token is not valid.")


async def get_topic_rule_destination(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    return {"topicRuleDestination": _find(part, str(params.get("arn", "")), ctx).document()}


async def list_topic_rule_destinations(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    mine = sorted(
        (d for d in part.store.destinations.values() if (d.account, d.region) == (ctx.account, ctx.region)),
        key=lambda d: d.arn,
    )
    after = params.get("nextToken")
    if after:
        mine = [d for d in mine if d.arn > after]
    limit = int(params.get("maxResults") or MAX_RESULTS)
    answer: Doc = {"destinationSummaries": [d.summary() for d in mine[:limit]]}
    if len(mine) > limit:
        answer["nextToken"] = mine[limit - 1].arn
    return answer


async def update_topic_rule_destination(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    destination = _find(part, str(params.get("arn", "")), ctx)
    status = str(params.get("status", ""))
    if status not in STATUSES:
        raise invalid(f"The status {status} cannot be set; use one of {', '.join(STATUSES)}.")
    if status == "ENABLED" and destination.status == "IN_PROGRESS":
        raise invalid("The topic rule destination must be confirmed before it is enabled.")
    destination.status = status
    destination.updated = part.now()
    if status == "IN_PROGRESS":  # a new confirmation round
        destination.token = secrets.token_hex(32)
        part.send_confirmation(destination, enable_url(ctx, destination.token))
    await part.store.put_destination(destination)
    return {}


async def delete_topic_rule_destination(part: RulesPart, params: Doc, ctx: RequestContext) -> Doc:
    destination = _find(part, str(params.get("arn", "")), ctx)
    await part.store.delete_destination(destination)
    return {}


OPERATIONS: dict[str, Callable[[RulesPart, Doc, RequestContext], Awaitable[Doc]]] = {
    "CreateTopicRuleDestination": create_topic_rule_destination,
    "ConfirmTopicRuleDestination": confirm_topic_rule_destination,
    "GetTopicRuleDestination": get_topic_rule_destination,
    "ListTopicRuleDestinations": list_topic_rule_destinations,
    "UpdateTopicRuleDestination": update_topic_rule_destination,
    "DeleteTopicRuleDestination": delete_topic_rule_destination,
}
