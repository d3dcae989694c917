from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.functions.support import ensure_role


@pytest.fixture
def lam(client: Callable[..., Any]) -> Any:
    return client("lambda")


@pytest.fixture
def role(client: Callable[..., Any]) -> str:
    return ensure_role(client)
