"""Background work of one process: the worker, and what it works on (bulk defaults, emotions).

Everything that needs resuming is rows in the database, so ``resume`` on start is only "plan
what is missing and let the worker claim it". On a single node (SQLite) no other process can be
holding a claim, so claims left by a killed process are dropped at start instead of waiting for
their leases to lapse.

Order of provider calls, cluster-wide: the batch steps and the faces of bulk jobs are claimed
before emotion variants, and no variant is claimed anywhere while a face is still waiting to be
drawn one by one, so under a tight quota every agent gets its face before spare calls go to
moods (a person waiting calls at once, outside this queue).
"""

from __future__ import annotations

from datetime import datetime

from ..domain.agents import Agents
from ..domain.emotions import EmotionVariants
from ..domain.jobs import BATCH, Jobs
from ..domain.versions import AvatarVersions
from ..foundation.config import Settings
from ..foundation.models import Job
from ..foundation.pricing import image_price
from ..storage.database import is_sqlite
from ..storage.images import ImageFiles
from ..storage.leases import clear_leases, next_lapse, parked, unpark
from .batch import BatchDefaults
from .budget import Pause
from .bulk import BulkDefaults
from .cluster_limiter import ClusterLimiter
from .emotions import EmotionWork
from .generation import Generation
from .limiter import AdaptiveLimiter, Limiter
from .locks import AgentLocks
from .queue import Task, Worker, WorkSource
from .renditions import RenditionWork
from .retry import BACKGROUND

__all__ = ["BackgroundWork"]


class BackgroundWork:
    """Wires the worker to its two sources and offers resume, wait, idle and shutdown."""

    def __init__(self, settings: Settings, agents: Agents, versions: AvatarVersions,
                 variants: EmotionVariants, jobs: Jobs, files: ImageFiles,
                 generation: Generation, locks: AgentLocks, owner: str) -> None:
        self.agents = agents
        # One machine: the limit is this process's; several replicas: the cluster's.
        self.limiter: Limiter = (
            AdaptiveLimiter(settings.concurrency) if is_sqlite(files.engine)
            else ClusterLimiter(files.engine, settings.concurrency, owner, settings.lease_s))
        self.generation = generation
        self.settings = settings
        self.jobs = jobs
        self.worker = Worker(files.engine, [], owner=owner, lease_s=settings.lease_s,
                             threads=settings.concurrency, wake=self._wake,
                             next_due=self._next_due)
        self.emotions = EmotionWork(agents, variants, versions, files, generation, self.limiter,
                                    BACKGROUND, self.worker.stopping, self.worker.park)
        self.bulk = BulkDefaults(jobs, agents, versions, generation, self.emotions,
                                 self.limiter, locks, BACKGROUND, self.worker.stopping,
                                 self.worker.kick, self.worker.park)
        self.batch = BatchDefaults(jobs, agents, self.bulk, generation, locks,
                                   generation.providers.batches, settings.batch_poll_s,
                                   self.worker.stopping)
        renditions = RenditionWork(generation.serving.rows, files, variants, generation.serving,
                                   self.worker.stopping)
        # faces before expressions (cluster-wide); renditions only when nothing else runs
        self.worker.sources = [self.batch, self.bulk, _AfterFaces(self.emotions, jobs),
                               renditions]

    def resume(self) -> None:
        """Carry on unfinished work: pending emotions, transient failures, open bulk jobs."""
        engine = self.worker.engine
        if is_sqlite(engine):
            with engine.begin() as conn:
                clear_leases(conn)
        self.bulk.jobs.skip_abandoned()  # a cancelled job's items whose drawer died
        for agent in self.agents.list():
            if agent.current_version_id is not None:
                self.emotions.ensure(agent.id, retry_transient=True)
        self.worker.start()

    def pause(self) -> Pause | None:
        """Why paid background calls wait now (a spent budget), or None."""
        provider = self.generation.providers.active_or_none()
        if provider is None:
            return None
        return self.generation.budget.pause(self.generation.price(provider))

    def pause_of(self, job: Job) -> Pause | None:
        """Why the open ``job`` waits: its batch's own reason, or the next call's budget."""
        if job.finished:
            return None
        if job.mode == BATCH and self.jobs.batch_items(job.id):
            return self.batch.pause(job.id)
        return self.pause()

    def budget_changed(self) -> None:
        """The budget was raised (or lowered): parked work goes on now if it fits."""
        self._wake()
        self.worker.kick()

    def _wake(self) -> None:
        """Parked rows back to the queue once the budget has room for the cheapest paid call
        (raised here or on another replica, or a new day); waiting batches once they fit."""
        budget = self.generation.budget
        if budget.pause(self._cheapest_paid_call()) is None and parked(self.worker.engine):
            unpark(self.worker.engine)
        self.batch.wake_if_fits()

    def _cheapest_paid_call(self) -> float:
        provider = self.generation.providers.active_or_none()
        price = self.generation.price(provider) if provider is not None else 0.0
        return price if price > 0 else image_price(
            "gemini", self.settings.gemini_model, self.settings.price_per_image_usd).usd

    def _next_due(self) -> datetime | None:
        """When something becomes claimable by itself: a lease lapsing, a batch's step."""
        due = [d for d in (next_lapse(self.worker.engine), self.jobs.next_poll()) if d]
        return min(due, default=None)

    def ensure_emotions(self, agent_id: int) -> None:
        if self.emotions.ensure(agent_id):
            self.worker.kick()

    def wait(self, job_id: int, timeout: float | None = None) -> Job:
        return self.bulk.wait(job_id, timeout)

    def idle(self) -> bool:
        """True when no emotion or bulk work is running in this process."""
        return self.worker.idle()

    def shutdown(self, wait: bool = False) -> None:
        self.worker.stop(wait=wait)
        if isinstance(self.limiter, ClusterLimiter):
            self.limiter.stop()


class _AfterFaces:
    """Emotion variants, claimed only while no bulk face waits for a normal call anywhere."""

    def __init__(self, emotions: WorkSource, jobs: Jobs) -> None:
        self.emotions = emotions
        self.jobs = jobs

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Task]:
        if self.jobs.faces_waiting():
            return []
        return self.emotions.claim(owner, lease_s, limit)
