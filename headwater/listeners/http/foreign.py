"""The gateway's answer to requests for AWS services Headwater does not run (`protocol.foreign`).

Only requests the running services' front ends cannot place get here, and a cheap check (an
X-Amz-Target prefix no running model has, a signature scoped to a service that does not run, an RPC
v2 CBOR header) keeps every other request from loading the botocore catalog, which is read once,
on a worker thread, the first time a foreign request arrives.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from urllib.parse import parse_qsl

from headwater.protocol import foreign, query_codec, rpcv2_cbor
from headwater.protocol.auth import sigv4
from headwater.protocol.models import service_model

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class ForeignServices:
    def __init__(self, running: Sequence[str]) -> None:
        self.running = tuple(running)

    @functools.cached_property
    def _names(self) -> tuple[set[str], set[str]]:
        """The running services' (X-Amz-Target prefixes, signing scopes): read from their models on
        the first request that needs them, not at start."""
        targets: set[str] = set()
        scopes: set[str] = set()
        for name in self.running:
            metadata = service_model(name).metadata
            scopes.update(filter(None, (name, metadata.get("signingName"), metadata.get("endpointPrefix"))))
            if prefix := metadata.get("targetPrefix"):
                targets.add(prefix)
        return targets, scopes

    async def answer(
        self, method: str, raw_path: str, query: bytes, headers: dict[str, str], body: bytes, request_id: str
    ) -> Answer | None:
        """The error for a request naming a service that does not run, or None (not one)."""
        text_query = query.decode("latin-1")
        presigned = dict(parse_qsl(text_query)) if "X-Amz-Credential" in text_query else {}
        credential = sigv4.credential_of(headers, presigned)
        scope = credential.service if credential else None
        target = headers.get("x-amz-target")
        if target:
            suspect = target.partition(".")[0] not in self._names[0]
        else:
            suspect = (
                scope is not None and scope not in self._names[1]
            ) or rpcv2_cbor.PROTOCOL_HEADER in headers
        if not suspect:  # the common case: decided from the headers alone
            return None
        form = query_codec.is_form(headers.get("content-type", ""))
        try:
            fields = query_codec.decode_fields(query, body if form else b"")
        except Exception:  # undecodable fields: no Action to name
            fields = {}
        known = await asyncio.to_thread(foreign.catalog)
        found = foreign.identify(
            known, method, raw_path, text_query, headers, scope, fields.get("Action") or None, self.running
        )
        if found is None:
            return None
        status, extra, payload = foreign.answer(found, self.running, request_id)
        response = [(name.encode(), value.encode()) for name, value in extra]
        response.append((b"x-amzn-requestid", request_id.encode()))
        return status, response, payload
