"""How registry records are named: store keys, ARNs and the opaque paging tokens.

Every key starts with the (account, region) namespace, `<account>/<region>/`, so one account's
things never show in another's listings. Names of things, types and groups match
`[a-zA-Z0-9:_-]+` and need no escaping; principals (ARNs with `/`) are percent-encoded so a
`<namespace><principal>/` prefix belongs to one principal only.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import quote, unquote

from headwater.services.iot.registry import errors

Doc = dict[str, Any]

# the metadata store (few, resident): thing types, thing groups, billing groups, event settings
TYPES = "iot.registry.types"
GROUPS = "iot.registry.groups"
BILLING = "iot.registry.billing"
EVENT_CONFIG = "iot.registry.events"
# the ordered store (many, paged): things and the indexes that list them
THINGS = "iot.things"
TYPE_THINGS = "iot.things.by_type"  # <ns><type>/<thing>
GROUP_THINGS = "iot.things.by_group"  # <ns><group>/<thing>
BILLING_THINGS = "iot.things.by_billing"  # <ns><billing group>/<thing>
THING_PRINCIPALS = "iot.principals.by_thing"  # <ns><thing>/<principal> -> attachment type
PRINCIPAL_THINGS = "iot.things.by_principal"  # <ns><principal>/<thing> -> attachment type


def namespace(account: str, region: str) -> str:
    return f"{quote(account, safe='')}/{quote(region, safe='')}/"


def principal_part(principal: str) -> str:
    return quote(principal.encode("utf-8", "surrogatepass"), safe="")


def principal_of(part: str) -> str:
    return unquote(part)


def arn(region: str, account: str, kind: str, name: str) -> str:
    """`kind` is AWS's resource type: thing, thingtype, thinggroup, billinggroup."""
    return f"arn:aws:iot:{region}:{account}:{kind}/{name}"


def encode(doc: Doc) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def decode(raw: bytes) -> Doc:
    result: Doc = json.loads(raw)
    return result


def encode_token(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode()


def decode_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        raise errors.bad_token() from None


def page_size(params: Doc, default: int = 50) -> int:
    size = params.get("maxResults")
    return int(size) if size else default
