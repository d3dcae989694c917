"""`GET /` (unsigned, as a browser or curl sends it) and `GET /_headwater[/]` describe the server and
its admin routes; a known admin route asked with the wrong method answers 405 with `Allow`."""

from __future__ import annotations

import httpx
import pytest


def test_plain_get_root_describes_the_server(endpoint: str) -> None:
    for path in ("/", "/_headwater", "/_headwater/"):
        response = httpx.get(endpoint + path, headers={"Accept": "text/html"})
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"] == "application/json"
        about = response.json()
        assert about["name"] == "Headwater"
        assert about["version"]
        assert about["services"] == [
            "kms",
            "kinesis",
            "sqs",
            "s3",
            "sts",
            "iam",
            "logs",
            "functions",
            "glue",
            "firehose",
            "iot",
            "iot-data",
        ]
        assert about["endpoints"] == [endpoint]
        routes = {(route["method"], route["path"]) for route in about["admin"]}
        assert {
            ("GET", "/_headwater/"),
            ("GET", "/_headwater/health"),
            ("POST", "/_headwater/reset"),
            ("GET", "/_headwater/metrics"),
            ("POST", "/_headwater/clock"),
        } <= routes
        assert "README.md" in about["docs"]


def test_signed_get_root_is_still_list_buckets(s3) -> None:  # noqa: ANN001
    s3.create_bucket(Bucket="listed")
    assert [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]] == ["listed"]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/_headwater/reset", "POST"),
        ("DELETE", "/_headwater/reset/", "POST"),
        ("POST", "/_headwater/health", "GET, HEAD"),
        ("PUT", "/_headwater/metrics", "GET, HEAD"),
        ("DELETE", "/_headwater/clock", "GET, POST, HEAD"),
        ("POST", "/_headwater", "GET, HEAD"),
    ],
)
def test_wrong_methods_are_405(endpoint: str, method: str, path: str, allow: str) -> None:
    response = httpx.request(method, endpoint + path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert method in response.json()["error"]


def test_head_answers_where_get_does(endpoint: str) -> None:
    response = httpx.head(endpoint + "/_headwater/health")
    assert response.status_code == 200
    assert response.content == b""
    assert httpx.get(endpoint + "/_headwater/nope").status_code == 404
