"""Raw SQS Query-protocol requests (form fields, XML answers), for what boto3 no longer speaks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import quote, urlencode

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

XMLNS = "http://queue.amazonaws.com/doc/2012-11-05/"
NS = {"q": XMLNS}
FORM = "application/x-www-form-urlencoded; charset=utf-8"
NO_RESULT = {
    "AddPermission",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "DeleteQueue",
    "PurgeQueue",
    "RemovePermission",
    "SetQueueAttributes",
    "TagQueue",
    "UntagQueue",
}


def query(
    endpoint: str,
    action: str,
    params: dict[str, str] | None = None,
    *,
    method: str = "POST",
    path: str = "/",
    region: str | None = "us-east-1",
    access_key: str = "test",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One Query request: fields in a form body (POST) or the query string (GET); SigV4-signed for
    `region` unless it is None."""
    fields = {"Action": action, "Version": "2012-11-05", **(params or {})}
    encoded = urlencode(fields, quote_via=quote)
    url = endpoint + path
    body = b""
    request_headers = dict(headers or {})
    if method == "GET":
        url = f"{url}?{encoded}"
    else:
        body = encoded.encode()
        request_headers["Content-Type"] = FORM
    if region is not None:
        signed = AWSRequest(method=method, url=url, data=body, headers=request_headers)
        SigV4Auth(Credentials(access_key, "test"), "sqs", region).add_auth(signed)
        request_headers = dict(signed.headers.items())
    return httpx.request(method, url, content=body, headers=request_headers, timeout=30)


def ok(response: httpx.Response, action: str) -> ET.Element:
    """The `<ActionResult>` of a successful response (the root for operations without output), after
    checking the envelope."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{{{XMLNS}}}{action}Response"
    request_id = root.findtext("q:ResponseMetadata/q:RequestId", namespaces=NS)
    assert request_id and request_id == response.headers["x-amzn-requestid"]
    result = root.find(f"q:{action}Result", NS)
    if action in NO_RESULT:  # operations without output have no result element at all
        assert result is None, response.text
        return root
    assert result is not None, response.text
    return result
