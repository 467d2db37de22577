"""SIGKILL a process while it writes, restart, and check nothing is lost or dangling."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from avatar_core.domain.emotions import EMOTIONS
from avatar_core.service import AvatarService
from avatar_core.storage.blobs import TEMP_PREFIX
from avatar_core.storage.database import create_engine
from avatar_core.storage.schema import agents, avatar_versions, emotion_variants
from tests.gemini_server import GeminiStub
from tests.helpers import gemini_env, wait_until, work_settled

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def start_child(mode: str, data_dir: Path, stub_url: str = "",
                env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``tests.crash_child`` doing ``mode``; ``env`` adds settings (AVATARS_*, AWS_*)."""
    env = {**{k: v for k, v in os.environ.items()
              if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL")},
           **(env or {})}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.crash_child", mode, str(data_dir), stub_url],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    return child


def kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    if child.stdout is not None:
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def committed_faces(database_url: str) -> int:
    """Default faces a killed process had committed, read from its database. Counted as
    versions, not settled items: it may have died between a face's version and its item."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(avatar_versions)
                                   .where(avatar_versions.c.is_default.is_(True))) or 0)
    finally:
        engine.dispose()


def finished_at_kill(data_dir: Path) -> tuple[int, int]:
    """(default faces, emotion variants) the killed process had committed, or been delivered:
    a variant whose provider answer is kept on its row counts, it is never paid for again."""
    database_url = f"sqlite:///{data_dir / 'avatars.db'}"
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            emotions = conn.scalar(sa.select(sa.func.count()).select_from(emotion_variants)
                                   .where(emotion_variants.c.reference_blob.is_not(None))) or 0
    finally:
        engine.dispose()
    return committed_faces(database_url), emotions


def assert_consistent(service) -> None:
    """Every row names a whole file, every file is named by a row, no temp files remain."""
    referenced = service.files.referenced()
    on_disk = set(service.blobs.names())
    assert referenced == on_disk
    for name in referenced:
        with Image.open(service.blobs.path(name)) as img:
            img.load()  # decodes completely: no half-written image
    assert not list(service.blobs.root.rglob(f"{TEMP_PREFIX}*"))
    with service.engine.connect() as conn:
        dangling = conn.execute(sa.select(agents.c.name).where(
            agents.c.current_version_id.is_not(None),
            ~agents.c.current_version_id.in_(sa.select(avatar_versions.c.id)))).all()
    assert dangling == []


def committed_versions(data_dir: Path) -> int:
    """Avatar versions a (running or killed) child process has committed so far."""
    engine = create_engine(f"sqlite:///{data_dir / 'avatars.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(avatar_versions)) or 0)
    finally:
        engine.dispose()


# Kill points by what the child has written: before its first version, then a few versions in
# (each one a face, a file pair and the agent's pointer moved), so the kill lands mid-write.
@pytest.mark.parametrize("versions", [0, 1, 4, 9])
def test_sigkill_while_writing_avatars_leaves_a_consistent_store(make_service, tmp_path,
                                                                 versions):
    data_dir = tmp_path / "data"
    child = start_child("write", data_dir)
    wait_until(lambda: committed_versions(data_dir) >= versions, timeout=120, every=0.01,
               message=f"the child never committed {versions} versions")
    kill(child)
    # First as start-up alone leaves it (no resumed work writing files meanwhile) ...
    recovered = make_service(data_dir, resume=False)
    assert_consistent(recovered)
    recovered.close()
    # ... then with the interrupted emotion variants resumed and finished.
    service = make_service(data_dir)
    wait_until(lambda: work_settled(service), timeout=300)
    assert_consistent(service)
    for agent in service.agents.list():  # what the database says is current can be served
        if agent.has_avatar:
            assert service.images.avatar(agent.name).data[8:12] == b"WEBP"


def kill_and_restart(make_service, data_dir: Path, mode: str, stub: GeminiStub,
                     calls: int) -> tuple[AvatarService, int, tuple[int, int]]:
    """Run the child in ``mode`` until the stub saw ``calls`` calls, SIGKILL it, and start a
    service on its data dir: (that service, calls at the kill, what was committed then)."""
    child = start_child(mode, data_dir, stub.url)
    wait_until(lambda: stub.calls >= calls, timeout=30)
    kill(child)
    calls_at_kill = stub.calls
    committed = finished_at_kill(data_dir)
    service = make_service(data_dir, **gemini_env(stub, AVATARS_CONCURRENCY="2"))
    return service, calls_at_kill, committed


def test_sigkill_mid_bulk_resumes_without_redoing_finished_work(make_service, tmp_path):
    with GeminiStub(latency_s=0.3) as stub:
        service, calls_at_kill, (defaults_done, emotions_done) = kill_and_restart(
            make_service, tmp_path / "data", "bulk", stub, calls=5)
        job = service.latest_defaults_job()
        assert job is not None
        finished = service.work.wait(job.id, timeout=120)
        assert (finished.status, finished.generated, finished.failed) == ("done", 12, 0)
        wait_until(lambda: all(service.emotions(a.name).emotions == list(EMOTIONS)
                               for a in service.agents.list()), timeout=120)
        wait_until(lambda: work_settled(service), timeout=300)
        # After the restart exactly the unfinished work was asked for: nothing finished twice.
        assert stub.calls - calls_at_kill == (12 - defaults_done) + (12 * 8 - emotions_done)
        # Before the kill, only calls still in flight (answered or not, but not yet committed)
        # were lost: at most one per worker thread (2 bulk + 8 emotion workers).
        assert calls_at_kill - defaults_done - emotions_done <= 10
        assert_consistent(service)


def test_sigkill_mid_emotions_resumes_and_finishes(make_service, tmp_path):
    with GeminiStub(latency_s=0.3) as stub:
        service, calls_at_kill, (_, emotions_done) = kill_and_restart(
            make_service, tmp_path / "data", "emotions", stub, calls=4)
        wait_until(lambda: service.emotions("moody").emotions == list(EMOTIONS), timeout=60)
        wait_until(lambda: work_settled(service), timeout=300)
        # every variant delivered before the kill is finished from its kept bytes, unpaid
        assert stub.calls - calls_at_kill == 8 - emotions_done
        # the base, then at most one uncommitted call per emotion worker thread
        assert calls_at_kill - 1 - emotions_done <= 8
        with service.engine.connect() as conn:
            statuses = list(conn.scalars(sa.select(emotion_variants.c.status)))
        assert statuses == ["done"] * 8
        assert_consistent(service)


def delivered_not_shown(data_dir: Path) -> int:
    """Variants whose provider answer is kept on the row but that are not shown yet."""
    engine = create_engine(f"sqlite:///{data_dir / 'avatars.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(emotion_variants).where(
                emotion_variants.c.reference_blob.is_not(None),
                emotion_variants.c.status == "pending")) or 0)
    except sa.exc.OperationalError:  # the child is migrating or writing: look again
        return 0
    finally:
        engine.dispose()


def wait_for_all_emotions(service) -> None:
    wait_until(lambda: service.emotions("moody").emotions == list(EMOTIONS), timeout=60)
    wait_until(lambda: work_settled(service), timeout=300)


def test_sigkill_after_delivery_never_pays_for_that_image_again(make_service, tmp_path):
    """Killed between the provider's answer and the variant being shown: the kept bytes finish
    it after the restart, with no call. The window is short, so up to five runs try to hit it."""
    for attempt in range(5):
        with GeminiStub(latency_s=0.3) as stub:
            data_dir = tmp_path / f"data-{attempt}"
            child = start_child("emotions", data_dir, stub.url)
            deadline = time.monotonic() + 60
            while not delivered_not_shown(data_dir) and time.monotonic() < deadline:
                time.sleep(0.002)
            kill(child)
            kept = delivered_not_shown(data_dir)
            if not kept:
                continue
            calls_at_kill = stub.calls
            _, paid = finished_at_kill(data_dir)
            service = make_service(data_dir, AVATARS_PROVIDER="gemini", GEMINI_API_KEY="k",
                                   GOOGLE_GEMINI_BASE_URL=stub.url, AVATARS_CONCURRENCY="2")
            wait_for_all_emotions(service)
            assert stub.calls - calls_at_kill == 8 - paid  # none for the `kept` ones
            assert_consistent(service)
            return
    pytest.fail("no run was killed between a delivery and its variant being shown")
