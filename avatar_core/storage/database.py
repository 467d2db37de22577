"""The engine: a SQLite file by default, PostgreSQL (or any SQLAlchemy URL) when configured.

SQLite gets WAL (readers never wait for the writer), a busy timeout (writers queue instead of
failing), enforced foreign keys and NORMAL sync (safe with WAL). Every engine hides statement
parameters from its error messages — the parameter list, and the values a server quotes in its
own message — so a failing insert of a saved key does not put the key into an exception that
may reach a log or a page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine

__all__ = ["BUSY_TIMEOUT_MS", "create_engine", "inserted_id", "is_sqlite"]

BUSY_TIMEOUT_MS = 30_000
_POOL_SPARE = 8  # heartbeats, dispatcher, cache-epoch follower, API requests


def inserted_id(result: CursorResult[Any]) -> int:
    """The primary key an ``INSERT`` of one row gave it."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the statement inserted no row")
    return int(key[0])


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, concurrency: int = 4) -> Engine:
    """An engine for ``url``; SQLite files get their directory and pragmas.

    A server database's pool is sized from ``concurrency`` (AVATARS_CONCURRENCY): every
    background thread may hold a connection for a moment at once, plus the heartbeats, the
    dispatcher and requests being answered. No connection from it is held across a provider
    call (locks use their own, see ``cluster.ClusterLock``).
    """
    if not url.startswith("sqlite"):
        engine = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True,
                                  pool_size=concurrency + _POOL_SPARE,
                                  max_overflow=concurrency + _POOL_SPARE)
        sa.event.listen(engine, "handle_error", _hide_quoted_values)
        return engine
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, hide_parameters=True,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _hide_quoted_values(context: sa.engine.ExceptionContext) -> None:
    """``hide_parameters`` hides the parameter list, but the server's own message may quote
    them: PostgreSQL's ``DETAIL:  Key (k)=(<the value>) already exists``, or ``invalid input
    syntax for type integer: "<the value>"``. Every parameter text is cut out of it."""
    rows = context.parameters if isinstance(context.parameters, list) else [context.parameters]
    values = sorted({v for row in rows if row
                     for v in (row.values() if isinstance(row, dict) else row)
                     if isinstance(v, str) and len(v) >= 4}, key=len, reverse=True)
    # Both carry the text: the driver's error, and SQLAlchemy's, whose message was made from it.
    for error in (context.original_exception, context.sqlalchemy_exception):
        if values and error is not None and error.args and isinstance(error.args[0], str):
            message = error.args[0]
            for value in values:
                message = message.replace(value, "[hidden]")
            error.args = (message, *error.args[1:])


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA secure_delete=ON")  # freed pages (an old saved key) are zeroed
    cursor.close()
