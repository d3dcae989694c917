"""Presigned URLs against a server in open auth mode: no signature is checked, but a URL still
expires when AWS's would (code that relies on expiry must fail in tests as in production)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.support.s3 import s3_client, xml_error
from tests.e2e.support.server import Server


@pytest.mark.parametrize("signature", ["s3v4", "s3"])
def test_presigned_urls_expire_in_open_mode(server: Server, endpoint: str, signature: str) -> None:
    s3: Any = s3_client(endpoint)
    s3.create_bucket(Bucket="open-presign")
    s3.put_object(Bucket="open-presign", Key="k", Body=b"shared")
    signer = s3_client(endpoint, signature_version=signature)
    url = signer.generate_presigned_url(
        "get_object", Params={"Bucket": "open-presign", "Key": "k"}, ExpiresIn=60
    )
    fetched = httpx.get(url)
    assert (fetched.status_code, fetched.content) == (200, b"shared")
    server.advance(120)
    expired = httpx.get(url)
    assert expired.status_code == 403
    error = xml_error(expired.content)
    assert (error["Code"], error["Message"]) == ("AccessDenied", "Request has expired")
