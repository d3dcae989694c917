"""SendDirectMessage: a message for one connected client, by its client id.

As AWS documents direct messaging: the receiver need not subscribe (nor hold iot:Subscribe), but
its policy must allow iot:Receive on the topic; the message is not routed to subscribers, not
retained, not seen by rules (nor by any tap), and not queued for a client that is not connected
(ResourceNotFoundException). Without confirmation it goes at QoS 0 and the call returns once it is
written. With confirmation it goes at QoS 1 through the session's outbound queue (packet id, the
in-flight window, DUP on a resume) as a `Confirmed` entry, whose future the PUBACK resolves; no
PUBACK within the timeout is GatewayTimeoutException (504); a client with a full queue (it is not
reading) is ThrottlingException. It is never written to a persistent session's stored queue: if
the client leaves before its PUBACK, the call times out.
"""

from __future__ import annotations

import asyncio

from headwater.protocol.mqtt.packets import Properties
from headwater.services.iot.broker.context import MAX_PAYLOAD, MEMORY_WINDOW, BrokerContext, arn
from headwater.services.iot.broker.message import Message, forwarded, outgoing_qos0
from headwater.services.iot.broker.namespace import Namespace
from headwater.services.iot.broker.outbound import Entry
from headwater.services.iot.broker.topics import topic_name_error
from headwater.services.ports import DataPlaneError


class Confirmed(Entry):
    __slots__ = ("confirmed",)

    def __init__(self, message: Message, confirmed: asyncio.Future[None]) -> None:
        super().__init__(message, False, None)
        self.confirmed = confirmed


async def send_direct(
    ctx: BrokerContext,
    ns: Namespace | None,
    client_id: str,
    topic: str,
    payload: bytes,
    properties: Properties | None,
    confirm: bool,
    timeout: float,
) -> None:
    if topic_name_error(topic, ctx.aws) is not None:
        raise DataPlaneError("InvalidRequestException", f"Invalid topic name: {topic}")
    if ctx.aws and len(payload) > MAX_PAYLOAD:
        raise DataPlaneError("RequestEntityTooLargeException", "Payload exceeds size limit.", 413)
    state = ns.sessions.get(client_id) if ns is not None else None
    conn = state.connection if state is not None else None
    if state is None or conn is None or conn.finished:
        raise DataPlaneError("ResourceNotFoundException", f"The client {client_id} is not connected", 404)
    auth = state.auth
    if (
        auth.principal_arn is not None
        and ctx.authorizer is not None
        and not ctx.allowed(auth, "iot:Receive", arn(state.region, state.account, "topic", topic))
    ):
        raise DataPlaneError(
            "ForbiddenException", f"The client {client_id} is not authorized to receive on {topic}", 403
        )
    now = ctx.clock.now()
    props, expires = forwarded(properties, now)
    message = Message(topic, payload, 1 if confirm else 0, False, props, expires, None, ctx.clock.now_ms())
    if not confirm:
        conn.outlet.write(outgoing_qos0(message, conn.level, False, now))
        return
    outbound = state.outbound
    if len(outbound.pending) >= MEMORY_WINDOW:  # a client that is not reading: no unbounded queue
        raise DataPlaneError(
            "ThrottlingException", f"The client {client_id} has too many messages waiting", 429
        )
    confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    outbound.pending.append(Confirmed(message, confirmed))
    outbound.flush()
    try:
        await asyncio.wait_for(confirmed, timeout)
    except TimeoutError:
        raise DataPlaneError(
            "GatewayTimeoutException",
            f"The client {client_id} did not confirm delivery within {timeout:g} seconds",
            504,
        ) from None
