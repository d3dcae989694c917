"""SigV4 verification against requests signed by botocore itself (the oracle)."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import formatdate
from urllib.parse import quote, urlsplit

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSResponse
from botocore.credentials import Credentials

from headwater.protocol.auth.sigv4 import SIGNATURE_MISMATCH, Credential, credential_of, verify
from headwater.protocol.errors import AwsError

AK = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SECRETS = {AK: SECRET, "123456789012": "other/secret+"}
T0 = datetime(2024, 1, 1, 0, 10, 0, tzinfo=UTC)
NOW = T0.timestamp()
ENDPOINT = "http://localhost:4566"


@dataclass(frozen=True)
class Wire:
    """A request as the server sees it: raw path and query, lower-cased headers (may repeat), body."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None

    def verify(self, now: float = NOW, secrets: dict[str, str] = SECRETS, **kwargs: float) -> Credential:
        return verify(self.method, self.path, self.query, self.headers, self.body, secrets.get, now, **kwargs)

    def with_header(self, name: str, value: str) -> Wire:
        kept = tuple((k, v) for k, v in self.headers if k != name)
        return replace(self, headers=(*kept, (name, value)))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def sign(
    monkeypatch: pytest.MonkeyPatch,
    method: str = "POST",
    url: str = ENDPOINT + "/",
    *,
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    params: dict[str, str] | list[tuple[str, str]] | None = None,
    when: datetime = T0,
    access_key: str = AK,
    secret: str = SECRET,
    region: str = "us-east-1",
    service: str = "kinesis",
    presign: int | None = None,
) -> Wire:
    """Sign with botocore at time `when`, then turn the request into what goes on the wire."""
    request = AWSRequest(method=method, url=url, data=body, params=params or {})
    for name, value in headers or []:
        request.headers[name] = value  # HTTPMessage appends: repeated names stay repeated
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: when.replace(tzinfo=None))
    creds = Credentials(access_key, secret)
    if presign is None:
        SigV4Auth(creds, service, region).add_auth(request)
    else:
        SigV4QueryAuth(creds, service, region, expires=presign).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    wire_headers = [(k.lower(), _text(v)) for k, v in request.headers.items()]
    if "host" not in dict(wire_headers):
        wire_headers.append(("host", parts.netloc))  # what the HTTP client adds
    return Wire(method, parts.path or "/", parts.query, tuple(wire_headers), prepared.body or b"")


def expect(code: str, wire: Wire, **kwargs: float) -> AwsError:
    with pytest.raises(AwsError) as caught:
        wire.verify(**kwargs)
    assert caught.value.code == code, caught.value.message
    assert caught.value.status == 400
    return caught.value


# --- requests that verify ---------------------------------------------------------------------

JSON_HEADERS = [
    ("Content-Type", "application/x-amz-json-1.1"),
    ("X-Amz-Target", "Kinesis_20131202.PutRecord"),
]


def test_a_kinesis_json_request_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(
        monkeypatch, headers=JSON_HEADERS, body=b'{"StreamName":"s","Data":"aGk=","PartitionKey":"k"}'
    )
    assert wire.verify() == Credential(AK, "20240101", "us-east-1", "kinesis")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"])
def test_methods(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    body = b"" if method in ("GET", "HEAD", "DELETE") else b"payload"
    assert sign(monkeypatch, method, ENDPOINT + "/things/1", body=body).verify().access_key == AK


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/a/b/c",
        "/a/b/",
        "/my%20stream/records",  # a space, as botocore serializers encode it
        "/%E2%82%AC/%C3%A9t%C3%A9",  # unicode
        "/keys/a%2Fb",  # an encoded slash stays one segment
        "/a~b/c-d_e.f",
        "/a//b/./c/../d",  # dot segments and empty segments are normalised away
        "/%21%27%28%29%2A",
    ],
)
def test_paths(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    sign(monkeypatch, "GET", ENDPOINT + path).verify()


@pytest.mark.parametrize(
    "params",
    [
        {"b": "2", "a": "1"},
        {"empty": "", "x": "y"},
        {"space": "a b", "plus": "a+b", "slash": "a/b", "tilde": "~", "unicode": "é€"},
        [("dup", "2"), ("dup", "1"), ("dup", "10")],  # repeated keys sort by value
        {"": "no-name"},
        {"Key": "v", "key": "w"},  # case matters in the sort
    ],
)
def test_query_params(
    monkeypatch: pytest.MonkeyPatch, params: dict[str, str] | list[tuple[str, str]]
) -> None:
    sign(monkeypatch, "GET", ENDPOINT + "/q", params=params).verify()


def test_a_query_already_in_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    sign(monkeypatch, "GET", ENDPOINT + "/q?z=1&a=%20x&a=&m=%E2%82%AC&flag").verify()


def test_headers_with_odd_whitespace_and_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(
        monkeypatch,
        headers=[
            ("X-Amz-Meta-Spaces", "  a   b \t c  "),
            ("X-Amz-Meta-Repeat", "one"),
            ("X-Amz-Meta-Repeat", " two "),
            ("X-Amz-Meta-Empty", ""),
        ],
        body=b"x",
    )
    assert [v for k, v in wire.headers if k == "x-amz-meta-repeat"] == ["one", " two "]
    wire.verify()
    # The server sees stripped values (HTTP strips the outer whitespace): still the same signature.
    stripped = tuple((k, v.strip()) for k, v in wire.headers)
    replace(wire, headers=stripped).verify()


@pytest.mark.parametrize("body", [b"", b"\x00\x01\xff" * 1000, "héllo".encode(), bytes(range(256))])
def test_bodies(monkeypatch: pytest.MonkeyPatch, body: bytes) -> None:
    sign(monkeypatch, "PUT", ENDPOINT + "/blob", body=body).verify()


def test_declared_payload_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    body = b"streamed body"
    digest = hashlib.sha256(body).hexdigest()
    wire = sign(monkeypatch, "PUT", ENDPOINT + "/o", body=body, headers=[("X-Amz-Content-SHA256", digest)])
    wire.verify()
    replace(wire, body=None).verify()  # streaming: only the declared hash is known
    expect("InvalidSignatureException", replace(wire, body=b"tampered body"))


def test_unsigned_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(
        monkeypatch,
        "PUT",
        ENDPOINT + "/o",
        body=b"abc",
        headers=[("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")],
    )
    wire.verify()
    replace(wire, body=b"anything").verify()  # the client chose not to sign the payload
    replace(wire, body=None).verify()


def test_streamed_body_without_a_declared_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    expect("IncompleteSignatureException", replace(sign(monkeypatch, body=b"x"), body=None))


def test_date_header_instead_of_x_amz_date(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(monkeypatch, headers=[("Date", formatdate(0, usegmt=True))], body=b"{}")
    assert "x-amz-date" not in dict(wire.headers)
    wire.verify()


def test_session_token_is_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(monkeypatch, headers=[("X-Amz-Security-Token", "token")], body=b"{}")
    wire.verify()
    expect("InvalidSignatureException", wire.with_header("x-amz-security-token", "other"))


def test_http2_authority_stands_in_for_host(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(monkeypatch, body=b"{}")
    host = dict(wire.headers)["host"]
    h2 = tuple((":authority" if k == "host" else k, v) for k, v in wire.headers)
    replace(wire, headers=h2).verify()
    assert host == "localhost:4566"


def test_signing_key_cache_keeps_secrets_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    sign(monkeypatch, access_key="123456789012", secret="other/secret+").verify()
    sign(monkeypatch).verify()
    wrong = sign(monkeypatch, access_key="123456789012", secret=SECRET)
    expect("InvalidSignatureException", wrong)


def test_randomised_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(20240101)
    alphabet = "aZ09-_.~ +/%&=é€!*'()"

    def word() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    for _ in range(150):
        segments = [quote(word(), safe="~") or "x" for _ in range(rng.randint(0, 3))]
        params = [(word(), word()) for _ in range(rng.randint(0, 4))]
        headers = [
            (f"X-Amz-Meta-{rng.randint(0, 3)}", f" {word()}  {word()} ") for _ in range(rng.randint(0, 3))
        ]
        presign = rng.choice([None, None, 60, 3600])
        wire = sign(
            monkeypatch,
            rng.choice(["GET", "POST", "PUT", "DELETE"]),
            ENDPOINT + "/" + "/".join(segments),
            params=params,
            headers=headers,
            body=b""
            if presign
            else rng.randbytes(rng.randint(0, 64)),  # presigning moves a body to the query
            region=rng.choice(["us-east-1", "eu-west-3"]),
            service=rng.choice(["kinesis", "firehose", "sqs"]),
            presign=presign,
        )
        wire.verify()
        expect("InvalidSignatureException", replace(wire, method="PATCH"))


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *args: object, **kwargs: object) -> Iterator[bytes]:
        yield self._body


def test_a_real_boto3_client_request_verifies() -> None:
    """A request from a boto3 client: every header it adds (user agent, invocation id...) included."""
    sent: list[Wire] = []

    def capture(request: AWSPreparedRequest, **kwargs: object) -> AWSResponse:
        parts = urlsplit(request.url)
        headers = [(k.lower(), _text(v)) for k, v in request.headers.items()]
        if not any(name == "host" for name, _ in headers):  # the CRT signer (awscrt installed) adds it
            headers.append(("host", parts.netloc))
        sent.append(Wire(request.method, parts.path, parts.query, tuple(headers), request.body))
        return AWSResponse(request.url, 200, {}, _Raw(b'{"StreamNames":[],"HasMoreStreams":false}'))

    client = boto3.client(
        "kinesis",
        region_name="eu-west-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id=AK,
        aws_secret_access_key=SECRET,
    )
    client.meta.events.register("before-send", capture)
    assert client.list_streams()["StreamNames"] == []
    [wire] = sent
    assert dict(wire.headers)["x-amz-target"] == "Kinesis_20131202.ListStreams"
    now = time.time()
    cred = wire.verify(now=now)
    assert (cred.access_key, cred.region, cred.service) == (AK, "eu-west-1", "kinesis")
    expect("InvalidSignatureException", replace(wire, body=wire.body + b" "), now=now)


# --- presigned URLs ---------------------------------------------------------------------------


def test_presigned_url_verifies_until_it_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(monkeypatch, "GET", ENDPOINT + "/mqtt", params={"a": "b"}, presign=900)
    assert "X-Amz-Signature=" in wire.query
    assert not any(k == "authorization" for k, _ in wire.headers)
    wire.verify(now=NOW)
    wire.verify(now=NOW + 900)
    err = expect("InvalidSignatureException", wire, now=NOW + 901)
    assert err.message == (
        "Signature expired: 20240101T001000Z is now earlier than 20240101T001001Z (20240101T002501Z - 15 min.)"
    )
    expect("InvalidSignatureException", wire, now=NOW - 301)  # dated in the future


def test_presigned_tampering(monkeypatch: pytest.MonkeyPatch) -> None:
    wire = sign(monkeypatch, "GET", ENDPOINT + "/mqtt", params={"a": "b"}, presign=60)
    expect("InvalidSignatureException", replace(wire, query=wire.query.replace("a=b", "a=c")))
    expect("InvalidSignatureException", replace(wire, query=wire.query + "&extra=1"))
    expect("InvalidSignatureException", replace(wire, path="/other"))
    longer = wire.query.replace("X-Amz-Expires=60", "X-Amz-Expires=3600")
    expect("InvalidSignatureException", replace(wire, query=longer))


# --- errors -----------------------------------------------------------------------------------


@pytest.fixture
def good(monkeypatch: pytest.MonkeyPatch) -> Wire:
    return sign(monkeypatch, headers=JSON_HEADERS, body=b'{"StreamName":"s"}')


def test_tampering_is_detected(good: Wire) -> None:
    good.verify()
    expect("InvalidSignatureException", replace(good, body=b'{"StreamName":"t"}'))
    expect("InvalidSignatureException", good.with_header("x-amz-target", "Kinesis_20131202.DeleteStream"))
    expect("InvalidSignatureException", good.with_header("host", "evil:4566"))
    expect("InvalidSignatureException", replace(good, path="/other"))
    expect("InvalidSignatureException", replace(good, query="a=1"))
    expect("InvalidSignatureException", replace(good, method="PUT"))
    expect("InvalidSignatureException", good.with_header("x-amz-date", "20240101T001001Z"))
    # An unsigned header may change freely.
    good.with_header("x-unsigned", "anything").verify()


def test_wrong_secret(good: Wire) -> None:
    err = expect("InvalidSignatureException", good, secrets={AK: "not the secret"})
    assert err.message.startswith(
        SIGNATURE_MISMATCH + "\n\nThe Canonical String for this request should have been\n'POST\n/\n"
    )
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20240101T001000Z\n" in err.message


def test_unknown_access_key(good: Wire) -> None:
    err = expect("UnrecognizedClientException", good, secrets={})
    assert err.message == "The security token included in the request is invalid."


def test_missing_authentication() -> None:
    err = expect("MissingAuthenticationTokenException", Wire("POST", "/", "", (("host", "h"),), b""))
    assert err.message == "Missing Authentication Token"


def test_incomplete_authorization_header() -> None:
    err = expect("IncompleteSignatureException", Wire("POST", "/", "", (("authorization", "X"),), b""))
    assert err.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=X"
    )
    header = "AWS4- Signature=b, Credential=a"
    wire = Wire("POST", "/", "", (("authorization", header), ("date", "a")), b"")
    err = expect("IncompleteSignatureException", wire)
    assert err.message == "Authorization header requires 'SignedHeaders' parameter. Authorization=" + header


def test_incomplete_query() -> None:
    err = expect("IncompleteSignatureException", Wire("GET", "/", "X-Amz-Algorithm", (), b""))
    assert err.message == (
        "AWS query-string parameters must include 'X-Amz-Algorithm'. "
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "AWS query-string parameters must include 'X-Amz-Date'. "
        "Re-examine the query-string parameters."
    )


def test_both_header_and_query() -> None:
    wire = Wire("POST", "/", "X-Amz-Algorithm", (("authorization", "X"),), b"")
    err = expect("InvalidSignatureException", wire)
    assert (
        err.message
        == "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
    )


def _auth(
    credential: str = f"{AK}/20240101/us-east-1/kinesis/aws4_request", signed: str = "host;x-amz-date"
) -> str:
    return f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed}, Signature=abc"


def _wire(auth: str, date: str = "20240101T001000Z") -> Wire:
    return Wire("POST", "/", "", (("authorization", auth), ("x-amz-date", date), ("host", "h")), b"")


@pytest.mark.parametrize(
    ("wire", "code", "message"),
    [
        (
            _wire(_auth(), date="201"),
            "IncompleteSignatureException",
            "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601",
        ),
        (
            _wire(_auth(), date="20241301T000000Z"),
            "IncompleteSignatureException",
            "Date must be in ISO-8601 'basic format'. Got '20241301T000000Z'. See http://en.wikipedia.org/wiki/ISO_8601",
        ),
        (
            _wire(_auth(signed="x-amz-date")),
            "InvalidSignatureException",
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ),
        (
            _wire(_auth().replace("SHA256", "SHA25", 1)),
            "IncompleteSignatureException",
            "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ",
        ),
        (
            _wire(_auth(credential="a/b/c/d")),
            "IncompleteSignatureException",
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'a/b/c/d'",
        ),
        (
            _wire(_auth(credential=f"{AK}/20231231/us-east-1/kinesis/aws5_request")),
            "InvalidSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            "'20231231' != '20240101', from '20240101T001000Z'.",
        ),
    ],
)
def test_malformed_signatures(wire: Wire, code: str, message: str) -> None:
    assert expect(code, wire).message == message


def test_clock_skew(good: Wire) -> None:
    good.verify(now=NOW + 300)
    good.verify(now=NOW - 300)
    err = expect("InvalidSignatureException", good, now=NOW + 15 * 60)
    assert err.message == (
        "Signature expired: 20240101T001000Z is now earlier than 20240101T002000Z (20240101T002500Z - 5 min.)"
    )
    err = expect("InvalidSignatureException", good, now=NOW - 301)
    assert err.message == (
        "Signature not yet current: 20240101T001000Z is still later than 20240101T000959Z (20240101T000459Z + 5 min.)"
    )
    # DynamoDB-style 15 minute window.
    good.verify(now=NOW + 15 * 60, max_skew=900)
    err = expect("InvalidSignatureException", good, now=NOW + 25 * 60, max_skew=900)
    assert err.message == (
        "Signature expired: 20240101T001000Z is now earlier than 20240101T002000Z (20240101T003500Z - 15 min.)"
    )


# --- credential_of ----------------------------------------------------------------------------


def test_credential_of_header(good: Wire) -> None:
    assert credential_of(dict(good.headers), {}) == Credential(AK, "20240101", "us-east-1", "kinesis")


def test_credential_of_space_separated_header() -> None:
    auth = "AWS4-HMAC-SHA256 Credential=AK/20240101/eu-west-1/sqs/aws4_request SignedHeaders=host Signature=x"
    assert credential_of({"authorization": auth}, {}) == Credential("AK", "20240101", "eu-west-1", "sqs")


def test_credential_of_presigned_query() -> None:
    query = {"X-Amz-Credential": "AK/20240101/us-west-2/iotdevicegateway/aws4_request"}
    assert credential_of({}, query) == Credential("AK", "20240101", "us-west-2", "iotdevicegateway")


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({}, {}),
        ({"authorization": "Bearer token"}, {}),
        ({"authorization": "AWS4-HMAC-SHA256 Credential=a/b/c"}, {}),
        ({}, {"X-Amz-Credential": ""}),
    ],
)
def test_credential_of_unsigned_or_malformed(headers: dict[str, str], query: dict[str, str]) -> None:
    assert credential_of(headers, query) is None


def test_garbage_never_escapes_as_anything_but_aws_errors(
    good: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Client input must never become a 500: mutate every part of signed requests at random."""
    rng = random.Random(101)
    presigned = sign(monkeypatch, "GET", ENDPOINT + "/mqtt", params={"a": "b"}, presign=60)
    junk = [
        "",
        " ",
        "=",
        "&",
        "%",
        "%zz",
        "%E2%82",
        "é",
        "\udcff",
        "+",
        "/",
        ";",
        ",",
        "..",
        "9" * 30,
        "T",
        "Z",
    ]

    def mutate(text: str) -> str:
        chars = list(text)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randint(0, len(chars))
            chars[pos : pos + rng.randint(0, 3)] = rng.choice(junk)
        return "".join(chars)

    for _ in range(400):
        wire = rng.choice([good, presigned])
        which = rng.randrange(4)
        if which == 0:
            wire = replace(wire, path=mutate(wire.path))
        elif which == 1:
            wire = replace(wire, query=mutate(wire.query))
        else:
            i = rng.randrange(len(wire.headers))
            name, value = wire.headers[i]
            headers = list(wire.headers)
            headers[i] = (name, mutate(value))
            wire = replace(wire, headers=tuple(headers))
        try:
            wire.verify()
        except AwsError as err:
            assert err.status == 400
