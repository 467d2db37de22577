"""Persistent background work: emotion variants and bulk default avatars.

State lives in the database, never only in memory: an emotion variant is a row keyed by its
stable key (pending → done | failed), a bulk job is a ``jobs`` row with one ``job_items`` row per
agent. ``resume()`` on start carries on whatever a stop or a crash interrupted; finished rows are
never redone, so the only repeated provider calls after a SIGKILL are the ones that were in
flight. All background provider calls share one ``AdaptiveLimiter``.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from .foundation.errors import FailureReason, GenerationError, NotFound, to_generation_error
from .foundation.keys import emotion_key, seed_for
from .foundation.models import Agent, AvatarVersion, Emotion, EmotionSet, Job, JobError
from .foundation.prompts import TEMPLATE_VERSION, emotion_prompt, identity_prompt_text
from .providers.base import ImageProvider, ImageRequest
from .retry import BACKGROUND, AdaptiveLimiter, RetryPolicy
from .storage.schema import emotion_variants, job_items, jobs, utcnow

if TYPE_CHECKING:
    from .service import AvatarService

__all__ = ["BackgroundWork"]

class _StaleBase(Exception):
    """The avatar an emotion was queued for is no longer current."""

    passthrough = True


EMOTIONS: tuple[str, ...] = tuple(e.value for e in Emotion)
ProgressCallback = Callable[[Job], None]


class BackgroundWork:
    """Runs and resumes emotion variants and bulk default avatars for one service."""

    def __init__(self, service: AvatarService, policy: RetryPolicy = BACKGROUND) -> None:
        self.service = service
        self.policy = policy
        concurrency = service.settings.concurrency
        self.limiter = AdaptiveLimiter(concurrency)
        self._emotion_pool = ThreadPoolExecutor(max_workers=max(8, concurrency * 2),
                                                thread_name_prefix="avatar-emotions")
        self._in_flight: set[tuple[int, str]] = set()
        self._lock = threading.Lock()
        self._job_threads: dict[int, threading.Thread] = {}
        self._job_events: dict[int, threading.Event] = {}
        self._progress: dict[int, list[ProgressCallback]] = {}
        self._stopping = threading.Event()

    # --- lifecycle ------------------------------------------------------------------------

    def resume(self) -> None:
        """Carry on unfinished work: pending emotions, transient failures, open bulk jobs."""
        for agent in self.service.list_agents():
            if agent.current_version_id is not None:
                self.ensure_emotions(agent.id, retry_transient=True)
        with self.service.engine.connect() as conn:
            open_jobs = list(conn.scalars(sa.select(jobs.c.id).where(
                jobs.c.status.in_(("queued", "running")))))
        for job_id in open_jobs:
            self._launch(job_id)

    def shutdown(self, wait: bool = False) -> None:
        self._stopping.set()
        self._emotion_pool.shutdown(wait=wait, cancel_futures=True)
        if wait:
            for thread in list(self._job_threads.values()):
                thread.join()

    def idle(self) -> bool:
        """True when no emotion or bulk work is running in this process."""
        with self._lock:
            busy_jobs = any(t.is_alive() for t in self._job_threads.values())
            return not self._in_flight and not busy_jobs

    # --- emotions -------------------------------------------------------------------------

    def _keys(self, version: AvatarVersion) -> dict[str, str]:
        base = version.reference_blob.split(".")[0]
        return {e: emotion_key(base, e, TEMPLATE_VERSION, version.provider, version.model)
                for e in EMOTIONS}

    def ensure_emotions(self, agent_id: int, *, retry_transient: bool = False) -> None:
        """Make sure the current avatar's 8 variants exist or are on their way."""
        if self._stopping.is_set():
            return
        version = self.service.current_version_of(agent_id)
        if version is None:
            return
        keys = self._keys(version)
        now = utcnow()
        with self.service.engine.begin() as conn:
            rows = {r.key: r for r in conn.execute(sa.select(emotion_variants).where(
                emotion_variants.c.agent_id == agent_id,
                emotion_variants.c.key.in_(list(keys.values()))))}
            for emotion, key in keys.items():
                row = rows.get(key)
                if row is None:
                    conn.execute(emotion_variants.insert().values(
                        agent_id=agent_id, key=key, base_blob=version.reference_blob,
                        emotion=emotion, status="pending", updated_at=now))
                elif (retry_transient and row.status == "failed"
                      and FailureReason(row.reason or "unknown").retryable):
                    conn.execute(emotion_variants.update().where(
                        emotion_variants.c.agent_id == agent_id, emotion_variants.c.key == key)
                        .values(status="pending", reason=None, message=None, updated_at=now))
            pending = [(r.emotion, r.key) for r in conn.execute(
                sa.select(emotion_variants.c.emotion, emotion_variants.c.key).where(
                    emotion_variants.c.agent_id == agent_id,
                    emotion_variants.c.key.in_(list(keys.values())),
                    emotion_variants.c.status == "pending"))]
        for emotion, key in pending:
            with self._lock:
                if (agent_id, key) in self._in_flight:
                    continue
                self._in_flight.add((agent_id, key))
            try:
                self._emotion_pool.submit(self._make_emotion, agent_id, version.id, emotion, key)
            except RuntimeError:  # pool shut down: the row stays pending for the next start
                with self._lock:
                    self._in_flight.discard((agent_id, key))

    def _make_emotion(self, agent_id: int, version_id: int, emotion: str, key: str) -> None:
        try:
            if self._stopping.is_set():
                return
            version = self.service.current_version_of(agent_id)
            if version is None or version.id != version_id:
                self._discard(agent_id, key)
                return
            try:
                provider = self.service.provider_for(version)
                blobs = self.service.blobs
                request = ImageRequest(
                    kind="emotion", agent_name=str(agent_id),
                    identity_prompt=version.identity_prompt,
                    prompt=emotion_prompt(version.identity_prompt, Emotion(emotion)),
                    seed=version.seed, reference=blobs.read(version.reference_blob),
                    style_image=blobs.read(version.style_blob) if version.style_blob else None,
                    emotion=Emotion(emotion))

                def still_current(call: Callable[[], Any]) -> Any:
                    # Checked again once a slot is free: the base may have changed while queued.
                    def guarded() -> Any:
                        latest = self.service.current_version_of(agent_id)
                        if latest is None or latest.id != version_id:
                            raise _StaleBase()
                        return call()

                    return self.limiter.run(guarded)

                reference, display = self.service.produce(provider, request, self.policy,
                                                          run=still_current)
            except _StaleBase:
                self._discard(agent_id, key)
                return
            except Exception as exc:
                self._fail_emotion(agent_id, key, to_generation_error(exc))
                return
            self._store_emotion(agent_id, version, key, reference, display)
        finally:
            with self._lock:
                self._in_flight.discard((agent_id, key))

    def _store_emotion(self, agent_id: int, version: AvatarVersion, key: str,
                       reference: bytes, display: bytes) -> None:
        service = self.service
        with service.blob_lock:
            current = self.service.current_version_of(agent_id)
            if current is None or current.reference_blob != version.reference_blob:
                self._discard(agent_id, key)  # the base changed while we worked: never shown
                return
            ref_name = service.blobs.put(reference, "png")
            display_name = service.blobs.put(display, "webp")
            with service.engine.begin() as conn:
                conn.execute(emotion_variants.update().where(
                    emotion_variants.c.agent_id == agent_id, emotion_variants.c.key == key)
                    .values(status="done", display_blob=display_name, reference_blob=ref_name,
                            reason=None, message=None, updated_at=utcnow()))

    def _fail_emotion(self, agent_id: int, key: str, error: GenerationError) -> None:
        with self.service.engine.begin() as conn:
            conn.execute(emotion_variants.update().where(
                emotion_variants.c.agent_id == agent_id, emotion_variants.c.key == key,
                emotion_variants.c.status == "pending")
                .values(status="failed", reason=error.reason.value, message=error.detail[:500],
                        updated_at=utcnow()))

    def _discard(self, agent_id: int, key: str) -> None:
        with self.service.engine.begin() as conn:
            conn.execute(emotion_variants.delete().where(
                emotion_variants.c.agent_id == agent_id, emotion_variants.c.key == key,
                emotion_variants.c.status != "done"))

    def emotion_set(self, agent: Agent) -> EmotionSet:
        """Available variants in canonical order; ``version`` changes exactly with that set."""
        version = self.service.current_version_of(agent.id)
        if version is None:
            return EmotionSet(agent_name=agent.name, emotions=[], version="none")
        keys = self._keys(version)
        with self.service.engine.connect() as conn:
            rows = {r.key: r for r in conn.execute(sa.select(emotion_variants).where(
                emotion_variants.c.agent_id == agent.id,
                emotion_variants.c.key.in_(list(keys.values()))))}
        done, pending, failed, blobs = [], [], [], {}
        for emotion, key in keys.items():
            row = rows.get(key)
            if row is None or row.status == "pending":
                pending.append(emotion)
            elif row.status == "done":
                done.append(emotion)
                blobs[emotion] = row.display_blob
            else:
                failed.append({"emotion": emotion, "reason": row.reason or "unknown"})
        material = version.reference_blob + "|" + ",".join(keys[e] for e in done)
        return EmotionSet(
            agent_name=agent.name, emotions=done,
            version=hashlib.sha256(material.encode()).hexdigest()[:16],
            pending=pending, failed=failed, keys={e: keys[e] for e in done}, blobs=blobs)

    # --- bulk defaults --------------------------------------------------------------------

    def start_defaults(self, progress: ProgressCallback | None = None) -> Job:
        """Start (or join) the bulk defaults job; returns its record at once."""
        with self._lock:
            with self.service.engine.connect() as conn:
                open_id = conn.scalar(sa.select(jobs.c.id).where(
                    jobs.c.kind == "defaults", jobs.c.status.in_(("queued", "running"))))
            if open_id is None:
                provider = self.service.active_provider()  # not_configured surfaces here
                open_id = self._create_defaults_job(provider)
            if progress is not None:
                self._progress.setdefault(open_id, []).append(progress)
        self._launch(open_id)
        return self.job(open_id)

    def _create_defaults_job(self, provider: ImageProvider) -> int:
        listed = self.service.list_agents()
        with self.service.engine.begin() as conn:
            job_id = conn.execute(jobs.insert().values(
                kind="defaults", status="queued", summary="", created_at=utcnow())
            ).inserted_primary_key[0]
            if listed:
                conn.execute(job_items.insert(), [
                    {"job_id": job_id, "agent_id": a.id, "agent_name": a.name,
                     "status": "pending" if self.service.default_target(a, provider)
                     else "skipped"} for a in listed])
        return int(job_id)

    def _launch(self, job_id: int) -> None:
        with self._lock:
            thread = self._job_threads.get(job_id)
            if thread is not None and thread.is_alive():
                return
            self._job_events.setdefault(job_id, threading.Event())
            thread = threading.Thread(target=self._run_defaults, args=(job_id,),
                                      name=f"avatar-defaults-{job_id}", daemon=True)
            self._job_threads[job_id] = thread
            thread.start()

    def _run_defaults(self, job_id: int) -> None:
        engine = self.service.engine
        try:
            with engine.begin() as conn:
                conn.execute(jobs.update().where(jobs.c.id == job_id).values(status="running"))
            try:
                provider = self.service.active_provider()
            except GenerationError as exc:
                self._fail_pending(job_id, exc)
                provider = None
            if provider is not None:
                with engine.connect() as conn:
                    pending = conn.execute(sa.select(job_items.c.agent_id).where(
                        job_items.c.job_id == job_id, job_items.c.status == "pending")).all()
                workers = max(1, self.service.settings.concurrency)
                with ThreadPoolExecutor(max_workers=workers,
                                        thread_name_prefix=f"avatar-defaults-{job_id}") as pool:
                    for row in pending:
                        pool.submit(self._default_item, job_id, row.agent_id, provider)
            if self._stopping.is_set():
                return  # the job stays running in the database and resumes on the next start
            job = self.job(job_id)
            status = "failed" if job.total and job.failed == job.total else "done"
            with engine.begin() as conn:
                conn.execute(jobs.update().where(jobs.c.id == job_id).values(
                    status=status, summary=_summary(job), finished_at=utcnow()))
                generated = list(conn.scalars(sa.select(job_items.c.agent_id).where(
                    job_items.c.job_id == job_id, job_items.c.status == "done")))
            for agent_id in generated:  # expressions after faces: the bulk job goes first
                self.ensure_emotions(agent_id)
            self._notify(job_id)
        finally:
            self._job_events.setdefault(job_id, threading.Event()).set()

    def _default_item(self, job_id: int, agent_id: int, provider: ImageProvider) -> None:
        if self._stopping.is_set():
            return
        service = self.service
        status, reason, message = "done", None, None
        try:
            # Read under the agent's lock: a rename, a custom avatar or a delete may have landed.
            with service._agent_lock(agent_id):
                agent = service.agent_by_id(agent_id)
                target = None if agent is None else service.default_target(agent, provider)
                if agent is None:
                    status, message = "skipped", "agent was deleted"
                elif target is None:
                    status, message = "skipped", "has a custom or up-to-date avatar"
                else:
                    prompt, fingerprint = target
                    request = ImageRequest(
                        kind="identity", agent_name=agent.name, identity_prompt=prompt,
                        prompt=identity_prompt_text(prompt), seed=seed_for(agent.name, prompt))
                    reference, display = service.produce(provider, request, self.policy,
                                                         run=self.limiter.run)
                    if self._stopping.is_set():
                        return
                    service.commit_version(agent_id, provider, request, reference, display,
                                           None, is_default=True, fingerprint=fingerprint,
                                           schedule_emotions=False)
        except Exception as exc:
            error = to_generation_error(exc)
            status, reason, message = "failed", error.reason.value, error.detail
        with service.engine.begin() as conn:
            conn.execute(job_items.update().where(
                job_items.c.job_id == job_id, job_items.c.agent_id == agent_id)
                .values(status=status, reason=reason, message=message))
        self._notify(job_id)

    def _fail_pending(self, job_id: int, error: GenerationError) -> None:
        with self.service.engine.begin() as conn:
            conn.execute(job_items.update().where(
                job_items.c.job_id == job_id, job_items.c.status == "pending")
                .values(status="failed", reason=error.reason.value, message=error.detail))

    def _notify(self, job_id: int) -> None:
        callbacks = self._progress.get(job_id, [])
        if not callbacks:
            return
        job = self.job(job_id)
        for callback in callbacks:
            with contextlib.suppress(Exception):  # a broken display must not stop the job
                callback(job)

    def wait(self, job_id: int, timeout: float | None = None) -> Job:
        self._launch_if_open(job_id)
        event = self._job_events.setdefault(job_id, threading.Event())
        if not self.job(job_id).finished:
            event.wait(timeout)
        return self.job(job_id)

    def _launch_if_open(self, job_id: int) -> None:
        if not self.job(job_id).finished:
            self._launch(job_id)

    def job(self, job_id: int) -> Job:
        with self.service.engine.connect() as conn:
            row = conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()
            if row is None:
                raise NotFound("Job not found")
            items = conn.execute(sa.select(job_items).where(job_items.c.job_id == job_id)
                                 .order_by(job_items.c.agent_name)).all()
        counts = Counter(item.status for item in items)
        errors = [JobError(i.agent_name, i.reason or "unknown", i.message or "")
                  for i in items if i.status == "failed"]
        return Job(id=row.id, kind=row.kind, status=row.status, total=len(items),
                   done=len(items) - counts["pending"], failed=counts["failed"],
                   skipped=counts["skipped"], errors=errors, summary=row.summary or "",
                   created_at=row.created_at, finished_at=row.finished_at,
                   generated=counts["done"])

    def latest_job(self, kind: str) -> Job | None:
        with self.service.engine.connect() as conn:
            job_id = conn.scalar(sa.select(jobs.c.id).where(jobs.c.kind == kind)
                                 .order_by(jobs.c.id.desc()).limit(1))
        return None if job_id is None else self.job(job_id)


def _summary(job: Job) -> str:
    text = f"Generated {job.generated}, failed {job.failed}, skipped {job.skipped}"
    if job.errors:
        by_reason = Counter(e.reason for e in job.errors)
        text += " (" + ", ".join(f"{r}: {n}" for r, n in sorted(by_reason.items())) + ")"
    return text


def failures_by_reason(job: Job) -> dict[str, int]:
    """Counts of failed items per failure reason, for progress displays."""
    return dict(Counter(e.reason for e in job.errors))


