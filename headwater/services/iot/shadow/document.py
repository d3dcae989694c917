"""Shadow document semantics, as AWS documents them (device-shadow-document, device-shadow-mqtt):
pure functions of the stored shadow, a request and the time.

Theory of operation
-------------------
A shadow is `state` (`desired`, `reported`: each present only while non-empty), a `metadata` tree
mirroring it with `{"timestamp": <seconds>}` at every leaf (an array's metadata is a list of its
elements' metadata), and a `version` incremented by every accepted update. An update merges only
the fields it names: an object merges key by key, `null` deletes a key (a `null` section deletes
the section), anything else (arrays included) replaces the value wholesale. The delta is the part
of `desired` that `reported` does not match, recursively: keys missing from `reported` or with a
different value; keys only in `reported` never appear, and a differing array is copied whole.
`/update/delta` carries the whole delta after an update, not only this update's part, and is sent
only when it is not empty.

Validation follows AWS's error list, in its order: UTF-8, JSON, clientToken (<= 64 bytes),
version (a non-negative integer), `state` present and an object with only `desired`/`reported`,
each an object or null, at most 6 levels deep; then the merged state's size (8 KB, metadata not
counted) and the version check (a request's version must equal the current one).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from headwater.services.iot.shadow import errors

Doc = dict[str, Any]
SECTIONS = ("desired", "reported")
MAX_STATE_BYTES = 8 * 1024
MAX_DEPTH = 6
MAX_TOKEN_BYTES = 64


def _codec() -> tuple[Callable[[Any], bytes], Callable[[str | bytes], Any]]:
    """orjson when installed (JSON is most of an update's cost; it also refuses NaN, which is not
    JSON), else the standard library's compact form."""
    try:
        fast = import_module("orjson")
    except ImportError:
        return (lambda value: json.dumps(value, separators=(",", ":")).encode()), json.loads
    return fast.dumps, fast.loads


dumps, loads = _codec()
_loads = loads


@dataclass(slots=True)
class Shadow:
    """A stored shadow; `deleted_ms` marks the tombstone a delete leaves (its version carries on)."""

    state: Doc = field(default_factory=dict)
    metadata: Doc = field(default_factory=dict)
    version: int = 0
    timestamp: int = 0
    deleted_ms: int | None = None

    def encode(self) -> bytes:
        value: Doc = {"s": self.state, "m": self.metadata, "v": self.version, "t": self.timestamp}
        if self.deleted_ms is not None:
            value = {"v": self.version, "d": self.deleted_ms}
        return dumps(value)

    @staticmethod
    def decode(raw: bytes) -> Shadow:
        d = _loads(raw)
        return Shadow(d.get("s", {}), d.get("m", {}), d["v"], d.get("t", 0), d.get("d"))


@dataclass(frozen=True, slots=True)
class UpdateRequest:
    state: Doc  # as sent: nulls kept (the accepted document echoes them)
    version: int | None
    token: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """An accepted update: the new shadow and the documents AWS publishes for it, each encoded once
    (`row` is the stored form, `snapshot` the shadow as a `previous`/`current` document)."""

    shadow: Shadow
    accepted_json: bytes
    delta_json: bytes | None  # None when nothing differs: no `/update/delta`
    documents_json: bytes
    row: bytes
    snapshot: bytes
    state_json: bytes
    request_json: bytes  # the request's `state`, as the accepted document and the history echo it
    delta_state_json: bytes | None

    # the documents as values (tests, callers off the hot path): decoded from what was published

    @property
    def accepted(self) -> Doc:
        value: Doc = _loads(self.accepted_json)
        return value

    @property
    def delta(self) -> Doc | None:
        return _loads(self.delta_json) if self.delta_json is not None else None

    @property
    def documents(self) -> Doc:
        value: Doc = _loads(self.documents_json)
        return value


# orjson reads bytes and refuses invalid UTF-8 itself; the standard library's loads would guess
# UTF-16/32 from bytes, so without orjson the payload is decoded first
_READS_UTF8 = loads is not json.loads


def _load(payload: bytes) -> Any:
    if _READS_UTF8:
        try:
            return _loads(payload)
        except (ValueError, RecursionError):
            pass  # which refusal: the decode below says
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.not_utf8() from None
    try:
        return _loads(text)
    except (ValueError, RecursionError):
        raise errors.bad_request(errors.INVALID_JSON) from None


def _token(body: Doc) -> str | None:
    token = body.get("clientToken")
    if token is None:
        return None
    if not isinstance(token, str) or len(token.encode()) > MAX_TOKEN_BYTES:
        raise errors.bad_request(errors.INVALID_TOKEN)
    return token


def token_of(payload: bytes) -> str | None:
    """The clientToken of a get or delete request (an empty payload is a request without one)."""
    if not payload.strip():
        return None
    body = _load(payload)
    if not isinstance(body, dict):
        raise errors.bad_request(errors.INVALID_JSON)
    return _token(body)


def token_for_error(payload: bytes) -> str | None:
    """Best effort: the clientToken an invalid request carried, for its error document."""
    try:
        body = _loads(payload)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    token = body.get("clientToken") if isinstance(body, dict) else None
    return token if isinstance(token, str) and len(token.encode()) <= MAX_TOKEN_BYTES else None


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def parse_update(payload: bytes) -> UpdateRequest:
    body = _load(payload)
    if not isinstance(body, dict):
        raise errors.bad_request(errors.INVALID_JSON)
    # the body and `state` are two levels: fewer brackets than that plus the limit cannot nest too
    # deep (brackets inside strings only raise the count), so most requests skip the walk
    deep = payload.count(b"{") + payload.count(b"[") > MAX_DEPTH + 2
    token = _token(body)
    version = body.get("version")
    if version is not None and (type(version) is not int or version < 0):
        raise errors.bad_request(errors.INVALID_VERSION)
    if "state" not in body:
        raise errors.bad_request(errors.MISSING_STATE)
    state = body["state"]
    if not isinstance(state, dict):
        raise errors.bad_request(errors.STATE_NOT_OBJECT)
    if any(key not in SECTIONS for key in state):
        raise errors.bad_request(errors.INVALID_NODE)
    for section, message in (
        ("desired", errors.DESIRED_NOT_OBJECT),
        ("reported", errors.REPORTED_NOT_OBJECT),
    ):
        value = state.get(section)
        if value is not None and not isinstance(value, dict):
            raise errors.bad_request(message)
        if deep and value is not None and _depth(value) > MAX_DEPTH:
            raise errors.bad_request(errors.TOO_DEEP)
    return UpdateRequest(state, version, token)


# --- merge, metadata, delta ------------------------------------------------------------------------


def _copy(value: Any) -> Any:
    """A copy of a JSON value (several times faster than copy.deepcopy)."""
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items()}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value


def _leaf_metadata(value: Any, ts: int) -> Any:
    if isinstance(value, dict):
        return {key: _leaf_metadata(item, ts) for key, item in value.items()}
    if isinstance(value, list):
        return [_leaf_metadata(item, ts) for item in value]
    return {"timestamp": ts}


def _merge(state: Doc, meta: Doc, patch: Doc, ts: int) -> Doc:
    """Merges `patch` into `state` and `meta`; returns the patch's own metadata (the accepted
    document's), sharing its leaves with `meta` (leaf metadata is replaced, never changed)."""
    accepted: Doc = {}
    for key, value in patch.items():
        if value is None:
            state.pop(key, None)
            meta.pop(key, None)
            accepted[key] = {"timestamp": ts}
        elif isinstance(value, dict):
            if not isinstance(state.get(key), dict):  # a leaf (or nothing) becomes an object
                state[key], meta[key] = {}, {}
            sub_meta = meta.get(key)
            if not isinstance(sub_meta, dict):
                sub_meta = meta[key] = {}
            accepted[key] = _merge(state[key], sub_meta, value, ts)
        else:  # the request's own value: nothing else keeps it (its answers are encoded at once)
            state[key] = value
            meta[key] = accepted[key] = _leaf_metadata(value, ts)
    return accepted


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return bool(a == b) and (isinstance(a, str) == isinstance(b, str))


def delta(desired: Doc, reported: Doc) -> Doc:
    found: Doc = {}
    for key, want in desired.items():
        if key not in reported:
            found[key] = want
            continue
        have = reported[key]
        if isinstance(want, dict) and isinstance(have, dict):
            sub = delta(want, have)
            if sub:
                found[key] = sub
        elif not _same(want, have):
            found[key] = want
    return found


def _project(delta_state: Doc, meta: Doc) -> Doc:
    """The desired metadata of the keys a delta holds."""
    out: Doc = {}
    for key, value in delta_state.items():
        sub = meta.get(key)
        out[key] = _project(value, sub) if isinstance(value, dict) and isinstance(sub, dict) else sub
    return out


def _with_token(doc: Doc, token: str | None) -> Doc:
    if token is not None:
        doc["clientToken"] = token
    return doc


def _snapshot(shadow: Shadow) -> Doc:
    return {"state": shadow.state, "metadata": shadow.metadata, "version": shadow.version}


def snapshot_json(shadow: Shadow) -> bytes:
    return dumps(_snapshot(shadow))


def _token_json(token: str | None) -> bytes:
    return b"" if token is None else b',"clientToken":' + dumps(token)


def apply(
    current: Shadow | None,
    request: UpdateRequest,
    now_ms: int,
    previous: bytes | None = None,
    owned: bool = False,
) -> Outcome:
    """The accepted update (raises ShadowError 409 or 413). `current` is the live shadow or the
    tombstone whose version a re-created shadow continues; None for a shadow never seen.

    `previous` is `snapshot_json(current)` when the caller has it. With `owned`, the caller hands
    over `current`'s state and metadata: they are changed in place rather than copied (the caller
    must drop `current` if this raises 413, by then half changed)."""
    live = current if current is not None and current.deleted_ms is None else None
    version = current.version if current is not None else 0
    if request.version is not None and request.version != version:
        raise errors.conflict()
    ts = now_ms // 1000
    if live is not None and previous is None:
        previous = snapshot_json(live)  # before any change: the `previous` document
    if live is None:
        state: Doc = {}
        meta: Doc = {}
    elif owned:
        state, meta = live.state, live.metadata
    else:
        state, meta = _copy(live.state), _copy(live.metadata)
    accepted_meta: Doc = {}
    for section in SECTIONS:
        if section not in request.state:
            continue
        patch = request.state[section]
        if patch is None:
            accepted_meta[section] = {"timestamp": ts}
            state.pop(section, None)
            meta.pop(section, None)
            continue
        target, target_meta = state.setdefault(section, {}), meta.setdefault(section, {})
        accepted_meta[section] = _merge(target, target_meta, patch, ts)
        if not target:
            del state[section]
            meta.pop(section, None)
    state_json = dumps(state)
    if len(state_json) > MAX_STATE_BYTES:
        raise errors.too_large()
    shadow = Shadow(state, meta, version + 1, ts)
    token = _token_json(request.token)
    # the answers are encoded here, once, while the request's values they echo are still as sent;
    # each part once, spliced into every document that holds it
    request_json = dumps(request.state)
    accepted_json = b'{"state":%b,"metadata":%b,"version":%d,"timestamp":%d%b}' % (
        request_json,
        dumps(accepted_meta),
        shadow.version,
        ts,
        token,
    )
    meta_json = dumps(meta)
    snapshot = b'{"state":%b,"metadata":%b,"version":%d}' % (state_json, meta_json, shadow.version)
    head = b'{"previous":%b,' % previous if live is not None and previous is not None else b"{"
    documents_json = head + b'"current":%b,"timestamp":%d%b}' % (snapshot, ts, token)
    row = b'{"s":%b,"m":%b,"v":%d,"t":%d}' % (state_json, meta_json, shadow.version, ts)
    found = delta(state.get("desired", {}), state.get("reported", {}))
    delta_json = found_json = None
    if found:
        projected = _project(found, meta.get("desired", {}))
        found_json = dumps(found)
        delta_json = b'{"version":%d,"timestamp":%d,"state":%b,"metadata":%b%b}' % (
            shadow.version,
            ts,
            found_json,
            dumps(projected),
            token,
        )
    return Outcome(
        shadow, accepted_json, delta_json, documents_json, row, snapshot,
        state_json, request_json, found_json,
    )  # fmt: skip


def get_document(shadow: Shadow, now_ms: int, token: str | None) -> Doc:
    state: Doc = dict(shadow.state)
    found = delta(shadow.state.get("desired", {}), shadow.state.get("reported", {}))
    if found:
        state["delta"] = found
    doc = {
        "state": state,
        "metadata": shadow.metadata,
        "version": shadow.version,
        "timestamp": now_ms // 1000,
    }
    return _with_token(doc, token)


def deleted_document(version: int, now_ms: int, token: str | None) -> Doc:
    return _with_token({"version": version, "timestamp": now_ms // 1000}, token)


def error_document(code: int, message: str, now_ms: int, token: str | None) -> Doc:
    return _with_token({"code": code, "message": message, "timestamp": now_ms // 1000}, token)
