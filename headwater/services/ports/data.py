"""Ports of the data services: queues, keys, objects, tables, streams, channels (offered by SQS, KMS, S3,
Glue, Kinesis and Firehose)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


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
        acl: str | None = None,
    ) -> str | None:
        """Stores the object (streamed: a large body is never held whole) and returns its ETag;
        raises ObjectSourceError (NoSuchBucket, AccessDenied) when the bucket refuses it. `acl` is a
        canned ACL (x-amz-acl), refused as PutObject refuses it (InvalidArgument,
        AccessControlListNotSupported...)."""
        ...


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
