"""Where a rendered action goes: each kind through the port of the service that owns its target
(the rules engine never holds another service's core), republish through the broker, http with
httpx to a confirmed destination. A failure raises DeliveryError in the target's words: the
outbox retries it, then hands it to the errorAction."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from headwater.config import Config
from headwater.protocol.mqtt.packets import Properties
from headwater.runtime.clock import SystemClock
from headwater.services.base import Ports
from headwater.services.iot.rules.actions import HOPS_FIELD, Delivery
from headwater.services.iot.rules.model import Doc
from headwater.services.iot.rules.signing import Signer
from headwater.services.iot.rules.store import RuleStore
from headwater.services.ports import (
    DeliveryError,
    DeliveryStreamSink,
    FunctionInvoker,
    LogSink,
    ObjectSink,
    ObjectSourceError,
    QueueSink,
    StreamSink,
)

# (account, region, topic, payload, qos, MQTT 5 properties or None) -> the broker's stored writes
Republish = Callable[[str, str, str, bytes, int, Properties | None], Awaitable[None]]
HTTP_TIMEOUT_S = 10.0
# The republish loop guard: how many rule republishes led to the message being published now (0: a
# device's). The broker hands a message to its taps synchronously inside the republish call, so the
# rules runtime reads it for the message a republish makes, and stops running rules on a message past
# MAX_REPUBLISH_HOPS (it is still published to its subscribers: nothing delivered is lost).
REPUBLISH_HOPS: ContextVar[int] = ContextVar("republish_hops", default=0)
MAX_REPUBLISH_HOPS = 8
MAX_BATCH_RECORDS = 500  # PutRecords' and PutRecordBatch's limits
MAX_BATCH_BYTES = 4 * 1024 * 1024  # PutRecordBatch's (PutRecords takes 5 MiB)
T = TypeVar("T")


def queue_arn(url: str, account: str, region: str) -> str:
    """SQS's ARN for a queue URL (`http://host/<account>/<name>`; `sqs.<region>.` hosts name the
    region)."""
    parts = urlsplit(url)
    path = [part for part in parts.path.split("/") if part]
    if len(path) != 2:
        raise DeliveryError("AWS.SimpleQueueService.NonExistentQueue", f"Invalid queue URL: {url}")
    host = (parts.hostname or "").split(".")
    if len(host) > 2 and host[0] == "sqs":
        region = host[1]
    return f"arn:aws:sqs:{region}:{path[0]}:{path[1]}"


def mqtt_properties(headers: Doc | None) -> Properties | None:
    """The republish action's MqttHeaders as MQTT 5 properties."""
    if not headers:
        return None
    props = Properties()
    indicator = headers.get("payloadFormatIndicator")
    if indicator is not None:
        props.payload_format_indicator = 1 if indicator == "UTF8_DATA" else 0
    props.content_type = headers.get("contentType")
    props.response_topic = headers.get("responseTopic")
    correlation = headers.get("correlationData")
    if correlation is not None:
        try:
            props.correlation_data = base64.b64decode(correlation, validate=True)
        except ValueError:
            raise DeliveryError("InvalidRequestException", "correlationData must be base64") from None
    expiry = headers.get("messageExpiry")
    if expiry is not None:
        try:
            props.message_expiry_interval = int(expiry)
        except ValueError:
            raise DeliveryError(
                "InvalidRequestException", f"messageExpiry {expiry!r} is not a number"
            ) from None
    props.user_properties = [(p["key"], p["value"]) for p in headers.get("userProperties") or []]
    return props


def _port(ports: Ports, kind: type[T], service: str) -> T:
    port = ports.find(kind)
    if port is None:
        raise DeliveryError("ServiceUnavailableException", f"the {service} service is not running")
    return port


class Targets:
    def __init__(
        self,
        ports: Ports,
        store: RuleStore,
        republish: Republish | None,
        clock: SystemClock | None = None,
        config: Config | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.ports = ports
        self.store = store
        self.republish = republish
        self.signer = Signer(ports, config, self.clock)  # the http action's auth.sigv4
        self._http: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S)
        return self._http

    async def deliver_many(
        self, account: str, region: str, rule: str, deliveries: list[Delivery]
    ) -> list[DeliveryError | None]:
        """Each delivery's outcome (None: delivered). Kinesis records go in one PutRecords per
        stream, Firehose records in one PutRecordBatch per stream, SQS messages in one write per queue; the
        rest one by one."""
        outcomes: list[DeliveryError | None] = [None] * len(deliveries)
        kinesis: dict[str, list[int]] = {}  # by stream name (no key or list made per delivery)
        firehoses: dict[str, list[int]] = {}
        sqs_groups: dict[tuple[str, bool], list[int]] = {}
        singles: list[int] = []
        for index, delivery in enumerate(deliveries):
            kind = delivery.kind
            if kind == "kinesis" or kind == "firehose":
                by_name = kinesis if kind == "kinesis" else firehoses
                name = str(delivery.fields["streamName" if kind == "kinesis" else "deliveryStreamName"])
                found = by_name.get(name)
                if found is None:
                    found = by_name[name] = []
                found.append(index)
            elif kind == "sqs":
                queue = (str(delivery.fields["queueUrl"]), bool(delivery.fields.get("useBase64")))
                found = sqs_groups.get(queue)
                if found is None:
                    found = sqs_groups[queue] = []
                found.append(index)
            else:
                singles.append(index)
        groups = [("kinesis", name, indexes) for name, indexes in kinesis.items()]
        groups += [("firehose", name, indexes) for name, indexes in firehoses.items()]
        for kind, stream, indexes in groups:
            counts = [len(deliveries[i].body) for i in indexes]
            sizes = [sum(map(len, deliveries[i].body)) + 256 * counts[n] for n, i in enumerate(indexes)]
            for chunk in _chunks(indexes, counts, sizes):
                try:
                    if kind == "kinesis":
                        await self._kinesis(
                            account, region, stream, [deliveries[i] for i in chunk], chunk, outcomes
                        )
                    else:
                        streams = _port(self.ports, DeliveryStreamSink, "firehose")
                        parts = [part for i in chunk for part in deliveries[i].body]
                        await streams.put_record_batch(account, region, stream, parts)
                except DeliveryError as error:
                    for i in chunk:
                        outcomes[i] = error
        for (url, base64_body), indexes in sqs_groups.items():
            await self._sqs(account, region, url, base64_body, deliveries, indexes, outcomes)
        for index in singles:
            try:
                await self.deliver(account, region, rule, deliveries[index])
            except DeliveryError as error:
                outcomes[index] = error
        return outcomes

    async def _kinesis(
        self,
        account: str,
        region: str,
        stream: str,
        chunk: list[Delivery],
        indexes: list[int],
        outcomes: list[DeliveryError | None],
    ) -> None:
        sink = _port(self.ports, StreamSink, "kinesis")
        records = [(part, str(d.fields["partitionKey"])) for d in chunk for part in d.body]
        results = iter(await sink.put_records(account, region, stream, records))
        for index, delivery in zip(indexes, chunk, strict=True):
            for _ in delivery.body:  # a delivery fails when any of its records did
                failure = next(results)
                if failure is not None:
                    outcomes[index] = failure

    async def _sqs(
        self,
        account: str,
        region: str,
        url: str,
        base64_body: bool,
        deliveries: list[Delivery],
        indexes: list[int],
        outcomes: list[DeliveryError | None],
    ) -> None:
        """One queue's deliveries sent with one durable write (SendMessageBatch's 10-entry limit is
        the API's, not the store's)."""
        try:
            queues = _port(self.ports, QueueSink, "sqs")
            arn = queue_arn(url, account, region)
            owners: list[int] = []
            bodies: list[str] = []
            for index in indexes:
                for part in deliveries[index].body:
                    owners.append(index)
                    bodies.append(_sqs_body(part, base64_body))
            results = await queues.deliver_many(arn, bodies)
        except DeliveryError as error:
            for index in indexes:
                outcomes[index] = error
            return
        for index, failure in zip(owners, results, strict=True):
            if failure is not None:  # a delivery fails when any of its messages did
                outcomes[index] = failure

    async def deliver(self, account: str, region: str, rule: str, delivery: Delivery) -> None:
        f, body = delivery.fields, delivery.body
        kind = delivery.kind
        if kind == "kinesis":
            sink = _port(self.ports, StreamSink, "kinesis")
            key = str(f["partitionKey"])
            failures = await sink.put_records(account, region, str(f["streamName"]), [(b, key) for b in body])
            for failure in failures:
                if failure is not None:
                    raise failure
        elif kind == "firehose":
            firehose = _port(self.ports, DeliveryStreamSink, "firehose")
            await firehose.put_record_batch(account, region, str(f["deliveryStreamName"]), body)
        elif kind == "sqs":
            queues = _port(self.ports, QueueSink, "sqs")
            arn = queue_arn(str(f["queueUrl"]), account, region)
            for part in body:
                await queues.deliver(arn, _sqs_body(part, bool(f.get("useBase64"))))
        elif kind == "s3":
            objects = _port(self.ports, ObjectSink, "s3")
            try:
                acl = f.get("cannedAcl")
                await objects.put(
                    account, str(f["bucketName"]), str(f["key"]), body[0], acl=str(acl) if acl else None
                )
            except ObjectSourceError as error:
                raise DeliveryError(error.code, error.message) from None
        elif kind == "lambda":
            functions = _port(self.ports, FunctionInvoker, "functions")
            await functions.invoke_event(
                str(f["functionArn"]),
                body[0],
                principal="iot.amazonaws.com",
                source_arn=f"arn:aws:iot:{region}:{account}:rule/{rule}",
                source_account=account,
            )
        elif kind == "republish":
            if self.republish is None:
                raise DeliveryError("ServiceUnavailableException", "the broker is not running")
            qos = int(f.get("qos") or 0)
            hops = REPUBLISH_HOPS.set(int(f.get(HOPS_FIELD) or 0) + 1)
            try:
                await self.republish(
                    account, region, str(f["topic"]), body[0], qos, mqtt_properties(f.get("headers"))
                )
            finally:
                REPUBLISH_HOPS.reset(hops)
        elif kind == "cloudwatchLogs":
            logs = _port(self.ports, LogSink, "logs")
            now_ms = self.clock.now_ms()  # the server clock the logs service keeps too
            events = [(now_ms, part.decode(errors="replace")) for part in body]
            await logs.put(account, region, str(f["logGroupName"]), rule, events)
        elif kind == "http":
            await self._post(account, region, f, body[0])
        else:  # refused at CreateTopicRule; an old stored record cannot name another
            raise DeliveryError("InvalidRequestException", f"unsupported action {kind}")

    async def _post(self, account: str, region: str, f: Doc, body: bytes) -> None:
        url = str(f["url"])
        destination = self.store.destination_for(account, region, str(f.get("confirmationUrl") or url))
        if destination is None or destination.status != "ENABLED":
            raise DeliveryError(
                "InvalidRequestException", f"no enabled topic rule destination confirms {url}"
            )
        headers = [(str(h["key"]), str(h["value"])) for h in f.get("headers") or []]
        sigv4 = (f.get("auth") or {}).get("sigv4")
        if sigv4:
            headers = await self.signer.sign(account, sigv4, url, body, headers)
        try:
            answer = await self.http().post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError("HttpError", f"{type(error).__name__}: {error}") from None
        if not 200 <= answer.status_code < 300:
            raise DeliveryError("HttpError", f"the endpoint answered HTTP {answer.status_code}")


def _sqs_body(part: bytes, base64_body: bool) -> str:
    return base64.b64encode(part).decode() if base64_body else part.decode(errors="replace")


def _chunks(indexes: list[int], counts: list[int], sizes: list[int]) -> list[list[int]]:
    """`indexes` cut into calls of at most MAX_BATCH_RECORDS records and MAX_BATCH_BYTES (a larger
    delivery alone: its target refuses it as it would refuse the caller)."""
    chunks: list[list[int]] = []
    current: list[int] = []
    records = size = 0
    for index, count, length in zip(indexes, counts, sizes, strict=True):
        if current and (records + count > MAX_BATCH_RECORDS or size + length > MAX_BATCH_BYTES):
            chunks.append(current)
            current, records, size = [], 0, 0
        current.append(index)
        records += count
        size += length
    if current:
        chunks.append(current)
    return chunks
