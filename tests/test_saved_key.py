"""The Gemini key saved in Settings is encrypted at rest, on real SQLite files.

"At rest" is checked where it lives: the bytes of the database file and its WAL, and the
``settings`` table read with SQL. Restarts are new services on the same data dir.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from avatar_core.foundation.errors import GenerationError
from avatar_core.service import AvatarService
from avatar_core.storage.schema import settings_kv
from avatar_core.storage.secret_box import KEY_FILE

KEY = "AIzaSyTEST-at-rest-0123456789abcdefghij"
ENV_KEY = "AIzaSyTEST-from-env-0123456789abcdefgh"


def database_bytes(service: AvatarService) -> bytes:
    """Everything SQLite keeps on disk for this database: the file, its WAL and shm."""
    path = Path(service.settings.database_url.split("///", 1)[1])
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def saved_value(service: AvatarService) -> str | None:
    with service.engine.connect() as conn:
        return conn.scalar(sa.select(settings_kv.c.value)
                           .where(settings_kv.c.name == "gemini_api_key"))


def test_the_saved_key_is_sealed_in_the_database_and_read_back_after_a_restart(
        make_service, tmp_path):
    service = make_service()
    service.providers.save_key(KEY)

    stored = saved_value(service)
    assert stored is not None and stored.startswith("v1:") and KEY not in stored
    assert KEY.encode() not in database_bytes(service)
    assert KEY[-12:].encode() not in database_bytes(service)  # not even a part of it
    service.close()

    again = make_service(AVATARS_PROVIDER="auto")  # same data dir, a new process
    assert again.providers.gemini_key() == KEY
    assert again.providers.key_source() == "saved in Settings"
    assert again.providers.masked_key() == "•" * 8 + KEY[-4:]
    assert again.providers.saved_key_problem() is None
    assert again.providers.active().name == "gemini"  # auto: the saved key turns Gemini on


def test_without_a_secret_setting_the_key_file_is_created_owner_only(make_service, tmp_path):
    service = make_service()
    key_file = service.settings.data_dir / KEY_FILE
    assert key_file.is_file()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    service.providers.save_key(KEY)
    assert KEY.encode() not in key_file.read_bytes()
    first_key = key_file.read_bytes()
    make_service()  # a restart reuses the file, never replaces it
    assert key_file.read_bytes() == first_key


def test_with_a_secret_setting_no_key_file_is_needed(make_service, tmp_path):
    service = make_service(AVATARS_SECRET_KEY="shared by every replica")
    service.providers.save_key(KEY)
    assert not (service.settings.data_dir / KEY_FILE).exists()
    other_replica = make_service(tmp_path / "other", AVATARS_SECRET_KEY="shared by every replica",
                                 AVATARS_DATABASE_URL=service.settings.database_url)
    assert other_replica.providers.gemini_key() == KEY


def test_another_secret_cannot_read_it_and_says_so_without_crashing(make_service):
    service = make_service(AVATARS_SECRET_KEY="the first secret")
    service.providers.save_key(KEY)
    service.close()

    other = make_service(AVATARS_SECRET_KEY="another secret", GEMINI_API_KEY=ENV_KEY,
                         AVATARS_PROVIDER="auto")

    problem = other.providers.saved_key_problem()
    assert problem is not None
    assert "AVATARS_SECRET_KEY" in problem and "save the key again" in problem
    assert KEY not in problem
    # never another key or provider in its place, silently: Gemini stops and says why
    assert other.providers.gemini_key() is None and other.providers.masked_key() is None
    assert other.providers.label() == "none (not_configured)"
    with pytest.raises(GenerationError, match="AVATARS_SECRET_KEY"):
        other.providers.active()

    without_env = make_service(AVATARS_SECRET_KEY="another secret", AVATARS_PROVIDER="auto")
    assert without_env.providers.gemini_key() is None
    with pytest.raises(GenerationError, match="AVATARS_SECRET_KEY"):
        without_env.providers.active()  # auto does not fall back to the built-in renderer
    assert without_env.providers.saved_key_problem() == problem

    without_env.providers.save_key(KEY)  # saved again: readable under the new secret
    assert without_env.providers.saved_key_problem() is None
    assert without_env.providers.gemini_key() == KEY


def save_plain_key_as_the_previous_version_did(service: AvatarService) -> None:
    with service.engine.begin() as conn:
        conn.execute(settings_kv.insert().values(name="gemini_api_key", value=KEY))
    service.close()


def test_a_key_saved_in_plain_text_before_is_sealed_at_the_next_start(make_service):
    save_plain_key_as_the_previous_version_did(make_service())

    service = make_service()
    assert service.providers.gemini_key() == KEY

    stored = saved_value(service)
    assert stored is not None and stored.startswith("v1:") and KEY not in stored
    again = make_service(AVATARS_PROVIDER="auto")
    assert again.providers.gemini_key() == KEY and again.providers.saved_key_problem() is None


def test_a_key_sealed_at_start_leaves_no_plain_copy_on_disk(make_service):
    save_plain_key_as_the_previous_version_did(make_service())

    service = make_service()
    assert service.providers.gemini_key() == KEY  # sealed when it started

    assert KEY.encode() not in database_bytes(service)
