"""Which operation of a REST service (REST-JSON or REST-XML) a request is for, from the model.

Theory of operation. Every operation's ``http`` trait has a method and a ``requestUri`` such as
``/2015-03-31/functions/{FunctionName}/invocations`` or ``/things/{thingName}?versions``: path
segments that are literals, labels (``{Name}``, one segment) or a greedy label (``{Key+}``, one
or more segments), then query literals that must be present (``?versions``) or have a value
(``?list-type=2``); a trailing slash is optional. Several templates can match one request (``/things/{name}`` and
``/things/search``); AWS, like Smithy's routing rules, picks the most specific: comparing segment
by segment, a literal beats a label, which beats a greedy label; then the template with more
query literals wins.

`RestRouter` compiles each template once to a regular expression and sorts a method's templates
by that specificity, so the first template that matches is the answer. Labels come back
percent-decoded (a greedy label keeps its slashes).

Entry point: ``RestRouter(service_model).match(method, raw_path, query) -> RestMatch | None``
where `raw_path` is the request path as sent (percent-encoded, no query) and `query` the raw
query string or its decoded pairs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote

from botocore.model import OperationModel, ServiceModel

_LABEL = re.compile(r"\{([^}+]+)(\+?)\}")

# Labels AWS reads across slashes though the model gives them one segment: iot-data's MQTT topics,
# which devices and curl send unencoded (`POST /topics/sensors/room1`, as AWS's docs show) while
# botocore encodes the slashes (`/topics/sensors%2Froom1`); both decode to the same topic. They may
# be empty (`topic=""` from boto3 is `POST /topics/`), so the service names the missing topic.
# Keyed by signing name: models without an endpointPrefix (botocore's test vectors') have no name.
_GREEDY = frozenset({("iotdata", "topic")})


@dataclass(frozen=True, slots=True)
class RestMatch:
    operation: OperationModel
    labels: dict[str, str]  # label name (as in the template) -> decoded value


@dataclass(frozen=True, slots=True)
class _Route:
    operation: OperationModel
    pattern: re.Pattern[str]
    names: tuple[str, ...]  # label names in group order
    query: tuple[tuple[str, str | None], ...]  # required (key, value or None for presence only)
    rank: tuple[tuple[int, ...], int]  # specificity: larger wins


def _compile(op: OperationModel) -> _Route:
    service = op.service_model.metadata.get("signingName")
    uri = op.http.get("requestUri", "/")
    path, _, query = uri.partition("?")
    parts: list[str] = []
    names: list[str] = []
    ranks: list[int] = []
    for segment in path.split("/")[1:]:
        label = _LABEL.fullmatch(segment)
        if label is None:
            parts.append(re.escape(segment))
            ranks.append(2)
        elif (service, label.group(1)) in _GREEDY:
            parts.append("(.*)")
            names.append(label.group(1))
            ranks.append(0)
        elif label.group(2):
            parts.append("(.+)")
            names.append(label.group(1))
            ranks.append(0)
        else:
            parts.append("([^/]+)")
            names.append(label.group(1))
            ranks.append(1)
    # A trailing slash is tolerated either way (``/functions`` and ``/functions/``), as AWS does.
    pattern = re.compile(("/" + "/".join(parts)).rstrip("/") + "/?")
    literals = tuple(
        (k, v if "=" in item else None)
        for item in query.split("&")
        if item
        for k, _, v in [item.partition("=")]
    )
    return _Route(op, pattern, tuple(names), literals, (tuple(ranks), len(literals)))


class RestRouter:
    """Matches requests to the operations of one REST service model."""

    def __init__(self, model: ServiceModel) -> None:
        routes: dict[str, list[_Route]] = {}
        for name in model.operation_names:
            op = model.operation_model(name)
            routes.setdefault(op.http.get("method", "POST").upper(), []).append(_compile(op))
        for method_routes in routes.values():
            method_routes.sort(key=lambda route: route.rank, reverse=True)
        self._routes = routes

    def match(
        self, method: str, raw_path: str, query: str | Sequence[tuple[str, str]] = ""
    ) -> RestMatch | None:
        """The most specific operation for the request, with its path labels; None when none fits."""
        candidates = self._routes.get(method.upper())
        if not candidates:
            return None
        pairs: dict[str, str] | None = None
        for route in candidates:
            found = route.pattern.fullmatch(raw_path)
            if found is None:
                continue
            if route.query:
                if pairs is None:
                    items = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else query
                    pairs = {}
                    for key, value in items:
                        pairs.setdefault(key, value)
                if not all(k in pairs and (v is None or pairs[k] == v) for k, v in route.query):
                    continue
            labels = {name: unquote(value) for name, value in zip(route.names, found.groups(), strict=True)}
            return RestMatch(route.operation, labels)
        return None
