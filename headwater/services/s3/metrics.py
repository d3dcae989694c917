"""S3's CloudWatch metrics: daily storage metrics (as gauges, fresh at every scrape, read from the
buckets' durable counters) and request
metrics (counters, dimension FilterId "EntireBucket" as a bucket-wide metrics configuration has)."""

from __future__ import annotations

from collections.abc import Callable

from headwater.runtime.metrics import Metrics
from headwater.services.s3.store import S3Store

NS = "S3"
_METHODS = {"GET": "GetRequests", "PUT": "PutRequests", "DELETE": "DeleteRequests", "HEAD": "HeadRequests"}
_LISTS = frozenset(
    {"ListObjects", "ListObjectsV2", "ListObjectVersions", "ListMultipartUploads", "ListParts"}
)


def storage_collector(store: S3Store) -> Callable[[Metrics], None]:
    def collect(metrics: Metrics) -> None:
        for name in ("BucketSizeBytes", "NumberOfObjects"):
            metrics.gauges.pop((NS, name), None)  # deleted buckets leave no stale series
        for bucket in store.buckets():
            stats = store.stats(bucket.name)  # durable counters: a scrape never walks a bucket
            metrics.set(
                NS,
                "NumberOfObjects",
                (("BucketName", bucket.name), ("StorageType", "AllStorageTypes")),
                stats.objects,
            )
            for storage_class, size in stats.sizes.items():
                storage = f"{storage_class.title().replace('_', '')}Storage"
                metrics.set(
                    NS, "BucketSizeBytes", (("BucketName", bucket.name), ("StorageType", storage)), size
                )

    return collect


def count_request(
    metrics: Metrics,
    bucket: str | None,
    method: str,
    operation: str | None,
    status: int,
    uploaded: int,
    downloaded: int,
) -> None:
    """One request's request metrics (bucket-level operations and ListBuckets have no bucket: skipped)."""
    if not bucket:
        return
    labels = (("BucketName", bucket), ("FilterId", "EntireBucket"))
    metrics.add(NS, "AllRequests", labels)
    name = "ListRequests" if operation in _LISTS else _METHODS.get(method)
    if method == "POST":
        name = "PostRequests"
    if name is not None:
        metrics.add(NS, name, labels)
    if 400 <= status < 500:
        metrics.add(NS, "4xxErrors", labels)
    elif status >= 500:
        metrics.add(NS, "5xxErrors", labels)
    if uploaded:
        metrics.add(NS, "BytesUploaded", labels, uploaded)
    if downloaded:
        metrics.add(NS, "BytesDownloaded", labels, downloaded)
