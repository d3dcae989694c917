"""What policy variables and condition keys resolve to for one request.

`Connection` holds what depends on who connected (resolved once per principal and client id): the
thing of the connection, the targets whose policies apply and the certificate's variables.
`RequestValues` adds what depends on the request (client id, source IP, the topic, the time,
extra keys the broker passes such as `iot:ConnectAttributes`).

The thing of a connection, as AWS decides it: among the things the certificate is attached to, the
one named like the client id, else the one the certificate is exclusively attached to. Without one,
`iot:Connection.Thing.*` variables are unresolved (IsAttached is "false") and thing-group policies
do not apply (AWS: a thing in a group with policies must connect with its name as client id).
Names are looked up case-insensitively, as IAM does for keys.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from headwater.services.iot.authz.certificates import certificate_variables
from headwater.services.iot.authz.documents import PolicyDocument, Statement
from headwater.services.iot.contracts import (
    AttachedPolicy,
    AuthContext,
    Decision,
    ThingDirectory,
    ThingInfo,
)

# keys whose value the broker passes comma-separated in AuthContext.extra and policies test as sets
MULTI_VALUED = frozenset({"iot:connectattributes"})


@dataclass(slots=True)
class Connection:
    thing: ThingInfo | None
    targets: list[str]
    single: dict[str, str]
    multi: dict[str, list[str]]
    policies: list[tuple[AttachedPolicy, PolicyDocument]] = field(default_factory=list)
    # action -> the statements whose Action covers it (engine.py fills it as actions are asked)
    by_action: dict[str, list[tuple[AttachedPolicy, Statement, Decision]]] = field(default_factory=dict)


def connection_thing(
    things: ThingDirectory, account: str, region: str, principal: str, client_id: str | None
) -> ThingInfo | None:
    names = things.things_of_principal(account, region, principal)
    if not names:
        return None
    name = client_id if client_id in names else None
    if name is None:
        name = next((n for n in names if things.is_exclusively_attached(account, region, principal, n)), None)
    return things.thing(account, region, name) if name is not None else None


def connection(things: ThingDirectory, context: AuthContext) -> Connection:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    if context.certificate_der is not None:
        cert_single, cert_multi = certificate_variables(context.certificate_der)
        single.update(cert_single)
        multi.update(cert_multi)
    thing: ThingInfo | None = None
    targets: list[str] = []
    if context.principal_arn is not None:
        targets.append(context.principal_arn)
        thing = connection_thing(
            things, context.account, context.region, context.principal_arn, context.client_id
        )
    single["iot:connection.thing.isattached"] = "true" if thing is not None else "false"
    if thing is not None:
        targets.extend(things.groups_of_thing(context.account, context.region, thing.name))
        single["iot:connection.thing.thingname"] = thing.name
        if thing.type_name:
            single["iot:connection.thing.thingtypename"] = thing.type_name
        for name, value in thing.attributes.items():
            single[f"iot:connection.thing.attributes[{name.casefold()}]"] = value
    return Connection(thing, targets, single, multi)


class RequestValues:
    """The resolver and condition context of one evaluation (the connection's values under the
    request's own; the time keys are computed only when a policy asks for them)."""

    __slots__ = ("_conn", "_single", "_multi", "_now")

    def __init__(
        self, conn: Connection, context: AuthContext, resource: str, now: Callable[[], float] = time.time
    ) -> None:
        self._conn = conn
        self._now = now
        single: dict[str, str] = {}
        if context.client_id is not None:
            single["iot:clientid"] = context.client_id
        if context.source_ip is not None:
            single["aws:sourceip"] = context.source_ip
        topic = _topic(resource)
        if topic is not None:
            single["iot:topic"] = topic
        multi: dict[str, list[str]] = {}
        for key, value in context.extra.items():
            folded = key.casefold()
            if folded in MULTI_VALUED:
                multi[folded] = [item for item in value.split(",") if item]
            else:
                single[folded] = value
        self._single = single
        self._multi = multi

    def get(self, name: str) -> str | None:
        folded = name.casefold()
        value = self._single.get(folded)
        if value is None:
            value = self._conn.single.get(folded)
        if value is None and folded in ("aws:epochtime", "aws:currenttime"):
            moment = self._now()
            if folded == "aws:epochtime":
                return str(int(moment))
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))
        return value

    def values(self, name: str) -> list[str] | None:
        folded = name.casefold()
        listed = self._multi.get(folded)
        if listed is None:
            listed = self._conn.multi.get(folded)
        if listed is not None:
            return listed
        value = self.get(folded)
        return None if value is None else [value]


def _topic(resource: str) -> str | None:
    # arn:aws:iot:<region>:<account>:topic/<name> (and topicfilter/...): the part after the kind
    parts = resource.split(":", 5)
    if len(parts) < 6:
        return None
    kind, slash, rest = parts[5].partition("/")
    return rest if slash and kind in ("topic", "topicfilter") else None
