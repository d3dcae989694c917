"""Glue's NextTokens: the (opaque, base64) key of the last item a page returned."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from headwater.services.glue import errors

T = TypeVar("T")
# S3 Tables' catalog as Glue federates it: `<account>:s3tablescatalog/<table bucket>`, databases
# being the bucket's namespaces (Kinesis channels to S3 Tables write there)
_S3_TABLES_CATALOG = re.compile(r"(\d{12}):s3tablescatalog/[a-z0-9_-]{3,63}")


def encode_token(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode()


def decode_token(token: str | None) -> str | None:
    if not token:
        return None
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError):
        raise errors.bad_token() from None


def page(
    items: Sequence[T], key: Callable[[T], str], params: dict[str, Any], default: int = 100
) -> tuple[list[T], str | None]:
    """`items` (sorted by `key`) after the request's NextToken, at most MaxResults, and the token
    of the next page (None on the last)."""
    after = decode_token(params.get("NextToken"))
    start = 0 if after is None else next((i for i, it in enumerate(items) if key(it) > after), len(items))
    limit = params.get("MaxResults") or default
    chosen = list(items[start : start + limit])
    more = start + limit < len(items)
    return chosen, (encode_token(key(chosen[-1])) if more and chosen else None)


def catalog_of(params: dict[str, Any], account: str) -> str:
    """The catalog a request names (CatalogId), the caller's account's by default."""
    catalog = params.get("CatalogId") or account
    federated = _S3_TABLES_CATALOG.fullmatch(catalog)
    if federated is not None and federated.group(1) == account:
        return str(catalog)
    if not (len(catalog) == 12 and catalog.isdigit()):
        raise errors.invalid(f"Invalid catalog id: {catalog}")  # other federated catalogs: none here
    return str(catalog)
