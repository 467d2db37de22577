"""Real databases for tests that must hold on SQLite and on PostgreSQL alike.

``database_url`` is parametrized: ``sqlite`` leaves the default (a file under the data dir),
``postgresql`` gives each test its own fresh database on the run's PostgreSQL server.
"""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from tests.postgres_server import PostgresServer

__all__ = ["database_url", "postgres"]

_names = itertools.count(1)


@pytest.fixture
def postgres(postgres_server: PostgresServer) -> PostgresServer:
    """The run's one PostgreSQL server (conftest's ``postgres_server``)."""
    return postgres_server


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
