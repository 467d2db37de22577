"""Real databases for tests that must hold on SQLite and on PostgreSQL alike.

``database_url`` is parametrized: ``sqlite`` leaves the default (a file under the data dir),
``postgresql`` gives each test its own fresh database on one PostgreSQL server per module.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.postgres_server import PostgresServer, postgres_bin

__all__ = ["database_url", "postgres"]

_names = itertools.count(1)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is missing: sudo apt-get install postgresql (scripts/test does)")
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> dict[str, str]:
    """Service options naming the database: {} for SQLite, a new PostgreSQL database else."""
    if request.param == "sqlite":
        return {}
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"t{next(_names)}"
    engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    engine.dispose()
    return {"AVATARS_DATABASE_URL": server.url.rsplit("/", 1)[0] + f"/{name}"}
