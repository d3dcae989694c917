"""An S3 endpoint that keeps objects in memory and does nothing else, to measure the S3 client's own ceiling.

Just the REST calls the benchmark makes, with just enough HTTP/1.1 (Content-Length bodies, `Expect:
100-continue`, single byte ranges) and the XML shapes boto3 and the raw client read: buckets, PUT / GET /
HEAD / DELETE object, DeleteObjects, multipart (create, parts, complete), ListObjectsV2 with prefix, delimiter
and continuation tokens. No checksums, no validation, no persistence: what the benchmark measures against it
is what the client (and this one asyncio loop) can do at most. Bodies are stored as the list of pieces they
arrived in (a multipart object: its parts), so nothing is copied twice and ranges are served as views.

Run: python -m bench.s3.trivial --port P
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import hashlib
import html
import re
from urllib.parse import parse_qs, unquote, urlsplit

from bench.common.trivial import main

_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")
_RANGE = re.compile(rb"\r\nrange:\s*bytes=(\d+)-(\d*)")
_PART = re.compile(rb"<PartNumber>(\d+)</PartNumber>")
_DELETE_KEY = re.compile(rb"<Key>([^<]*)</Key>")
XML = b'<?xml version="1.0" encoding="UTF-8"?>\n'
NS = b' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
LAST_MODIFIED = b"Wed, 25 Nov 2026 00:00:00 GMT"


class Store:
    def __init__(self) -> None:
        self.buckets: dict[str, dict[str, tuple[list[bytearray], str]]] = {}
        self.sorted: dict[str, list[str]] = {}  # per bucket, rebuilt on the first listing after a change
        self.uploads: dict[str, dict[int, bytearray]] = {}
        self.next_upload = 0

    def keys(self, bucket: str) -> list[str]:
        if bucket not in self.sorted:
            self.sorted[bucket] = sorted(self.buckets[bucket])  # code point order = UTF-8 byte order
        return self.sorted[bucket]

    def changed(self, bucket: str) -> None:
        self.sorted.pop(bucket, None)


STORE = Store()


def _xml_text(value: str) -> bytes:
    return value.replace("&", "&amp;").replace("<", "&lt;").encode()


def list_v2(bucket: str, q: dict[str, list[str]]) -> bytes:
    prefix = q.get("prefix", [""])[0]
    delimiter = q.get("delimiter", [""])[0]
    limit = int(q.get("max-keys", ["1000"])[0])
    token = q.get("continuation-token", [""])[0]
    resume = base64.urlsafe_b64decode(token).decode() if token else prefix
    keys = STORE.keys(bucket)
    at = bisect.bisect_left(keys, resume)
    contents, commons, next_from = [], [], None
    while at < len(keys) and keys[at].startswith(prefix):
        if len(contents) + len(commons) == limit:
            next_from = keys[at]
            break
        key = keys[at]
        cut = key.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            common = key[: cut + len(delimiter)]
            commons.append(b"<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % _xml_text(common))
            at = bisect.bisect_left(keys, common[:-1] + chr(ord(common[-1]) + 1))
            continue
        body, etag = STORE.buckets[bucket][key]
        contents.append(
            b"<Contents><Key>%s</Key><LastModified>2026-11-25T00:00:00.000Z</LastModified><ETag>&quot;%s"
            b"&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>"
            % (_xml_text(key), etag.encode(), sum(map(len, body)))
        )
        at += 1
    token_xml = b""
    if next_from is not None:
        token_xml = b"<NextContinuationToken>%s</NextContinuationToken>" % base64.urlsafe_b64encode(
            next_from.encode()
        )
    return (
        XML + b"<ListBucketResult%s><Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount>"
        b"<MaxKeys>%d</MaxKeys><IsTruncated>%s</IsTruncated>%s%s%s</ListBucketResult>"
        % (
            NS,
            bucket.encode(),
            _xml_text(prefix),
            len(contents) + len(commons),
            limit,
            b"true" if next_from is not None else b"false",
            token_xml,
            b"".join(contents),
            b"".join(commons),
        )
    )


class _Protocol(asyncio.BufferedProtocol):
    """Heads are read into a scratch buffer; each body straight into a bytearray of its own size (one copy,
    kernel to here), which is then the stored object: this server must not be slower than the client."""

    def __init__(self) -> None:
        self.scratch = bytearray(1 << 18)
        self.fill = 0  # bytes of the scratch buffer in use
        self.head = b""
        self.body: bytearray | None = None  # the body being read, if any
        self.got = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> memoryview:
        if self.body is not None:
            return memoryview(self.body)[self.got :]
        return memoryview(self.scratch)[self.fill :]

    def buffer_updated(self, nbytes: int) -> None:
        if self.body is not None:
            self.got += nbytes
        else:
            self.fill += nbytes
        self.advance()

    def advance(self) -> None:
        while True:
            if self.body is None:
                end = self.scratch.find(b"\r\n\r\n", 0, self.fill)
                if end < 0:
                    return
                self.head = bytes(self.scratch[: end + 4])
                lower = self.head.lower()
                match = _LENGTH.search(lower)
                self.body = bytearray(int(match.group(1)) if match else 0)
                self.got = min(len(self.body), self.fill - end - 4)  # what came with the head
                self.body[: self.got] = self.scratch[end + 4 : end + 4 + self.got]
                rest = self.fill - (end + 4 + self.got)
                self.scratch[:rest] = self.scratch[self.fill - rest : self.fill]
                self.fill = rest
                if b"\r\nexpect: 100-continue" in lower and self.transport:
                    self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if self.got < len(self.body):
                return
            body, self.body = self.body, None
            self.respond(self.head, [body] if body else [])

    def send(self, status: bytes, headers: bytes = b"", body: list[bytes | memoryview] | None = None) -> None:
        body = body or []
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 %s\r\n%sContent-Length: %d\r\n\r\n" % (status, headers, sum(len(b) for b in body))
        )
        for piece in body:
            self.transport.write(piece)

    def not_found(self, code: bytes) -> None:
        self.send(
            b"404 Not Found",
            b"Content-Type: application/xml\r\n",
            [XML + b"<Error><Code>%s</Code></Error>" % code],
        )

    def xml(self, body: bytes) -> None:
        self.send(b"200 OK", b"Content-Type: application/xml\r\n", [XML + body])

    def respond(self, head: bytes, pieces: list[bytearray]) -> None:
        method, target = head.split(b" ", 2)[:2]
        url = urlsplit(target.decode())
        q = parse_qs(url.query, keep_blank_values=True)
        bucket, _, key = unquote(url.path[1:]).partition("/")
        if not bucket:
            names = b"".join(b"<Bucket><Name>%s</Name></Bucket>" % b.encode() for b in STORE.buckets)
            return self.xml(
                b"<ListAllMyBucketsResult%s><Buckets>%s</Buckets></ListAllMyBucketsResult>" % (NS, names)
            )
        if method == b"PUT" and not key:
            STORE.buckets.setdefault(bucket, {})
            return self.send(b"200 OK", b"Location: /%s\r\n" % bucket.encode())
        objects = STORE.buckets.get(bucket)
        if objects is None:
            return self.not_found(b"NoSuchBucket")
        if not key:
            if method == b"POST" and "delete" in q:
                for k in _DELETE_KEY.findall(b"".join(pieces)):
                    objects.pop(html.unescape(k.decode()), None)
                STORE.changed(bucket)
                return self.xml(b"<DeleteResult%s></DeleteResult>" % NS)
            return self.xml(list_v2(bucket, q))
        if method in (b"PUT", b"POST", b"DELETE"):
            return self.write(method, bucket, key, q, pieces)
        found = objects.get(key)
        if found is None:
            return self.not_found(b"NoSuchKey")
        self.read(method, head, *found)

    def write(
        self, method: bytes, bucket: str, key: str, q: dict[str, list[str]], pieces: list[bytearray]
    ) -> None:
        objects = STORE.buckets[bucket]
        if method == b"PUT" and "uploadId" in q:
            number = int(q["partNumber"][0])
            STORE.uploads[q["uploadId"][0]][number] = pieces[0] if pieces else bytearray()
            return self.send(b"200 OK", b'ETag: "%032x"\r\n' % number)
        if method == b"PUT":
            size = sum(map(len, pieces))
            etag = hashlib.md5(b"".join(pieces)).hexdigest() if size <= 65536 else f"{size:032x}"
            objects[key] = (pieces, etag)
            STORE.changed(bucket)
            return self.send(b"200 OK", b'ETag: "%s"\r\n' % etag.encode())
        if method == b"POST" and "uploads" in q:
            STORE.next_upload += 1
            upload = b"upload-%d" % STORE.next_upload
            STORE.uploads[upload.decode()] = {}
            return self.xml(
                b"<InitiateMultipartUploadResult%s><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId>"
                b"</InitiateMultipartUploadResult>" % (NS, bucket.encode(), _xml_text(key), upload)
            )
        if method == b"POST" and "uploadId" in q:
            parts = STORE.uploads.pop(q["uploadId"][0])
            numbers = [int(n) for n in _PART.findall(b"".join(pieces))]
            etag = "0" * 32 + f"-{len(numbers)}"
            objects[key] = ([parts[n] for n in numbers], etag)
            STORE.changed(bucket)
            return self.xml(
                b"<CompleteMultipartUploadResult%s><Key>%s</Key><ETag>&quot;%s&quot;</ETag>"
                b"</CompleteMultipartUploadResult>" % (NS, _xml_text(key), etag.encode())
            )
        if "uploadId" in q:  # abort
            STORE.uploads.pop(q["uploadId"][0], None)
        else:
            objects.pop(key, None)
            STORE.changed(bucket)
        self.send(b"204 No Content")

    def read(self, method: bytes, head: bytes, body: list[bytearray], etag: str) -> None:
        size = sum(map(len, body))
        meta = b'ETag: "%s"\r\nLast-Modified: %s\r\nAccept-Ranges: bytes\r\n' % (etag.encode(), LAST_MODIFIED)
        if method == b"HEAD":
            assert self.transport is not None
            return self.transport.write(b"HTTP/1.1 200 OK\r\n%sContent-Length: %d\r\n\r\n" % (meta, size))
        wanted = _RANGE.search(head.lower())
        if not wanted:
            return self.send(b"200 OK", meta, list(body))
        first = int(wanted.group(1))
        last = min(int(wanted.group(2)) if wanted.group(2) else size - 1, size - 1)
        views, at = [], 0
        for piece in body:  # the pieces overlapping [first, last]
            lo, hi = max(first - at, 0), min(last + 1 - at, len(piece))
            if lo < hi:
                views.append(memoryview(piece)[lo:hi])
            at += len(piece)
        rng = b"Content-Range: bytes %d-%d/%d\r\n" % (first, last, size)
        self.send(b"206 Partial Content", meta + rng, views)


if __name__ == "__main__":
    main("trivial S3 server", lambda args: _Protocol)
