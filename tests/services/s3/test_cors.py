"""Bucket CORS: configuration checks, preflights and the headers of actual requests."""

from __future__ import annotations

import pytest

from headwater.services.context import RawResponse
from headwater.services.s3 import cors
from headwater.services.s3.cors import NOT_ALLOWED, VARY, matches
from tests.services.s3.harness import S3Harness, run_idle

B = "site-assets"


def rule(origins: list[str], methods: list[str], **extra: object) -> dict[str, object]:
    return {"AllowedOrigins": origins, "AllowedMethods": methods, **extra}


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("http://a.com", "http://a.com", True),
        ("http://a.com", "https://a.com", False),
        ("http://a.com", "http://a.com:80", False),
        ("http://a.com", "http://a.com/", False),
        ("*", "anything", True),
        ("*", "", True),
        ("http://*.origin.com", "http://test.origin.com", True),
        ("http://*.origin.com", "http://test.origin.com/", False),
        ("http://*.origin.com", "http://.origin.com", True),  # * may match nothing
        ("*suffix", "foo.suffix", True),
        ("*suffix", "foo.suffix.get", False),
        ("start*end", "startend", True),
        ("start*end", "start12end", True),
        ("start*end", "0start12end", False),
        ("prefix*", "prefix.suffix", True),
        ("prefix*", "bla.prefix", False),
        ("a.b", "axb", False),  # the dot is literal
    ],
)
def test_origin_patterns(pattern: str, text: str, expected: bool) -> None:
    assert matches(pattern, text) is expected


def test_header_patterns_ignore_case() -> None:
    assert matches("x-amz-*", "X-AMZ-Meta-Thing", fold=True)
    assert matches("Content-Type", "content-type", fold=True)
    assert not matches("x-amz-*", "authorization", fold=True)


@pytest.mark.parametrize(
    ("config", "code", "message"),
    [
        ({"CORSRules": []}, "MalformedXML", None),
        ({"CORSRules": [rule(["*"], [])]}, "MalformedXML", None),
        ({"CORSRules": [rule([], ["GET"])]}, "MalformedXML", None),
        ({"CORSRules": [rule(["*"], ["GET"])] * 101}, "MalformedXML", None),
        (
            {"CORSRules": [rule(["*"], ["OPTIONS"])]},
            "InvalidRequest",
            "Found unsupported HTTP method in CORS config. Unsupported method is OPTIONS",
        ),
        (
            {"CORSRules": [rule(["*"], ["get"])]},
            "InvalidRequest",
            "Found unsupported HTTP method in CORS config. Unsupported method is get",
        ),
        (
            {"CORSRules": [rule(["*example*.com"], ["GET"])]},
            "InvalidRequest",
            'AllowedOrigin "*example*.com" can not have more than one wildcard.',
        ),
        (
            {"CORSRules": [rule(["*"], ["GET"], AllowedHeaders=["x-*-*"])]},
            "InvalidRequest",
            'AllowedHeader "x-*-*" can not have more than one wildcard.',
        ),
        ({"CORSRules": [rule(["*"], ["GET"], ID="i" * 256)]}, "InvalidArgument", None),
    ],
)
def test_configuration_refusals(config: dict, code: str, message: str | None) -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error("PutBucketCors", Bucket=B, CORSConfiguration=config)
        assert error.code == code
        if message:
            assert error.message == message

    run_idle(body)


def test_configuration_round_trip() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        error = await h.error("GetBucketCors", Bucket=B)
        assert (error.code, error.status, error.message) == (
            "NoSuchCORSConfiguration",
            404,
            "The CORS configuration does not exist",
        )
        rules = [
            rule(
                ["http://test.com:80", ""], ["GET", "PUT"], AllowedHeaders=["*"], MaxAgeSeconds=3000, ID="one"
            ),
            rule(["*"], ["HEAD"], ExposeHeaders=["ETag"]),
        ] + [rule([f"http://{i}.com"], ["GET"]) for i in range(98)]
        assert await h.call("PutBucketCors", Bucket=B, CORSConfiguration={"CORSRules": rules}) == {}
        assert await h.call("GetBucketCors", Bucket=B) == {"CORSRules": rules}  # as sent, in order
        assert await h.call("DeleteBucketCors", Bucket=B) == {"__status__": 204}
        assert await h.call("DeleteBucketCors", Bucket=B) == {"__status__": 204}  # again: still 204
        assert (await h.error("GetBucketCors", Bucket=B)).code == "NoSuchCORSConfiguration"

    run_idle(body)


async def preflight(
    h: S3Harness, origin: str | None, method: str | None, headers: str | None = None, key: str | None = "obj"
) -> RawResponse:
    params = {
        "Bucket": B,
        "Key": key,
        "Origin": origin,
        "AccessControlRequestMethod": method,
        "AccessControlRequestHeaders": headers,
    }
    return await h.call("OptionsObject", **{k: v for k, v in params.items() if v is not None})


def test_preflight_without_a_bucket_or_a_configuration() -> None:
    async def body(h: S3Harness) -> None:
        error = await h.error("OptionsObject", Bucket=B, Key="k")
        assert (error.code, error.status, error.message) == (
            "BadRequest",
            400,
            "Insufficient information. Origin request header needed.",
        )
        error = await h.error("OptionsObject", Bucket=B, Key="k", Origin="http://a.com")
        assert (error.code, error.status, error.message) == (
            "AccessForbidden",
            403,
            "CORSResponse: Bucket not found",
        )
        assert error.details == {"Method": "OPTIONS", "ResourceType": "OBJECT"}
        await h.create_bucket(B)
        error = await h.error(
            "OptionsObject", Bucket=B, Key="k", Origin="http://a.com", AccessControlRequestMethod="PUT"
        )
        assert (error.code, error.message) == (
            "AccessForbidden",
            "CORSResponse: CORS is not enabled for this bucket.",
        )
        assert error.details == {"Method": "PUT", "ResourceType": "BUCKET"}
        assert cors.response_headers(h.core, B, "http://a.com", "GET") == []

    run_idle(body)


def test_preflight_matching() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        rules = [
            rule(["https://localhost:4200"], ["GET", "PUT"], AllowedHeaders=["*"], MaxAgeSeconds=3000),
            rule(
                ["http://*.origin.com"],
                ["POST"],
                AllowedHeaders=["x-amz-*", "Content-Type"],
                ExposeHeaders=["ETag", "x-amz-request-id"],
            ),
            rule(["*"], ["GET"]),
        ]
        await h.call("PutBucketCors", Bucket=B, CORSConfiguration={"CORSRules": rules})

        answer = await preflight(h, "https://localhost:4200", "PUT")
        assert answer.status == 200 and answer.body == b""
        assert answer.headers == [
            ("Access-Control-Allow-Origin", "https://localhost:4200"),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Access-Control-Max-Age", "3000"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", VARY),
        ]
        answer = await preflight(h, "https://localhost:4200", "GET", "X-Custom,content-type")
        assert ("Access-Control-Allow-Headers", "x-custom, content-type") in answer.headers

        answer = await preflight(h, "http://app.origin.com", "POST", "X-AMZ-Date, content-type")
        assert dict(answer.headers)["Access-Control-Allow-Headers"] == "x-amz-date, content-type"
        assert dict(answer.headers)["Access-Control-Expose-Headers"] == "ETag, x-amz-request-id"
        assert "Access-Control-Max-Age" not in dict(answer.headers)

        # the rule for every origin answers "*" and no credentials
        answer = await preflight(h, "http://random:1234", "GET")
        assert dict(answer.headers) == {
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "GET",
            "Vary": VARY,
        }

        for origin, method, headers in (
            ("http://localhost:4200", "PUT", None),  # another scheme
            ("http://app.origin.com", "POST", "authorization"),  # a header no rule of that origin allows
            ("http://random:1234", "GET", "x-anything"),  # the * rule allows no header
            ("http://random:1234", "DELETE", None),
            ("https://localhost:4200", None, None),  # no method asked
        ):
            error = await h.error(
                "OptionsObject",
                Bucket=B,
                Key="obj",
                Origin=origin,
                **({"AccessControlRequestMethod": method} if method else {}),
                **({"AccessControlRequestHeaders": headers} if headers else {}),
            )
            assert (error.code, error.status, error.message) == ("AccessForbidden", 403, NOT_ALLOWED), origin
            assert error.details == {"Method": method or "OPTIONS", "ResourceType": "OBJECT"}
        error = await h.error(
            "OptionsObject", Bucket=B, Origin="http://nope", AccessControlRequestMethod="PUT"
        )
        assert error.details["ResourceType"] == "BUCKET"

    run_idle(body)


def test_headers_of_actual_requests() -> None:
    async def body(h: S3Harness) -> None:
        await h.create_bucket(B)
        rules = [
            rule(["https://app.example"], ["GET", "PUT"], ExposeHeaders=["ETag"], AllowedHeaders=["x-amz-*"]),
            rule(["*"], ["HEAD"]),
        ]
        await h.call("PutBucketCors", Bucket=B, CORSConfiguration={"CORSRules": rules})
        assert cors.response_headers(h.core, B, "https://app.example", "get") == [
            ("Access-Control-Allow-Origin", "https://app.example"),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Access-Control-Expose-Headers", "ETag"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", VARY),
        ]
        assert cors.response_headers(h.core, B, "https://app.example", "DELETE") == []
        assert cors.response_headers(h.core, B, "https://other.example", "GET") == []
        assert (
            dict(cors.response_headers(h.core, B, "https://other.example", "HEAD"))[
                "Access-Control-Allow-Origin"
            ]
            == "*"
        )
        assert cors.response_headers(h.core, "missing-bucket", "https://app.example", "GET") == []
        assert cors.response_headers(h.core, None, "https://app.example", "GET") == []

    run_idle(body)
