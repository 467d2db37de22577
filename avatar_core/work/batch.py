"""Bulk defaults through the provider's batch API: half the price, results within a day.

The job's row is the unit of work: whoever holds its lease takes one step — submit the batch,
or poll it — and lets go until the next poll is due, so any replica may carry a batch on and a
restart mid-batch polls the stored batch instead of submitting a second one. Results are stored
as they come back (each under its agent's lock, like any default); items the batch did not draw
fall back to one normal call each.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from ..domain.agents import Agents
from ..domain.jobs import ClaimedItem, Jobs
from ..foundation.clock import utcnow
from ..foundation.errors import AvatarError, GenerationError, NotFound
from ..foundation.models import ItemStatus
from ..foundation.pricing import CallKind
from ..providers.base import BatchImageProvider, BatchItem, BatchStatus, GeneratedImage
from ..storage.schema import jobs
from .budget import BudgetSpent
from .bulk import BulkDefaults
from .generation import Generation
from .locks import AgentLocks
from .queue import Task

__all__ = ["BatchDefaults"]

log = logging.getLogger("avatar_core.work")


class BatchDefaults:
    """The work source for batch-mode default jobs."""

    def __init__(self, jobs: Jobs, agents: Agents, bulk: BulkDefaults, generation: Generation,
                 locks: AgentLocks, batches: Callable[[], BatchImageProvider], poll_s: float,
                 stopping: threading.Event) -> None:
        self.jobs = jobs
        self.agents = agents
        self.bulk = bulk
        self.generation = generation
        self.locks = locks
        self.batches = batches
        self.poll_s = poll_s
        self.stopping = stopping

    def claim(self, owner: str, lease_s: float, limit: int) -> list[Task]:
        return [Task(jobs, {"id": job_id}, lambda job_id=job_id: self._step(job_id))  # type: ignore[misc]
                for job_id in self.jobs.claim_batches(owner, lease_s, limit)]

    def waiting_cost(self) -> float:
        """What the batches not submitted yet will cost at batch price (0.0 with none).

        A batch is submitted whole or not at all, so background work is paused while this
        does not fit the day's budget, not merely while one normal call would not.
        """
        waiting = sum(len(self.jobs.batch_items(job_id)) for job_id in self.jobs.open_ids()
                      if self.jobs.batch_name(job_id) is None)
        provider = self.generation.providers.active_or_none() if waiting else None
        if provider is None:
            return 0.0
        return waiting * self.generation.price_of(provider, batch=True).usd

    def _step(self, job_id: int) -> None:
        later = utcnow() + timedelta(seconds=self.poll_s)
        submitted: str | None = None
        name: str | None = None
        try:
            provider = self.batches()
            name = self.jobs.batch_name(job_id)
            if name is None:
                submitted = self._submit(job_id, provider)
            else:
                status = provider.status(name)
                if status.done:
                    self._store(job_id, provider, status)
        except BudgetSpent:
            pass  # submitted once the budget allows; the job shows as paused meanwhile
        except AvatarError as exc:
            if name is not None and _transient(exc):
                # A submitted batch is billed whether we read it or not: a poll that failed
                # for a while (network, 503, 429) polls again rather than paying twice.
                log.info("Polling the batch of job %s failed (%s); polling again", job_id,
                         exc.detail[:80])
            else:  # the batch cannot be used: one call per item instead
                log.warning("Batch of job %s unusable (%s); falling back", job_id,
                            exc.detail[:80])
                for item in self.jobs.batch_items(job_id):
                    self.jobs.fall_back(item)
        self.jobs.step_done(job_id, later, submitted)
        self.bulk.kick()
        self.bulk.finish(job_id)

    def _submit(self, job_id: int, provider: BatchImageProvider) -> str | None:
        """Build every item's request and submit them as one batch; its name (None: none
        was left to draw)."""
        items = []
        for item in self.jobs.batch_items(job_id):
            agent = self.agents.by_id(item.agent_id)
            target = None if agent is None else self.bulk.target(agent, self.generation
                                                                 .providers.active())
            if agent is None or target is None:
                self.jobs.settle(item, ItemStatus.SKIPPED, message="nothing to draw any more")
                continue
            items.append(BatchItem(str(item.agent_id),
                                   self.generation.default_request(agent, target)))
        if not items:
            return None
        price = self.generation.price_of(self.generation.providers.active(), batch=True).usd
        self.generation.budget.check(len(items) * price)
        return provider.submit(items, display_name=f"agent-avatars-defaults-{job_id}")

    def _store(self, job_id: int, provider: BatchImageProvider, status: BatchStatus) -> None:
        """Keep every image the batch drew; everything else falls back to a normal call.

        When this process is stopping, the items not stored yet stay with the batch: Google
        keeps its results, so the next process reads them again instead of paying twice.
        """
        active = self.generation.providers.active()
        price = self.generation.price_of(active, batch=True).usd
        for item in self.jobs.batch_items(job_id):
            if self.stopping.is_set():
                return
            result = status.results.get(str(item.agent_id))
            if isinstance(result, GeneratedImage):
                self._keep(item, result, provider, price)
            else:
                self.jobs.fall_back(item)

    def _keep(self, item: ClaimedItem, image: GeneratedImage, provider: BatchImageProvider,
              price: float) -> None:
        try:
            with self.locks.hold(item.agent_id):
                agent = self.agents.by_id(item.agent_id)
                target = None if agent is None else self.bulk.target(
                    agent, self.generation.providers.active())
                if agent and target is None and self.bulk.drawn_for(item.job_id, agent):
                    self.jobs.settle(item, ItemStatus.DONE)  # kept and paid before a crash
                    return
                self.generation.budget.record(CallKind.DEFAULT, provider.name, provider.model,
                                              price)
                if agent is None or target is None:
                    self.jobs.settle(item, ItemStatus.SKIPPED,
                                     message="agent was deleted or has a custom avatar now")
                    return
                produced = self.generation.checked(image, background=True)
                self.generation.commit(item.agent_id, (provider.name, provider.model),
                                       self.generation.default_request(agent, target), produced,
                                       None, is_default=True, fingerprint=target.fingerprint)
        except NotFound:
            self.jobs.settle(item, ItemStatus.SKIPPED, message="agent was deleted")
            return
        except AvatarError:
            self.jobs.fall_back(item)  # an unusable image: drawn again by one normal call
            return
        self.jobs.settle(item, ItemStatus.DONE)


def _transient(exc: AvatarError) -> bool:
    """A failure that may pass by itself (rate limited, timeout, upstream error)."""
    return isinstance(exc, GenerationError) and exc.reason.retryable
