"""Principals attached to things: Attach/DetachThingPrincipal, ListThingPrincipals(V2),
ListPrincipalThings(V2).

An attachment is two rows written together: `<ns><thing>/<principal>` and
`<ns><principal>/<thing>`, each holding the attachment type. EXCLUSIVE_THING means the principal
is attached to that thing only (AWS refuses a second thing either way round). Whether the
principal exists (a certificate of this account) is the certificate store's to say, through the
`principal_exists` hook the core wires; without it any principal is accepted.
"""

from __future__ import annotations

from collections.abc import Iterator

from headwater.engine.api import Change
from headwater.services.context import RequestContext
from headwater.services.iot.registry import errors
from headwater.services.iot.registry.keys import (
    PRINCIPAL_THINGS,
    THING_PRINCIPALS,
    Doc,
    decode_token,
    encode_token,
    namespace,
    page_size,
    principal_of,
    principal_part,
)
from headwater.services.iot.registry.store import RegistryStore

NON_EXCLUSIVE = "NON_EXCLUSIVE_THING"
EXCLUSIVE = "EXCLUSIVE_THING"


def attachments(store: RegistryStore, account: str, region: str, principal: str) -> Iterator[tuple[str, str]]:
    """(thing name, attachment type) of every thing the principal is attached to."""
    prefix = namespace(account, region) + principal_part(principal) + "/"
    for key, raw in store.rows(PRINCIPAL_THINGS, prefix):
        yield key[len(prefix) :], raw.decode()


def _rows(ctx: RequestContext, thing: str, principal: str, kind: str | None) -> list[Change]:
    ns = namespace(ctx.account, ctx.region)
    part = principal_part(principal)
    value = kind.encode() if kind is not None else None
    return [
        (THING_PRINCIPALS, f"{ns}{thing}/{part}", value),
        (PRINCIPAL_THINGS, f"{ns}{part}/{thing}", value),
    ]


def _check_principal(store: RegistryStore, ctx: RequestContext, principal: str) -> None:
    if store.principal_exists is not None and not store.principal_exists(ctx.account, ctx.region, principal):
        raise errors.not_found("The certificate given in the principal does not exist.")


async def attach_thing_principal(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name, principal = params["thingName"], params["principal"]
    kind = params.get("thingPrincipalType") or NON_EXCLUSIVE
    store.existing_thing(ctx.account, ctx.region, name)
    _check_principal(store, ctx, principal)
    for other, other_kind in attachments(store, ctx.account, ctx.region, principal):
        if other != name and (kind == EXCLUSIVE or other_kind == EXCLUSIVE):
            raise errors.invalid(
                f"Principal {principal} is already attached to thing {other}; an exclusive attachment "
                "allows one thing only."
            )
    await store.write(_rows(ctx, name, principal, kind))
    return {}


async def detach_thing_principal(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    name, principal = params["thingName"], params["principal"]
    store.existing_thing(ctx.account, ctx.region, name)
    await store.write(_rows(ctx, name, principal, None))
    return {}


def _page(
    store: RegistryStore, table: str, prefix: str, params: Doc, kind: str | None
) -> tuple[list[tuple[str, str]], str | None]:
    """(key suffix, attachment type) pairs of one page, and the next page's token."""
    after = decode_token(params.get("nextToken"))
    limit = page_size(params)
    found: list[tuple[str, str]] = []
    start = prefix + after if after is not None else None
    for key, raw in store.rows(table, prefix, start):
        if kind is not None and raw.decode() != kind:
            continue
        if len(found) == limit:
            return found, encode_token(found[-1][0])
        found.append((key[len(prefix) :], raw.decode()))
    return found, None


def _thing_prefix(store: RegistryStore, params: Doc, ctx: RequestContext) -> str:
    store.existing_thing(ctx.account, ctx.region, params["thingName"])
    return f"{namespace(ctx.account, ctx.region)}{params['thingName']}/"


def _with_token(out: Doc, token: str | None) -> Doc:
    if token is not None:
        out["nextToken"] = token
    return out


async def list_thing_principals(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    rows, token = _page(store, THING_PRINCIPALS, _thing_prefix(store, params, ctx), params, None)
    return _with_token({"principals": [principal_of(part) for part, _ in rows]}, token)


async def list_thing_principals_v2(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    prefix = _thing_prefix(store, params, ctx)
    rows, token = _page(store, THING_PRINCIPALS, prefix, params, params.get("thingPrincipalType"))
    objects = [{"principal": principal_of(part), "thingPrincipalType": kind} for part, kind in rows]
    return _with_token({"thingPrincipalObjects": objects}, token)


def _principal_prefix(store: RegistryStore, params: Doc, ctx: RequestContext) -> str:
    _check_principal(store, ctx, params["principal"])
    return namespace(ctx.account, ctx.region) + principal_part(params["principal"]) + "/"


async def list_principal_things(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    rows, token = _page(store, PRINCIPAL_THINGS, _principal_prefix(store, params, ctx), params, None)
    return _with_token({"things": [thing for thing, _ in rows]}, token)


async def list_principal_things_v2(store: RegistryStore, params: Doc, ctx: RequestContext) -> Doc:
    kind = params.get("thingPrincipalType")
    rows, token = _page(store, PRINCIPAL_THINGS, _principal_prefix(store, params, ctx), params, kind)
    objects = [{"thingName": thing, "thingPrincipalType": kind_} for thing, kind_ in rows]
    return _with_token({"principalThingObjects": objects}, token)
