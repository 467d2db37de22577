"""Bulk default avatars: one job, one item per agent, any worker may draw any item.

Which agents: every agent without a custom avatar (none yet, or a default that is stale because
its prompt, template or provider changed); custom avatars are never touched. Items are claimed
like any background work, so a job survives restarts and replicas; the worker that settles the
last item finishes the job and queues the new faces' emotion variants (faces first).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..domain.agents import Agents
from ..domain.defaults import DefaultTarget, default_target
from ..domain.emotions import EMOTIONS
from ..domain.jobs import CANCELLED_MESSAGE, ClaimedItem, Jobs
from ..domain.versions import AvatarVersions
from ..foundation.errors import NotFound, to_generation_error
from ..foundation.models import Agent, ItemStatus, Job, JobKind, JobStatus
from ..foundation.pricing import CallKind
from ..providers.base import ImageProvider
from ..storage.cluster import LockSpace
from ..storage.leases import Lease, LeaseLost
from ..storage.schema import job_items
from .budget import BudgetSpent
from .emotions import EmotionWork, Release
from .generation import Generation
from .limiter import Limiter
from .locks import AgentLocks
from .queue import Task
from .retry import RetryPolicy, Stopped

__all__ = ["BulkDefaults", "DefaultsPlan", "ProgressCallback"]

ProgressCallback = Callable[[Job], None]
_WAIT_SLICE_S = 0.5  # how often a waiter looks at the database (items may finish elsewhere)


@dataclass(frozen=True)
class DefaultsPlan:
    """The price before the button: who would get a face, and what it would cost."""

    agents: list[str]
    provider: str
    model: str
    price_per_image_usd: float  # one call at list price (emotions)
    face_price_usd: float  # the default face itself (half in batch mode)
    price_known: bool

    @property
    def images(self) -> int:
        return len(self.agents) * (1 + len(EMOTIONS))

    @property
    def estimated_usd(self) -> float:
        per_agent = self.face_price_usd + len(EMOTIONS) * self.price_per_image_usd
        return round(len(self.agents) * per_agent, 4)


class BulkDefaults:
    """The work source for bulk default items, and starting and waiting for their jobs."""

    def __init__(self, jobs: Jobs, agents: Agents, versions: AvatarVersions,
                 generation: Generation, emotions: EmotionWork, limiter: Limiter,
                 locks: AgentLocks, policy: RetryPolicy, stopping: threading.Event,
                 kick: Callable[[], None], release: Release) -> None:
        self.jobs = jobs
        self.agents = agents
        self.versions = versions
        self.generation = generation
        self.emotions = emotions
        self.limiter = limiter
        self.locks = locks
        self.policy = policy
        self.stopping = stopping
        self.kick = kick
        self.release = release
        self._lock = threading.Lock()
        self._settled = threading.Condition()
        self._progress: dict[int, list[ProgressCallback]] = {}

    def start(self, progress: ProgressCallback | None = None, *, batch: bool = False) -> Job:
        """Start (or join) the bulk defaults job; returns its record at once.

        With ``batch`` a new job's faces go to the provider's batch API (Gemini only).
        """
        with self._lock, self.locks.cluster.hold(LockSpace.BULK_START):  # one job, cluster-wide
            job_id = self.jobs.open_job(JobKind.DEFAULTS)
            if job_id is None:
                if batch:
                    self.generation.providers.batches()  # 400 without Gemini, before a job
                job_id = self._create(self.generation.providers.active(), batch=batch)
            if progress is not None:
                self._progress.setdefault(job_id, []).append(progress)
        self.finish(job_id)  # a job with nothing to draw is done at once
        self.kick()
        return self.jobs.get(job_id)

    def _create(self, provider: ImageProvider, *, batch: bool) -> int:
        items = [(agent.id, agent.name,
                  ItemStatus.PENDING if self.target(agent, provider) else ItemStatus.SKIPPED)
                 for agent in self.agents.list()]
        return self.jobs.create(JobKind.DEFAULTS, items, batch=batch)

    def plan(self, *, batch: bool = False) -> DefaultsPlan:
        """What a run would do now and cost: the agents that would get a default, the price."""
        if batch:
            self.generation.providers.batches()  # 400 without Gemini, as a real run answers
        provider = self.generation.providers.active()
        price = self.generation.price_of(provider)
        return DefaultsPlan([a.name for a in self.agents.list() if self.target(a, provider)],
                            provider.name, provider.model, price.usd,
                            self.generation.price_of(provider, batch=batch).usd, price.known)

    def target(self, agent: Agent, provider: ImageProvider) -> DefaultTarget | None:
        """What ``agent``'s default should be made from now, or None to leave it."""
        stored = (self.versions.default_fingerprint(agent.current_version_id)
                  if agent.current_version_id is not None else None)
        return default_target(agent, provider.name, provider.model, stored)

    def drawn_for(self, job_id: int, agent: Agent) -> bool:
        """True when ``agent``'s current avatar is a default drawn since job ``job_id`` began.

        That is a face whose worker died (or lost its lease) between committing the version and
        settling the item: the item is done, not skipped.
        """
        if agent.current_version_id is None:
            return False
        version = self.versions.get(agent.id, agent.current_version_id)
        return version.is_default and version.created_at >= self.jobs.get(job_id).created_at

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Task]:
        return [Task(job_items, {"job_id": item.job_id, "agent_id": item.agent_id},
                     lambda item=item: self._draw(item))  # type: ignore[misc]
                for item in self.jobs.claim(owner, lease_s, limit)]

    def _draw(self, item: ClaimedItem) -> None:
        status, reason, message = ItemStatus.DONE, None, None
        try:
            # Read under the agent's lock: a rename, a custom avatar or a delete may have landed.
            with self.locks.hold(item.agent_id):
                outcome = self._make_default(item)
            if outcome is None:
                return  # stopping: the item stays pending and is drawn after the restart
            status, message = outcome
        except BudgetSpent as spent:
            self.release(job_items, {"job_id": item.job_id, "agent_id": item.agent_id},
                         spent.resumes_at)
            return  # the job pauses; the item is drawn when the budget allows
        except NotFound:
            status, message = ItemStatus.SKIPPED, "agent was deleted"
        except LeaseLost:
            return  # our lease lapsed and another worker draws (and settles) it now
        except Exception as exc:
            error = to_generation_error(exc)
            status, reason, message = ItemStatus.FAILED, error.reason.value, error.detail
        self.jobs.settle(item, status, reason, message)
        self._notify(item.job_id)
        self.finish(item.job_id)

    def _make_default(self, item: ClaimedItem) -> tuple[ItemStatus, str | None] | None:
        agent_id = item.agent_id
        agent = self.agents.by_id(agent_id)
        if agent is None:
            return ItemStatus.SKIPPED, "agent was deleted"
        provider = self.generation.providers.active()
        target = self.target(agent, provider)
        if target is None:
            if self.drawn_for(item.job_id, agent):
                return ItemStatus.DONE, None  # counted, and its emotions are queued at the end
            return ItemStatus.SKIPPED, "has a custom or up-to-date avatar"
        if self.jobs.status(item.job_id) is JobStatus.CANCELLED:
            return ItemStatus.SKIPPED, CANCELLED_MESSAGE  # cancelled while it waited for a slot
        request = self.generation.default_request(agent, target)
        try:
            produced = self.generation.produce(provider, request, self.policy,
                                               run=self.limiter.run, kind=CallKind.DEFAULT,
                                               stopping=self.stopping)
        except Stopped:
            return None
        if self.stopping.is_set():
            return None
        self.generation.commit(agent_id, (provider.name, provider.model), request, produced, None,
                               is_default=True, fingerprint=target.fingerprint,
                               lease=Lease(job_items, {"job_id": item.job_id,
                                                       "agent_id": agent_id}, item.owner)
                               if item.owner else None)
        return ItemStatus.DONE, None

    def finish(self, job_id: int) -> None:
        """Finish the job if its last item is settled, and queue the new faces' emotions (a
        cancelled job's faces too: like any new avatar, each gets its expressions)."""
        finished = self.jobs.finish_if_complete(job_id)
        if finished is None and self.jobs.status(job_id) is not JobStatus.CANCELLED:
            return
        for agent_id in self.jobs.agent_ids(job_id, ItemStatus.DONE):
            self.emotions.ensure(agent_id)  # expressions after faces: the bulk job went first
        self.kick()
        self._notify(job_id)

    def _notify(self, job_id: int) -> None:
        with self._settled:
            self._settled.notify_all()
        callbacks = self._progress.get(job_id, [])
        if not callbacks:
            return
        job = self.jobs.get(job_id)
        for callback in callbacks:
            with contextlib.suppress(Exception):  # a broken display must not stop the job
                callback(job)

    def wait(self, job_id: int, timeout: float | None = None) -> Job:
        """The job once finished, or as it stands after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.jobs.get(job_id)
            left = None if deadline is None else deadline - time.monotonic()
            if job.finished or (left is not None and left <= 0):
                return job
            with self._settled:
                self._settled.wait(_WAIT_SLICE_S if left is None else min(left, _WAIT_SLICE_S))
