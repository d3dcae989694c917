from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.support.postgres import Postgres, find_bindir


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL server of this test worker, for the Redshift destination."""
    bindir, reason = find_bindir()
    if bindir is None:
        pytest.skip(reason)
    server = Postgres(bindir).start()
    try:
        yield server
    finally:
        server.stop()
