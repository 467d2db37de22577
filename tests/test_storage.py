"""Storage on real SQLite files: migrations, pragmas, blobs written atomically."""

from __future__ import annotations

import sqlalchemy as sa

from avatar_core.foundation.keys import digest
from avatar_core.storage.blobs import TEMP_PREFIX, LocalBlobStore
from avatar_core.storage.database import create_engine
from avatar_core.storage.migrations import MIGRATIONS, migrate
from avatar_core.storage.schema import schema_migrations


def test_migrations_apply_once_and_record_versions(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert migrate(engine) == MIGRATIONS[-1][0]
    assert migrate(engine) == MIGRATIONS[-1][0]
    with engine.connect() as conn:
        versions = list(conn.scalars(sa.select(schema_migrations.c.version)))
        tables = set(sa.inspect(conn).get_table_names())
    assert versions == [m[0] for m in MIGRATIONS]
    assert {"agents", "avatar_versions", "emotion_variants", "activities", "jobs",
            "job_items", "tokens", "settings"} <= tables


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_blob_put_is_content_addressed_and_idempotent(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    name = store.put(b"hello", "png")
    assert name == f"{digest(b'hello')}.png"
    assert store.put(b"hello", "png") == name
    assert store.read(name) == b"hello"
    assert list(store.names()) == [name]
    assert not list((tmp_path / "blobs").rglob(f"{TEMP_PREFIX}*"))


def test_blob_names_are_validated_before_touching_the_file_system(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    for bad in ("../../etc/passwd", "x.png", f"{'a' * 64}.exe", f"../{'a' * 64}.png"):
        try:
            store.path(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad!r}")


def test_temp_files_are_swept(tmp_path):
    store = LocalBlobStore(tmp_path / "blobs")
    (tmp_path / "blobs" / "ab").mkdir()
    (tmp_path / "blobs" / "ab" / f"{TEMP_PREFIX}half").write_bytes(b"half-written")
    assert store.sweep_temp_files() == 1
    assert not list((tmp_path / "blobs").rglob(f"{TEMP_PREFIX}*"))
