"""Typed seams between services: what one service may ask of another (and, handed over by the
composition root, what the listeners ask: `Identities`).

A service offers a port (`Service.provides`) and others get it from the `Ports` their `Host` carries,
never another service's core or its wire-level operations. The errors here are the ports' own, so
a caller maps them into its service's AWS errors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from headwater.protocol.lambda_runtime import Call


class DeliveryError(Exception):
    """A message could not be delivered; `code` and `message` say why in the target's words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class QueueSink(Protocol):
    """Delivers messages into queues named by ARN (S3 notifications, later Lambda destinations and
    IoT rule actions)."""

    def exists(self, arn: str) -> bool: ...

    async def deliver(
        self,
        arn: str,
        body: str,
        *,
        attributes: Mapping[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str:
        """Sends one message and returns its MessageId; raises DeliveryError (e.g.
        AWS.SimpleQueueService.NonExistentQueue) when the queue refuses it."""
        ...

    async def deliver_many(self, arn: str, bodies: Sequence[str]) -> list[DeliveryError | None]:
        """Sends plain messages to one queue with one durable write; for each None when sent, else
        why not (e.g. a body too large). Raises DeliveryError when the queue refuses them all."""
        ...


class StreamSink(Protocol):
    """Puts records into Kinesis data streams as their owner would with PutRecords (the kinesis
    service offers it): IoT rule actions."""

    async def put_records(
        self, account: str, region: str, stream: str, records: Sequence[tuple[bytes, str]]
    ) -> list[DeliveryError | None]:
        """Appends (data, partition key) records, durable when it returns; one entry per record:
        None when stored, else its error (ProvisionedThroughputExceededException...). Raises
        DeliveryError (ResourceNotFoundException, ValidationException...) when the whole call is
        refused, in PutRecords' words."""
        ...


class DeliveryStreamSink(Protocol):
    """Puts records into Firehose delivery streams as PutRecordBatch would (the firehose service
    offers it): IoT rule actions."""

    async def put_record_batch(
        self, account: str, region: str, stream: str, records: Sequence[bytes]
    ) -> None:
        """Stores the records (durable when it returns); raises DeliveryError
        (ResourceNotFoundException, InvalidArgumentException...) in PutRecordBatch's words."""
        ...


class KeyRingError(Exception):
    """Base of the key ring's errors; the message is KMS's wording (services may reuse it)."""


class KeyNotFoundError(KeyRingError):
    """No such key or alias (or the key was deleted)."""


class KeyDisabledError(KeyRingError):
    """The key exists but is disabled."""


class KeyStateError(KeyRingError):
    """The key's state forbids its use (pending deletion)."""


class InvalidCiphertextError(KeyRingError):
    """A blob that was not sealed by the ring, was altered, or belongs to another context."""


class KeyRing(Protocol):
    """Keys for data at rest, by (account, region, key reference): what services encrypt with.

    A reference is a key id, key ARN, alias name or alias ARN. Sealed blobs name their key, so
    `open` needs none. Methods raise the `KeyRingError`s above; each service maps them to its own
    AWS errors."""

    async def resolve(self, account: str, region: str, key_ref: str) -> str:
        """The ARN of the key a reference names, durable before it returns; creates the
        AWS-managed `alias/aws/<service>` keys on first use. Does not check the key's state."""
        ...

    def check(self, account: str, region: str, key_ref: str) -> str:
        """The ARN of an existing key that can be used now (raises as `seal` would)."""
        ...

    def seal(self, account: str, region: str, key_ref: str, data: bytes, aad: bytes) -> bytes:
        """AES-GCM ciphertext of `data` under an existing, enabled key, bound to `aad`."""
        ...

    def seal_many(
        self, account: str, region: str, key_ref: str, items: Sequence[bytes], aad: bytes
    ) -> list[bytes]:
        """`seal` of each item in turn, the key looked up and checked once (a batch of messages)."""
        ...

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """The plaintext of a blob from `seal`, if its key can be used now."""
        ...

    def recover(self, blob: bytes, aad: bytes) -> bytes:
        """The plaintext of a blob from `seal` whatever its key's state: for a service rebuilding
        its own in-memory state at start, never for answering a read."""
        ...


@dataclass(frozen=True, slots=True)
class Identity:
    """Temporary credentials a service issued (STS), and the principal they act as.

    A request signed with `access_key` acts in `account`; with `--auth strict` it must be signed with
    `secret`, carry `session_token` (``X-Amz-Security-Token``), and arrive before `expires`.
    """

    access_key: str
    secret: str
    session_token: str
    account: str
    arn: str  # the principal (arn:aws:sts::<account>:assumed-role/<role>/<session>, ...)
    user_id: str  # GetCallerIdentity's UserId (AROA...:<session>, or the account id for root sessions)
    expires: float  # epoch seconds
    kind: str  # "assumed-role", "federated-user" or "session" (GetSessionToken)


class Identities(Protocol):
    """Who an access key id belongs to, for the keys a service issued (the STS service offers it).

    The listeners ask it before they fall back to the configured rule (a 12-digit key id is its own
    account, any other key the default one), so issued keys act in their role's account."""

    def lookup(self, access_key: str) -> Identity | None: ...


class LogSink(Protocol):
    """Writes events into CloudWatch Logs groups and streams (the logs service offers it): function
    output and REPORT lines, later Firehose and IoT error logging."""

    async def put(
        self,
        account: str,
        region: str,
        group: str,
        stream: str,
        events: Sequence[tuple[int, str]],
    ) -> None:
        """Appends (timestamp in epoch ms, message) events in order, creating the group and the
        stream when absent; the events are durable when it returns."""
        ...


class Roles(Protocol):
    """IAM roles by ARN (the iam service offers it): what a service that assumes a role (Lambda's
    execution role) checks before accepting it. Roles are stored, not evaluated for permissions."""

    def trust_policy(self, role_arn: str) -> str | None:
        """The role's AssumeRolePolicyDocument (JSON text) when the role exists, else None."""
        ...


# how a runtime's waiting ``next`` receives its event: the payload and the ``Lambda-Runtime-*`` headers
Deliver = Callable[[bytes, list[tuple[str, str]]], None]


class RuntimeChannel(Protocol):
    """One function worker's side of the Lambda Runtime API: the runtime API listener calls it for
    every request that arrives at that worker's address (the functions service implements it)."""

    def park(self, deliver: Deliver) -> Callable[[], None]:
        """A runtime's ``next``: `deliver` is called once with the worker's next invocation, at once
        when one waits, else from the call that hands the worker one (so the event is written
        without a turn of the event loop). Returns what withdraws the wait (the connection closed)."""
        ...

    def post(self, call: Call, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes]:
        """A response, error or init error from the runtime: the HTTP status and body to answer."""
        ...


class RuntimeEndpoints(Protocol):
    """Addresses of the Lambda Runtime API (the runtime API listener offers them, through the
    composition root): one loopback ``host:port`` per worker, so a call names its worker without
    any change to AWS's runtime clients."""

    async def open(self, channel: RuntimeChannel) -> str:
        """Serves `channel` at a new loopback address and returns it (``127.0.0.1:<port>``)."""
        ...

    async def close(self, address: str) -> None:
        """Stops serving an address (a worker that exited); idempotent."""
        ...


class Runtimes(Protocol):
    """What the functions service offers the composition root: where the listener that serves the
    Runtime API is attached before any worker starts."""

    def attach(self, endpoints: RuntimeEndpoints) -> None: ...

    async def package(self, account: str, region: str, name: str) -> bytes | None:
        """A function's code package (GetFunction's Code.Location serves it), None when unknown."""
        ...


class ObjectSourceError(Exception):
    """An object could not be read; `code` and `message` say why in S3's words (NoSuchBucket...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ObjectSource(Protocol):
    """Reads whole objects out of buckets (the S3 service offers it): a function's code package
    from S3Bucket/S3Key, later layers and Firehose sources."""

    async def read_object(
        self, account: str, bucket: str, key: str, version: str | None = None, limit: int = 0
    ) -> bytes:
        """The object's bytes (at most `limit` when non-zero, else ObjectSourceError
        EntityTooLarge); raises ObjectSourceError (NoSuchBucket, NoSuchKey) otherwise."""
        ...


class ObjectSink(Protocol):
    """Writes whole objects into buckets as their owner would with PutObject (the S3 service offers
    it): Firehose and Kinesis-channel deliveries, later IoT rule actions. The bucket's default
    encryption applies and its notifications fire; the object is durable when `put` returns."""

    async def put(
        self,
        account: str,
        bucket: str,
        key: str,
        chunks: AsyncIterator[bytes] | bytes,
        *,
        content_type: str = "application/octet-stream",
        content_encoding: str | None = None,
    ) -> str | None:
        """Stores the object (streamed: a large body is never held whole) and returns its ETag;
        raises ObjectSourceError (NoSuchBucket, AccessDenied) when the bucket refuses it."""
        ...


class FunctionInvoker(Protocol):
    """Invokes functions on behalf of another service (the functions service offers it): S3 event
    notifications, later IoT rule actions. With ``--auth strict`` the function's resource policy
    must let `principal` (``s3.amazonaws.com``) invoke it for `source_arn`/`source_account`."""

    def refusal(
        self, function_arn: str, *, principal: str, source_arn: str | None, source_account: str | None
    ) -> str | None:
        """None when an invocation would be accepted now, else why not (no such function, or the
        policy does not allow it): for a service that validates its destinations."""
        ...

    async def invoke_event(
        self,
        function_arn: str,
        payload: bytes,
        *,
        principal: str,
        source_arn: str | None,
        source_account: str | None,
    ) -> None:
        """Queues an asynchronous (Event) invocation; raises DeliveryError (ResourceNotFoundException,
        AccessDeniedException...) when the function refuses it."""
        ...


@dataclass(frozen=True, slots=True)
class InvokeOutcome:
    """A synchronous invocation's answer as Invoke gives it: `function_error` is None on success,
    else "Unhandled"/"Handled" with the error document in `payload`."""

    status: int
    payload: bytes
    function_error: str | None
    executed_version: str


class FunctionCaller(Protocol):
    """Synchronous (RequestResponse) invocations on behalf of another service (the functions
    service offers it): Firehose transformations, IoT SQL's aws_lambda(). Raises DeliveryError
    with Lambda's error code (ResourceNotFoundException, TooManyRequestsException,
    RequestEntityTooLargeException...) when the invocation is refused before the function runs."""

    async def invoke(
        self, function_arn: str, payload: bytes, *, principal: str, source_arn: str | None = None
    ) -> InvokeOutcome: ...


@dataclass(frozen=True, slots=True)
class TableColumn:
    name: str
    type: str  # a Hive type string as Glue stores it: "int", "array<struct<a:string>>"...
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogTable:
    """A Glue table as a reader of its schema needs it."""

    database: str
    name: str
    version_id: str
    columns: tuple[TableColumn, ...]
    partition_keys: tuple[TableColumn, ...]
    table_type: str | None  # "EXTERNAL_TABLE", "ICEBERG"...
    location: str | None
    parameters: Mapping[str, str]


class CatalogError(Exception):
    """A table could not be read; `code` and `message` are Glue's (EntityNotFoundException...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TableCatalog(Protocol):
    """Reads the Glue Data Catalog (the glue service offers it): Firehose's record format
    conversion and Iceberg destination. Raises CatalogError."""

    def table(
        self, account: str, region: str, database: str, name: str, version_id: str | None = None
    ) -> CatalogTable:
        """The table (at `version_id`, or the newest when None or "LATEST")."""
        ...

    async def create_table(
        self,
        account: str,
        region: str,
        database: str,
        name: str,
        *,
        location: str,
        columns: Sequence[TableColumn],
        parameters: Mapping[str, str],
    ) -> CatalogTable:
        """Creates a table as CreateTable would (AlreadyExistsException, EntityNotFoundException
        for a missing database): an Iceberg writer registering a new table."""
        ...

    async def commit_parameters(
        self,
        account: str,
        region: str,
        database: str,
        name: str,
        *,
        version_id: str,
        parameters: Mapping[str, str],
        columns: Sequence[TableColumn] | None = None,
    ) -> CatalogTable:
        """Merges `parameters` into the table's (and replaces its columns when given) as
        UpdateTable with VersionId does: only while `version_id` is still the newest version, else
        CatalogError ConcurrentModificationException. An Iceberg commit swaps metadata_location
        with it."""
        ...


@dataclass(frozen=True, slots=True)
class UrlRequest:
    """An HTTP request that arrived at a function URL, as the listener read it."""

    method: str
    raw_path: str  # percent-encoded, as sent
    raw_query: str
    headers: Sequence[tuple[str, str]]  # lower-case names, in arrival order
    body: bytes
    source_ip: str
    protocol: str  # "HTTP/1.1"
    domain: str  # the Host it was addressed to (without a port)
    account: str | None = None  # who signed it (AWS_IAM); None: anonymous
    access_key: str | None = None


@dataclass(frozen=True, slots=True)
class UrlResponse:
    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes


class FunctionUrls(Protocol):
    """Function URLs (the functions service offers them, through the composition root, to the
    HTTP listener that serves them)."""

    def auth_type(self, url_id: str) -> str | None:
        """ "NONE" or "AWS_IAM" for a URL that exists, else None."""
        ...

    async def serve(self, url_id: str, request: UrlRequest) -> UrlResponse:
        """Authorizes the request by the function's resource policy, invokes the function with the
        payload format 2.0 event and maps its answer to the HTTP response."""
        ...


class SourceReadError(Exception):
    """A stream or queue could not be read; `code` and `message` say why in the source's words
    (ResourceNotFoundException, AWS.SimpleQueueService.NonExistentQueue...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class StreamShard:
    """A shard and its lineage: a child is read once its parents are read to their end."""

    shard_id: str
    parents: tuple[str, ...]
    closed: bool


@dataclass(frozen=True, slots=True)
class StreamRecord:
    sequence_number: str
    partition_key: str
    data: bytes
    arrival: float  # ApproximateArrivalTimestamp, epoch seconds


@dataclass(frozen=True, slots=True)
class StreamPage:
    """Records read from a position, and the position after them (None: the shard is closed and
    read to its end)."""

    records: list[StreamRecord]
    next_position: str | None


class StreamReader(Protocol):
    """Reads Kinesis streams by ARN (the kinesis service offers it): what an event-source mapping
    polls. Positions are opaque to the caller and valid while the server runs; a durable place is a
    sequence number, turned back into a position with AFTER_SEQUENCE_NUMBER. Raises
    SourceReadError."""

    def exists(self, arn: str) -> bool: ...

    def consumer_active(self, consumer_arn: str) -> bool:
        """Whether an enhanced fan-out consumer (`<stream ARN>/consumer/<name>:<stamp>`) is registered
        and ACTIVE: a mapping may read through one."""
        ...

    def shards(self, arn: str) -> list[StreamShard]:
        """Every shard the stream still holds, open and closed, parents before children."""
        ...

    def position(
        self, arn: str, shard_id: str, kind: str, sequence_number: str | None = None, at: float | None = None
    ) -> str:
        """A position of `kind`: TRIM_HORIZON, LATEST, AT_TIMESTAMP (`at`, epoch seconds) or
        AFTER_SEQUENCE_NUMBER (`sequence_number`)."""
        ...

    async def read(self, arn: str, shard_id: str, position: str, limit: int) -> StreamPage: ...

    async def wait(self, arn: str, shard_id: str, timeout: float) -> None:
        """Returns when records may have been added to the shard, or after `timeout` seconds."""
        ...


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """A received message as the SQS event shows it (attributes: the system attributes by name;
    message_attributes: the API's {StringValue, BinaryValue, DataType} per name)."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: Mapping[str, str]
    message_attributes: Mapping[str, Mapping[str, Any]]
    md5_of_body: str
    md5_of_message_attributes: str | None


class QueueReader(Protocol):
    """Receives from SQS queues by ARN (the sqs service offers it): what an event-source mapping
    polls. Raises SourceReadError."""

    def exists(self, arn: str) -> bool: ...

    def is_fifo(self, arn: str) -> bool: ...

    async def receive(
        self, arn: str, count: int, wait_seconds: int, visibility_timeout: int | None = None
    ) -> list[QueueMessage]:
        """Up to `count` (1-10) messages with every attribute, waiting up to `wait_seconds`."""
        ...

    async def delete(self, arn: str, receipt_handles: Sequence[str]) -> None: ...

    async def change_visibility(self, arn: str, receipt_handle: str, seconds: int) -> None: ...


@dataclass(frozen=True, slots=True)
class ChannelTable:
    """A Kinesis channel's S3 Tables table: the table bucket (its catalog is Glue's
    `<account>:s3tablescatalog/<bucket>`, its namespaces that catalog's databases), the table, and
    the Parquet compression (NONE, ZSTD, SNAPPY) of the data files a created table gets."""

    table_bucket_arn: str
    namespace: str
    table: str
    compression: str


@dataclass(frozen=True, slots=True)
class ChannelTarget:
    """A Kinesis channel's delivery to a general-purpose bucket (or to an S3 Tables table: `table`),
    as the kinesis service defines it:
    the source stream, the bucket (written as `account`), the OutputKeyTemplate (defaults filled
    in; `!{channel-name}`, `!{channel-id}`, `!{yyyy}`... are evaluated per object), CompressionType
    (NONE, GZIP, ZSTD) and DataFreshnessInSeconds (the longest a record waits for its object)."""

    channel_id: str
    channel_name: str
    channel_arn: str
    account: str
    region: str
    stream_arn: str
    bucket: str
    key_template: str
    compression: str
    freshness_s: int
    log_group: str | None = None  # delivery errors go there when logging is enabled
    log_stream: str | None = None
    # S3 Tables: the records (JSON objects) become the table's rows, and `bucket`/`error_prefix`
    # name the dead-letter bucket that receives the records that cannot be written
    table: ChannelTable | None = None
    error_prefix: str | None = None


class ChannelDelivery(Protocol):
    """Runs Kinesis channels' deliveries (the firehose service offers it, with its delivery
    machinery; kinesis, registered before it, looks it up when a channel needs it). A delivery
    reads its stream from LATEST as of its first `start`, keeps its position durably and resumes
    after a restart on its own (at-least-once)."""

    async def start(self, target: ChannelTarget) -> None:
        """Starts delivering; for a channel already delivering, takes the new settings and carries
        on from where it was (UpdateChannel)."""
        ...

    async def stop(self, channel_id: str) -> None:
        """Stops and forgets the delivery (what it buffered is discarded); unknown ids are ignored."""
        ...

    def problem(self, channel_id: str) -> str | None:
        """Why the delivery cannot go on now (its stream cannot be read...), None when it can."""
        ...


# --- IoT: the MQTT broker (offered by the iot service) and the device gateway's listener -------------


@dataclass(frozen=True, slots=True)
class MqttPeer:
    """Who is at the other end of a device connection, as the listener authenticated it.

    `transport`: "tcp" (the opt-in plain port), "mtls" (8883, or 443 with ALPN x-amzn-mqtt-ca),
    "wss" (MQTT over WebSocket, SigV4-signed), "https" (HTTPS publish). `certificate_der` is the
    client certificate the TLS handshake verified; `access_key`/`account` the SigV4 signer's; the
    broker turns these into a principal, an account and a region (`server_name`, the SNI, may name
    the region: `<prefix>-ats.iot.<region>.localhost`)."""

    transport: str
    remote_address: str  # "ip:port"
    certificate_der: bytes | None = None
    access_key: str | None = None
    account: str | None = None
    region: str | None = None
    server_name: str | None = None
    alpn: str | None = None


class MqttOutlet(Protocol):
    """One client connection as the broker sees it (implemented by the MQTT listener)."""

    @property
    def protocol_level(self) -> int:
        """4 (3.1.1; also used for 3.1) or 5."""
        ...

    def write(self, packet: Any) -> None:
        """Encodes a packet (`protocol.mqtt.packets`) for the connection's version and queues it;
        never blocks (see `buffered`)."""
        ...

    @property
    def buffered(self) -> int:
        """Bytes written but not yet sent: the broker stops feeding a slow client past a bound."""
        ...

    def drained(self) -> Awaitable[None] | None:
        """None when the client is keeping up; else an awaitable that finishes once its unsent bytes
        are back under the transport's low mark (or the connection ends)."""
        ...

    def close(self, reason_code: int = 0, reason: str | None = None) -> None:
        """The broker ends the connection (session taken over, certificate revoked, policy): an MQTT 5
        client is sent DISCONNECT with the code first; `MqttSession.ended` follows."""
        ...


class MqttSession(Protocol):
    """A connected client's side of the broker, driven by its listener connection."""

    @property
    def keep_alive(self) -> int:
        """The keep-alive the connection is held to (seconds; 0 = none): the listener closes it
        after 1.5 times this without a packet."""
        ...

    def receive(self, packet: Any) -> Awaitable[None] | None:
        """Every packet after CONNECT, in order. Answers (PUBACK, SUBACK...) go out through the
        outlet; an awaitable is returned when the packet needs I/O (a QoS 1 PUBLISH is acknowledged
        once stored): the listener awaits it before reading the next packet."""
        ...

    async def ended(self, reason_code: int, client_initiated: bool) -> None:
        """The connection is gone (DISCONNECT, a closed socket, keep-alive expiry, a protocol error,
        `MqttOutlet.close`): publish the will as its rules say, keep or drop the session."""
        ...


class MqttBroker(Protocol):
    """The broker's door for listeners."""

    async def connect(self, packet: Any, peer: MqttPeer, outlet: MqttOutlet) -> MqttSession | None:
        """Answers a CONNECT through the outlet (CONNACK, then what a resumed session has queued).
        None when the connection is refused: the listener closes it once the CONNACK, if any, is
        written (AWS mode answers a 3.1.1 client it does not authorize with none)."""
        ...


@dataclass(frozen=True, slots=True)
class DeviceTlsMaterial:
    """What the device gateway's TLS needs, from the iot service: its server certificate (chained to
    the local IoT root CA, valid for the endpoint names DescribeEndpoint gives) and the client
    certificate trust anchors (the root, registered CA certificates, certificates registered
    without a CA). `generation` changes whenever any of them does: the listener then builds new
    SSL contexts for new connections."""

    generation: int
    server_cert_pem: bytes  # the server certificate followed by its chain
    server_key_pem: bytes
    client_anchors_pem: bytes


class DeviceTrust(Protocol):
    def material(self) -> DeviceTlsMaterial: ...

    def root_ca_pem(self) -> bytes:
        """The local IoT root CA certificate (PEM): what clients add to their trust (the admin
        route `/_headwater/iot/root-ca` serves it)."""
        ...

    def ca_chain_pem(self) -> bytes:
        """The issuing CA that signs device and server certificates, then the root (PEM): what
        verifies a device certificate offline (`/_headwater/iot/ca-chain`)."""
        ...


class IotExplain(Protocol):
    """The IoT policy engine's explain view, for the admin route `/_headwater/iot/explain`."""

    def explain(
        self,
        account: str,
        region: str,
        principal: str | None,
        client_id: str | None,
        action: str,
        resource: str,
    ) -> dict[str, Any]:
        """Which policy and statement allowed or denied the request, and why (`summary`: the same as
        text); raises AwsError for bad input (an unknown certificate, an invalid principal or action)."""
        ...


class DataPlaneError(Exception):
    """An iot-data request the broker refuses: AWS's error code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True, slots=True)
class RetainedMessage:
    topic: str
    payload: bytes
    qos: int
    last_modified_ms: int
    user_properties: bytes | None = None  # as iot-data returns them (JSON, base64 on the wire)


class IotDataPlane(Protocol):
    """What the iot-data API (HTTPS publish, retained messages, connections) asks of the broker."""

    async def publish(
        self,
        account: str,
        region: str,
        topic: str,
        payload: bytes,
        *,
        qos: int = 0,
        retain: bool = False,
        properties: Any = None,  # protocol.mqtt.packets.Properties (MQTT 5 headers) or None
        peer: MqttPeer | None = None,  # None: an HTTPS call on the main API port
    ) -> None:
        """Publishes as a client would (policy, limits, retained, rules); raises DataPlaneError."""
        ...

    def retained(self, account: str, region: str, topic: str) -> RetainedMessage | None: ...

    def list_retained(
        self, account: str, region: str, after: str | None, limit: int
    ) -> tuple[list[RetainedMessage], str | None]:
        """Retained messages in topic order after `after`, and the next page's marker."""
        ...

    async def delete_connection(
        self, account: str, region: str, client_id: str, clean_session: bool, prevent_will: bool
    ) -> None:
        """Disconnects a client (raises DataPlaneError ResourceNotFoundException when none)."""
        ...

    def authorize(self, peer: MqttPeer, action: str, resource: str) -> tuple[str, str]:
        """The (account, region) of a device-certificate caller of the gateway's HTTPS port whose
        policies allow `action` (e.g. "iot:UpdateThingShadow") on `resource` (the ARN's tail, e.g.
        "thing/bulb" or "thing/bulb/settings"); DataPlaneError 401 (no active certificate) or 403
        (the policies do not allow it) otherwise."""
        ...


class IotRulesDebugger(Protocol):
    """The rules engine's dry run (the iot service offers it, through the composition root, to the
    admin route `POST /_headwater/iot/rules/<name>/dry-run`)."""

    def dry_run(
        self,
        account: str | None,
        region: str | None,
        rule: str,
        topic: str,
        payload: bytes,
        client_id: str | None,
    ) -> dict[str, Any] | None:
        """What the rule would do with this message, nothing delivered: whether it matches, the
        SELECT result and each action's rendered request; None when there is no such rule. A None
        account or region is the configured default."""
        ...


# --- IoT: Device Shadow (offered by the iot service; iot-data's shadow operations, later rules) -----


class ShadowError(Exception):
    """A shadow request refused: the HTTP-style code of AWS's error document (400, 404, 409, 413,
    415, 429, 500) and its message ("Version conflict", "No shadow exists with name: 'x'"...)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ShadowStore(Protocol):
    """Classic (`name` None) and named shadows of a thing, the one store MQTT requests and the REST
    API share. Each call answers AWS's response document (JSON bytes) or raises ShadowError; an
    accepted update or delete is durable before it returns and has published what AWS publishes
    on the shadow's MQTT topics (`/update/accepted`, `/update/delta`, `/update/documents`,
    `/delete/accepted`)."""

    async def read(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        """The shadow document with `state.delta` (GetThingShadow), answered once any change to the
        shadow still being stored is durable."""
        ...

    def get(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        """The same document at once (a change still being stored included): for callers that cannot
        wait, such as the rules engine's `get_thing_shadow`."""
        ...

    async def update(self, account: str, region: str, thing: str, name: str | None, payload: bytes) -> bytes:
        """Applies a request state document; the `/update/accepted` document."""
        ...

    async def delete(self, account: str, region: str, thing: str, name: str | None) -> bytes:
        """Deletes the shadow; `{"version", "timestamp"}` (its version carries on if it is
        re-created within 48 hours)."""
        ...

    def list_named(
        self, account: str, region: str, thing: str, after: str | None, limit: int
    ) -> tuple[list[str], str | None]:
        """The thing's named shadows in name order after `after`, and the last name when more follow."""
        ...

    def history(self, account: str, region: str, thing: str, name: str | None) -> list[dict[str, Any]]:
        """Headwater's shadow history (`--iot-shadow-history`): the accepted changes kept, oldest first."""
        ...


class EdgeStatus(Protocol):
    """Offered by the iot service in edge mode (`serve --edge`): the store-and-forward bridge's
    state, for the health document and `GET /_headwater/edge`."""

    def status(self) -> dict[str, Any]: ...
