"""Gateway robustness over the wire: routing errors, malformed bodies, limits, admin routes, and a
bounded fuzz loop asserting that no client input ever earns a 5xx."""

from __future__ import annotations

import base64
import json
import random
import re
import select
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import cbor2
import httpx
import pytest
from botocore.model import Shape

from headwater.listeners.http.gateway import MAX_BODY
from headwater.protocol.models import service_model

JSON = "application/x-amz-json-1.1"
CBOR = "application/x-amz-cbor-1.1"
TARGET = "Kinesis_20131202"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# An Authorization header that names a credential scope; open mode only reads the scope.
AUTH = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0"


@pytest.fixture
def http(endpoint: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=endpoint, timeout=30) as client:
        yield client


def post(
    http: httpx.Client,
    operation: str | None,
    body: bytes | str = b"{}",
    content_type: str | None = JSON,
    **headers: str,
) -> httpx.Response:
    sent = dict(headers)
    if operation is not None:
        sent["X-Amz-Target"] = operation if "." in operation else f"{TARGET}.{operation}"
    if content_type is not None:
        sent["Content-Type"] = content_type
    return http.post("/", content=body, headers=sent)


def assert_error(response: httpx.Response, status: int, code: str, message: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert UUID.fullmatch(response.headers["x-amzn-requestid"])
    body = response.json()
    assert body["__type"] == code
    if message is not None:
        assert body.get("message", body.get("Message")) == message


# --- routing -----------------------------------------------------------------------------------


def test_unknown_operation(http: httpx.Client) -> None:
    # (a target of a service that does not run, DynamoDB's, is named in its answer: test_foreign_services.py)
    for target in (f"{TARGET}.ListStream", f"{TARGET}.", "nonsense"):
        response = post(http, target)
        assert_error(response, 400, "UnknownOperationException")
        assert response.headers["content-type"] == JSON
        assert response.json() == {"__type": "UnknownOperationException"}


def test_missing_target(http: httpx.Client) -> None:
    # With an AWS JSON content type, AWS answers UnknownOperationException, signed or not.
    assert_error(post(http, None), 400, "UnknownOperationException")
    assert_error(post(http, None, Authorization=AUTH, **{"X-Amz-Date": "20240101T000000Z"}), 400,
                 "UnknownOperationException")  # fmt: skip
    cbor = post(http, None, content_type=CBOR, body=b"\xa0")
    assert cbor.status_code == 400
    assert cbor.headers["content-type"] == CBOR
    assert cbor2.loads(cbor.content) == {"__type": "UnknownOperationException"}
    # Without one (a browser, curl), the generic front end answers: no token, or nothing to authorize.
    assert_error(post(http, None, content_type=None), 403, "MissingAuthenticationTokenException",
                 "Missing Authentication Token")  # fmt: skip
    assert_error(post(http, "Nope_20200101.ListStream", content_type=None, Authorization=AUTH), 403,
                 "AccessDeniedException", "Unable to determine service/operation name to be authorized")  # fmt: skip


def test_application_json_is_accepted(http: httpx.Client) -> None:
    created = post(http, "CreateStream", '{"StreamName":"j","ShardCount":1}', "application/json")
    assert created.status_code == 200, created.text
    listed = post(http, "ListStreams", "{}", "application/json")
    assert listed.status_code == 200
    assert listed.json()["StreamNames"] == ["j"]
    # and with a charset parameter, as some HTTP libraries add
    described = post(http, "DescribeStreamSummary", '{"StreamName":"j"}', "application/json; charset=utf-8")
    assert described.json()["StreamDescriptionSummary"]["StreamName"] == "j"


def test_successful_responses_carry_aws_headers(http: httpx.Client) -> None:
    response = post(http, "ListStreams")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert UUID.fullmatch(response.headers["x-amzn-requestid"])
    assert 72 <= len(base64.b64decode(response.headers["x-amz-id-2"])) <= 80


# --- malformed bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", [b"hello", b"{", b'{"StreamName":', b"\xff\xfe\x00", b'{"a":1}}', b"NaN", b'{"Limit": Infinity}']
)
@pytest.mark.parametrize(
    "operation", ["ListStreams", "CreateStream", "PutRecord", "PutRecords", "GetRecords"]
)
def test_malformed_json_is_a_serialization_exception(http: httpx.Client, operation: str, body: bytes) -> None:
    response = post(http, operation, body)
    assert_error(response, 400, "SerializationException")
    assert response.json() == {"__type": "SerializationException"}


# The fast paths (PutRecord, PutRecords, GetRecords) must fail exactly as the generic codec does.
@pytest.mark.parametrize(
    "operation", ["ListStreams", "CreateStream", "PutRecord", "PutRecords", "GetRecords"]
)
def test_deeply_nested_json_is_a_serialization_exception(http: httpx.Client, operation: str) -> None:
    for body in (b"[" * 100_000, b'{"Records":' * 50_000):
        assert_error(post(http, operation, body), 400, "SerializationException")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"StreamName":"a\\ud800"}', id="escaped"),
        pytest.param(b'{"StreamName":"a\xed\xa0\x80"}', id="raw"),
        pytest.param(b'{"StreamName":"a\xff"}', id="invalid-utf8"),
    ],
)
def test_lone_surrogates_in_names_are_client_errors(http: httpx.Client, body: str | bytes) -> None:
    assert post(http, "DescribeStreamSummary", body).status_code == 400


# Reported: services/kinesis/records.py hashes `PartitionKey.encode()`, which refuses lone surrogates.
@pytest.mark.parametrize("operation", ["PutRecord", "PutRecords"])
def test_lone_surrogate_partition_keys_never_fail_the_server(http: httpx.Client, operation: str) -> None:
    """A partition key has no pattern, so a lone surrogate (valid JSON) passes validation."""
    post(http, "CreateStream", '{"StreamName":"u","ShardCount":1}')
    entry = '"Data":"YQ==","PartitionKey":"a\\ud800"'
    body = (
        f'{{"StreamName":"u",{entry}}}'
        if operation == "PutRecord"
        else f'{{"StreamName":"u","Records":[{{{entry}}}]}}'
    )
    assert post(http, operation, body).status_code < 500


# The messages are AWS's (Coral's Java class names), as recorded against real Kinesis.
WRONG_TYPES = [
    ("CreateStream", {"StreamName": 5, "ShardCount": 1},
     "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
    ("CreateStream", {"StreamName": True, "ShardCount": 1},
     "class java.lang.Boolean can not be converted to an String"),
    ("CreateStream", {"StreamName": "s", "ShardCount": "1"},
     "class java.lang.String can not be converted to an Integer"),
    ("CreateStream", {"StreamName": [], "ShardCount": 1}, "Start of list found where not expected"),
    ("CreateStream", {"StreamName": {}, "ShardCount": 1},
     "Start of structure or map found where not expected."),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": 23},
     "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to a Blob"),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": True},
     "class java.lang.Boolean can not be converted to a Blob"),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "a"},
     "'a' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 1"),
    ("PutRecord", {"StreamName": "s", "PartitionKey": "k", "Data": "a*=="},
     "'a*==' can not be converted to a Blob: Invalid Base64 character: '*'"),
    ("PutRecords", {"StreamName": "s", "Records": {}}, "Start of structure or map found where not expected."),
    ("PutRecords", {"StreamName": "s", "Records": [{"PartitionKey": "k", "Data": []}]},
     "Start of list found where not expected"),
    ("GetRecords", {"ShardIterator": "x", "Limit": "1"},
     "class java.lang.String can not be converted to an Integer"),
    ("GetShardIterator", {"StreamName": "s", "ShardId": "shardId-000000000000",
                          "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": "yesterday"},
     "'yesterday' can not be converted to an Date"),
    ("ListStreams", [], "Start of list found where not expected"),
    # members the fast paths read without decoding must still be type-checked
    ("PutRecord", {"StreamName": "s", "PartitionKey": 5, "Data": "YQ=="},
     "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
    ("PutRecord", {"StreamARN": False, "PartitionKey": "k", "Data": "YQ=="},
     "class java.lang.Boolean can not be converted to an String"),
    ("PutRecords", {"StreamName": "s", "Records": [{"PartitionKey": 1, "Data": "YQ=="}]},
     "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
    ("GetRecords", {"ShardIterator": "x", "StreamARN": 1},
     "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String"),
]  # fmt: skip


@pytest.mark.parametrize(("operation", "params", "message"), WRONG_TYPES)
def test_wrong_types_give_aws_serialization_messages(
    http: httpx.Client, operation: str, params: Any, message: str
) -> None:
    assert_error(post(http, operation, json.dumps(params)), 400, "SerializationException", message)


# --- size limit --------------------------------------------------------------------------------


def _raw_request(endpoint: str, head: bytes, body: Iterator[bytes]) -> bytes:
    """Send a request by hand and return the status line; stops sending once the server answers."""
    url = urlsplit(endpoint)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        pending = memoryview(head)
        answer = b""
        while b"\r\n" not in answer:
            readable, writable, _ = select.select([sock], [sock] if pending else [], [], 30)
            if not readable and not writable:
                raise TimeoutError("the server neither read nor answered")
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            elif writable:
                try:
                    pending = pending[sock.send(pending) :]
                except OSError:  # the server answered and closed; read what it said
                    pending = memoryview(b"")
                if not pending:
                    pending = memoryview(next(body, b""))
    return answer.split(b"\r\n", 1)[0]


def test_body_over_the_limit_is_413(endpoint: str) -> None:
    host = urlsplit(endpoint).netloc.encode()
    common = b"POST / HTTP/1.1\r\nHost: " + host + b"\r\nContent-Type: " + JSON.encode()
    common += b"\r\nX-Amz-Target: Kinesis_20131202.PutRecords\r\n"
    declared = common + f"Content-Length: {MAX_BODY + 1}\r\n\r\n".encode()
    assert _raw_request(endpoint, declared, iter([b"{" * 4096])).split()[1] == b"413"
    # chunked, with no length declared: refused once the limit is crossed
    chunk = b"a" * (1024 * 1024)
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    streamed = common + b"Transfer-Encoding: chunked\r\n\r\n"
    limit_chunks = MAX_BODY // len(chunk) + 8
    assert _raw_request(endpoint, streamed, iter([framed] * limit_chunks)).split()[1] == b"413"


def test_body_under_the_limit_is_read(http: httpx.Client) -> None:
    # 5 MiB of records in base64 JSON: well under the limit, so the service (not the gateway) answers
    post(http, "CreateStream", '{"StreamName":"big","ShardCount":1}')
    data = base64.b64encode(b"x" * (1024 * 1024 - 16)).decode()
    body = json.dumps({"StreamName": "big", "Records": [{"Data": data, "PartitionKey": "k"}] * 5})
    response = post(http, "PutRecords", body)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["FailedRecordCount"] == 0


def test_truncated_body_is_never_acted_on(http: httpx.Client, endpoint: str) -> None:
    """A client that stops mid-body: what arrived parses as a whole CreateStream, yet must not run."""
    url = urlsplit(endpoint)
    body = b'{"StreamName":"ghost","ShardCount":1}'
    head = f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: {JSON}\r\n"
    head += f"X-Amz-Target: {TARGET}.CreateStream\r\nContent-Length: {len(body) + 100}\r\n\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)  # half-close: the server sees the end, we can still read
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert answer.endswith(b'{"__type":"SerializationException"}')
    assert post(http, "ListStreams").json()["StreamNames"] == []


# --- other methods and paths -------------------------------------------------------------------


DESCRIBED = {("GET", "/"), ("GET", "/_headwater"), ("GET", "/_headwater/"), ("HEAD", "/_headwater"),
             ("HEAD", "/_headwater/")}  # fmt: skip


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD", "POST"])
@pytest.mark.parametrize(
    "path",
    ["/", "/foo", "/foo/bar/", "/%ff%fe", "/../../etc/passwd", "/?Action=NoSuchAction", "/" + "a" * 4000,
     "/_headwater", "/_headwater/", "/_headwater/nope", "/_headwater/clock/x"],
)  # fmt: skip
def test_other_methods_and_paths_never_fail_the_server(http: httpx.Client, method: str, path: str) -> None:
    response = http.request(method, path)
    if method == "PUT" and path == "/foo":  # S3's CreateBucket: a valid request
        assert response.status_code == 200, response.text
        return
    if (method, path) in DESCRIBED:  # the server's description (test_index.py)
        assert response.status_code == 200, response.text
        return
    assert 400 <= response.status_code < 500, (method, path, response.status_code, response.text)
    if not path.startswith("/_headwater"):
        # JSON/Query front ends answer with x-amzn-requestid, S3 with x-amz-request-id
        request_id = response.headers.get("x-amzn-requestid") or response.headers["x-amz-request-id"]
        assert UUID.fullmatch(request_id)


def test_get_root_is_unknown_operation(http: httpx.Client) -> None:
    # signed, or with an AWS header or body type (a plain GET / describes the server: test_index.py)
    assert_error(http.get("/", headers={"Authorization": AUTH}), 400, "UnknownOperationException")
    assert_error(http.get("/", headers={"X-Amz-Date": "20240101T000000Z"}), 400, "UnknownOperationException")
    assert_error(http.get("/", headers={"Content-Type": JSON}), 400, "UnknownOperationException")


# --- admin routes ------------------------------------------------------------------------------


def test_admin_health_metrics_reset_and_clock(http: httpx.Client) -> None:
    health = http.get("/_headwater/health")
    assert health.status_code == 200
    assert health.json()["status"] == "running"
    assert health.json()["services"] == {
        "kms": "running",
        "kinesis": "running",
        "sqs": "running",
        "s3": "running",
        "sts": "running",
        "iam": "running",
        "logs": "running",
        "functions": "running",
        "glue": "running",
        "firehose": "running",
        "iot": "running",
        "iot-data": "running",
    }
    post(http, "CreateStream", '{"StreamName":"m","ShardCount":1}')
    assert post(http, "PutRecord", '{"StreamName":"m","Data":"YQ==","PartitionKey":"k"}').status_code == 200
    metrics = http.get("/_headwater/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "IncomingRecords" in metrics.text
    clock = http.get("/_headwater/clock").json()
    advanced = http.post("/_headwater/clock", json={"advance": 60}).json()
    assert advanced["offset"] == clock["offset"] + 60
    assert http.post("/_headwater/clock", content=b"[1]").status_code == 400
    assert http.post("/_headwater/clock", content=b"{bad").status_code == 400
    assert http.post("/_headwater/reset").json() == {"reset": True}
    assert post(http, "ListStreams").json()["StreamNames"] == []
    assert http.get("/_headwater/clock").json()["offset"] == 0


# --- fuzz --------------------------------------------------------------------------------------

OPERATIONS = sorted(set(service_model("kinesis").operation_names) - {"SubscribeToShard"})
STRINGS = ["s", "", "fz", "x" * 300, "shardId-000000000000", "shardId-1", "TRIM_HORIZON", "AT_TIMESTAMP",
           "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "PROVISIONED", "ON_DEMAND", "KMS", "NONE",
           "arn:aws:kinesis:us-east-1:000000000000:stream/s", "arn:aws:kinesis:us-east-1:000000000000:stream/s/"
           "consumer/c:1", "arn:aws:kinesis:eu-west-1:123:stream/s", "arn:", "49590338271490256608559692538361571095921575989136588898",
           "-1", "340282366920938463463374607431768211456", "1e5", "\u00e9\u2603\U0001f600", "\x00", "ALL", "%s%n",
           "AAAAAAAAAAAAAAAAAAAA", "YQ==", "=", "a" * 600]  # fmt: skip
NUMBERS = [0, 1, 2, 3, -1, 2**31, -(2**31) - 1, 2**63, 2**64 + 2, 1.5, -0.0, 1e300, -1e300, 1e20, 1e-300]
WEIRD: list[Any] = [None, True, False, [], {}, [1, "a"], {"a": {"b": []}}, "", 7, 2.5, "x"]


def _value(shape: Shape, rng: random.Random, depth: int = 0) -> Any:
    if rng.random() < 0.15 or depth > 4:
        return rng.choice(WEIRD + STRINGS[:3] + NUMBERS[:4])
    kind = shape.type_name
    if kind == "structure":
        members = list(shape.members.items())
        chosen = rng.sample(members, k=rng.randint(0, len(members))) if members else []
        return {name: _value(member, rng, depth + 1) for name, member in chosen}
    if kind == "list":
        return [_value(shape.member, rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 501]))]
    if kind == "map":
        return {rng.choice(STRINGS): _value(shape.value, rng, depth + 1) for _ in range(rng.randint(0, 3))}
    if kind == "blob":
        return rng.choice(
            ["YQ==", "", "a", "!!!!", base64.b64encode(rng.randbytes(rng.randint(0, 64))).decode()]
        )
    if kind == "timestamp":
        return rng.choice([*NUMBERS, "2024-01-01T00:00:00Z", "2024-13-45", "now", "1700000000"])
    if kind == "boolean":
        return rng.choice([True, False, "true", "TRUE", "no", 1.0, 0])
    if kind in ("integer", "long"):
        return rng.choice(NUMBERS)
    if kind == "string":
        return rng.choice(STRINGS + list(shape.enum or []))
    return rng.choice(WEIRD)


def _json_body(document: Any, rng: random.Random) -> bytes:
    text = json.dumps(document, allow_nan=True)  # NaN/Infinity appear for 1e300 * 10-style floats
    if rng.random() < 0.1:
        cut = rng.randint(0, len(text))
        text = text[:cut] + rng.choice(["", "}", "]", '"', ",", "\\", "NaN", "\ud800"]) + text[cut:]
    return text.encode("utf-8", "surrogatepass")


def _cbor_body(document: Any, rng: random.Random) -> bytes:
    def blobs(value: Any) -> Any:  # CBOR clients send blobs as byte strings and dates as tag 1
        if isinstance(value, dict):
            return {k: blobs(v) for k, v in value.items()}
        if isinstance(value, list):
            return [blobs(v) for v in value]
        if isinstance(value, str) and rng.random() < 0.2:
            return value.encode("utf-8", "surrogatepass")
        if isinstance(value, int | float) and not isinstance(value, bool) and rng.random() < 0.2:
            return cbor2.CBORTag(1, value)
        return value

    encoded = cbor2.dumps(blobs(document))
    if rng.random() < 0.1:
        encoded = encoded[: rng.randint(0, len(encoded))] + rng.randbytes(rng.randint(0, 8))
    return encoded


def _request(dialect: str, operation: str, document: Any, rng: random.Random) -> tuple[dict[str, Any], bytes]:
    if dialect == "json":
        content_type, body = (
            rng.choice([JSON, JSON, "application/json", "text/plain"]),
            _json_body(document, rng),
        )
    elif dialect == "cbor":
        content_type, body = CBOR, _cbor_body(document, rng)
    else:
        content_type, body = (
            rng.choice([JSON, CBOR, "application/json", None]),
            rng.randbytes(rng.randint(0, 96)),
        )
    target = f"{TARGET}.{operation}"
    if rng.random() < 0.05:
        target = rng.choice(["", ".", f"{target}x", f"{TARGET}.\u00e9", "Kinesis_20131202.Put.Record"])
    headers: dict[str, Any] = {"X-Amz-Target": target.encode()} if target else {}
    if rng.random() < 0.3:
        headers["Authorization"] = rng.choice(
            [AUTH, "AWS4-HMAC-SHA256 Credential=", "x", "Credential=a/b/c/d/e"]
        )
    if content_type:
        headers["Content-Type"] = content_type
    return headers, body


@pytest.mark.parametrize("dialect", ["json", "cbor", "raw"])
def test_fuzz_never_gives_a_server_error(http: httpx.Client, dialect: str) -> None:
    """Model-shaped documents with wrong types, odd values and corrupted encodings: never a 5xx."""
    rng = random.Random(f"headwater-{dialect}")
    model = service_model("kinesis")
    assert post(http, "CreateStream", '{"StreamName":"s","ShardCount":2}').status_code == 200
    assert post(http, "PutRecord", '{"StreamName":"s","Data":"YQ==","PartitionKey":"k"}').status_code == 200
    failures = []
    for _ in range(300):
        operation = rng.choice(OPERATIONS)
        document = _value(model.operation_model(operation).input_shape, rng)
        headers, body = _request(dialect, operation, document, rng)
        response = http.post("/", content=body, headers=headers)
        if response.status_code >= 500 or "x-amzn-requestid" not in response.headers:
            failures.append((headers, body[:200], response.status_code, response.content[:300]))
    assert not failures, "\n".join(repr(failure) for failure in failures[:5])
