"""Background work of one process: the worker, and what it works on (bulk defaults, emotions).

Everything that needs resuming is rows in the database, so ``resume`` on start is only "plan
what is missing and let the worker claim it". On a single node (SQLite) no other process can be
holding a claim, so claims left by a killed process are dropped at start instead of waiting for
their leases to lapse.
"""

from __future__ import annotations

from ..domain.agents import Agents
from ..domain.emotions import EmotionVariants
from ..domain.jobs import Jobs
from ..domain.versions import AvatarVersions
from ..foundation.config import Settings
from ..foundation.models import Job
from ..storage.database import is_sqlite
from ..storage.images import ImageFiles
from ..storage.leases import clear_leases
from .batch import BatchDefaults
from .budget import Pause
from .bulk import BulkDefaults
from .cluster_limiter import ClusterLimiter
from .emotions import EmotionWork
from .generation import Generation
from .limiter import AdaptiveLimiter, Limiter
from .locks import AgentLocks
from .queue import Worker
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
        self.worker = Worker(files.engine, [], owner=owner, lease_s=settings.lease_s,
                             threads=settings.concurrency,
                             may_claim=lambda: self.pause() is None)
        self.emotions = EmotionWork(agents, variants, versions, files, generation, self.limiter,
                                    BACKGROUND, self.worker.stopping, self.worker.release)
        self.bulk = BulkDefaults(jobs, agents, versions, generation, self.emotions,
                                 self.limiter, locks, BACKGROUND, self.worker.stopping,
                                 self.worker.kick, self.worker.release)
        self.batch = BatchDefaults(jobs, agents, self.bulk, generation, locks,
                                   generation.providers.batches, settings.batch_poll_s,
                                   self.worker.stopping)
        renditions = RenditionWork(generation.serving.rows, files, variants, generation.serving,
                                   self.worker.stopping)
        # faces before expressions; renditions only when nothing else runs
        self.worker.sources = [self.batch, self.bulk, self.emotions, renditions]

    def resume(self) -> None:
        """Carry on unfinished work: pending emotions, transient failures, open bulk jobs."""
        engine = self.worker.engine
        if is_sqlite(engine):
            with engine.begin() as conn:
                clear_leases(conn)
        for agent in self.agents.list():
            if agent.current_version_id is not None:
                self.emotions.ensure(agent.id, retry_transient=True)
        self.worker.start()

    def pause(self) -> Pause | None:
        """Why background work waits now (a spent budget), or None."""
        provider = self.generation.providers.active_or_none()
        if provider is None:
            return None
        # A batch waiting to be submitted needs its whole cost at once, not one call's.
        next_cost = max(self.generation.price(provider), self.batch.waiting_cost())
        return self.generation.budget.pause(next_cost)

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
