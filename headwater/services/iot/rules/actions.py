"""An action of a rule, rendered for one message: its `${...}` templates substituted, its body
made from the SELECT result. The result (`Delivery`) is what the outbox stores and the targets
deliver, and what a dry run shows.

Templates are evaluated against the original message, not the SELECT output (AWS: an alias cannot
be referenced). Every string field holding `${` is rendered; `$$aws/...` in a republish topic
names the reserved `$aws/...` topics.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from headwater.services.iot.rules.contracts import SqlEnvironment, SqlMessage, SqlResult
from headwater.services.iot.rules.model import RESOURCE_FIELD, Doc

# (template, message, env, version) -> the rendered text
Render = Callable[[str, SqlMessage, SqlEnvironment, str], str]
MAX_BATCH = 500  # Firehose's batchMode: at most 500 records per message
HOPS_FIELD = "headwaterHops"  # a republish delivery's: the hops of the message it came from


class RenderError(Exception):
    """The action cannot be made for this message (a template fails, batchMode without an array)."""


@dataclass(slots=True)
class Delivery:
    kind: str  # "kinesis", "sqs"...
    resource: str  # the target as the error payload's failedResource names it
    fields: Doc  # the action's fields, rendered
    body: list[bytes]  # the record (one), or a batch's records

    def view(self) -> Doc:
        """The rendered request as the dry run shows it (bodies as text where they are UTF-8)."""
        bodies: list[Any] = []
        for part in self.body:
            try:
                bodies.append(part.decode())
            except UnicodeDecodeError:
                bodies.append({"base64": base64.b64encode(part).decode()})
        return {"action": self.kind, "target": self.resource, "fields": self.fields, "records": bodies}


class _Renderer:
    """A field's template rendered for the message (a slotted object: cheaper than a closure)."""

    __slots__ = ("env", "message", "render", "version")

    def __init__(self, render: Render, message: SqlMessage, env: SqlEnvironment, version: str) -> None:
        self.render = render
        self.message = message
        self.env = env
        self.version = version

    def __call__(self, template: str) -> str:
        try:
            return self.render(template, self.message, self.env, self.version)
        except Exception as error:  # a template's failure fails this action only
            raise RenderError(f"substitution template {template!r}: {error}") from error


def _render_value(value: Any, render: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return render(value) if "${" in value else value
    if isinstance(value, list):
        return [_render_value(item, render) for item in value]
    if isinstance(value, dict):
        return {key: _render_value(item, render) for key, item in value.items()}
    return value


def _record(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return json.dumps(value, separators=(",", ":")).encode()


def _batch(kind: str, result: SqlResult) -> list[bytes]:
    value = result.value
    if not isinstance(value, list):
        raise RenderError(f"batchMode: the SQL result of a {kind} action must be a JSON array")
    if len(value) > MAX_BATCH and kind == "firehose":
        raise RenderError(f"batchMode: {len(value)} records exceed the limit of {MAX_BATCH}")
    return [_record(item) for item in value]


def render_action(
    kind: str,
    spec: Doc,
    result: SqlResult,
    message: SqlMessage,
    env: SqlEnvironment,
    version: str,
    render: Render,
    templated: frozenset[str] | None = None,
) -> Delivery:
    """One action of a rule for one message; RenderError when it cannot be made. `templated`, when
    known, names the fields holding templates (the others are copied as they are)."""
    one = _Renderer(render, message, env, version)
    if kind == "republish":
        topic, prefix = str(spec.get("topic", "")), ""
        if topic.startswith("$$"):  # `$$aws/...` names a reserved topic (`$aws/...`)
            topic, prefix = topic[2:], "$"
        fields = _render_value({k: v for k, v in spec.items() if k != "topic"}, one)
        fields["topic"] = prefix + (one(topic) if "${" in topic else topic)
        if message.hops:  # how deep in a chain of republishes the message it makes is
            fields[HOPS_FIELD] = message.hops
    elif templated is not None:
        fields = dict(spec)
        for key in templated:
            value = spec[key]
            fields[key] = one(value) if type(value) is str else _render_value(value, one)
    else:
        fields = _render_value(dict(spec), one)
    fields.pop("roleArn", None)  # roles are not assumed: Headwater does not evaluate IAM
    payload = result.payload()
    if kind == "firehose":
        separator = str(spec.get("separator") or "").encode()
        records = _batch(kind, result) if spec.get("batchMode") else [payload]
        body = [record + separator for record in records]
    elif kind == "cloudwatchLogs" and spec.get("batchMode"):
        body = _batch(kind, result)
    elif kind == "kinesis":
        if "partitionKey" not in fields:  # AWS: a random key when none is set
            fields["partitionKey"] = str(uuid.uuid4())
        body = [payload]
    else:
        body = [payload]
    resource = str(fields.get(RESOURCE_FIELD[kind], ""))
    return Delivery(kind, resource, fields, body)
