"""The shapes of STS credential material, as AWS forms them.

Access key ids of temporary credentials are ``ASIA`` + 16 characters of the base-32 alphabet AWS
uses (A-Z, 2-7); secrets are 40 characters of base64; session tokens are long base64 strings. A
role's unique id (``AROA`` + 17 characters) is derived from its ARN, so that every session of one
role shows the same id, as AWS's do. Secrets and tokens come from `secrets`: they are credentials.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
TEMPORARY_PREFIX = "ASIA"
ROLE_PREFIX = "AROA"


def access_key_id() -> str:
    return TEMPORARY_PREFIX + "".join(secrets.choice(_BASE32) for _ in range(16))


def secret_access_key() -> str:
    return base64.b64encode(secrets.token_bytes(30)).decode("ascii")  # 40 characters


def session_token() -> str:
    # AWS's are 300-1000+ characters of base64; clients only pass them back
    return base64.b64encode(secrets.token_bytes(240)).decode("ascii")


def role_id(role_arn: str) -> str:
    """``AROA`` + 17 base-32 characters, the same for every session of the role."""
    digest = int.from_bytes(hashlib.sha256(role_arn.encode("utf-8", "surrogatepass")).digest()[:16], "big")
    chars = []
    for _ in range(17):
        digest, index = divmod(digest, 32)
        chars.append(_BASE32[index])
    return ROLE_PREFIX + "".join(chars)
