"""Bulk defaults through the provider's batch API: half the price, results within a day.

The job's row is the unit of work: whoever holds its lease takes one step — submit the batch,
or poll it — and lets go until the next poll is due, so any replica may carry a batch on and a
restart mid-batch polls the stored batch instead of submitting a second one. Results are stored
as they come back (each under its agent's lock, like any default); items the batch did not draw
fall back to one normal call each (and their share of the batch's cost is credited back).

Money: a batch reserves its whole cost at submit, or waits alone until the budget has room for
it (one too large for any day is cut to what fits, the rest drawn one by one). It is looked up
by its display name before a submit and after a lost answer, so a timeout or a crash between
submit and storing the name never pays for a second batch; a key that is missing for a while
pauses it instead of abandoning it.
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
from .budget import BudgetSpent, Pause
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
        """What the batches not submitted yet will cost at batch price (0.0 with none)."""
        return sum(self.cost_of(job_id) for job_id in self.jobs.open_ids()
                   if self.jobs.batch_name(job_id) is None)

    def cost_of(self, job_id: int) -> float:
        """What job ``job_id``'s batch will cost at batch price (its items left to the batch)."""
        waiting = len(self.jobs.batch_items(job_id))
        provider = self.generation.providers.active_or_none() if waiting else None
        if provider is None:
            return 0.0
        return waiting * self.generation.price_of(provider, batch=True).usd

    def pause(self, job_id: int) -> Pause | None:
        """Why job ``job_id``'s batch is not submitted yet (no key, or the budget), or None.

        A batch is submitted whole: it waits alone for a budget with room for all of it,
        while every other background item that fits goes on.
        """
        try:
            self.batches()
        except AvatarError as exc:
            return Pause(f"The batch waits for its provider: {exc.detail}",
                         utcnow() + timedelta(seconds=self.poll_s))
        if self.jobs.batch_name(job_id) is not None:
            return None  # submitted and paid: it is Google's turn
        return self.generation.budget.pause(self.cost_of(job_id))

    def wake_if_fits(self) -> None:
        """Batches waiting for the budget become due at once when it has room for them
        (raised, a new day, spend aged): their next step submits them."""
        for job_id in self.jobs.waiting_batches():
            if self.generation.budget.pause(self.cost_of(job_id)) is None:
                self.jobs.due_now(job_id)

    def _step(self, job_id: int) -> None:
        later = utcnow() + timedelta(seconds=self.poll_s)
        submitted: str | None = None
        name = self.jobs.batch_name(job_id)
        try:
            provider = self.batches()
        except AvatarError as exc:
            provider = None
            self._without_provider(job_id, name, exc)
        try:
            if provider is not None and name is None:
                submitted = self._submit(job_id, provider)
            elif provider is not None and name is not None:
                status = provider.status(name)
                if status.done:
                    self._store(job_id, provider, status)
        except BudgetSpent as spent:
            later = spent.resumes_at  # waits alone; ``wake_if_fits`` brings it forward
        except AvatarError as exc:
            self._failed(job_id, name, exc)
        self.jobs.step_done(job_id, later, submitted)
        self.bulk.kick()
        self.bulk.finish(job_id)

    def _without_provider(self, job_id: int, name: str | None, exc: AvatarError) -> None:
        """No batch provider now: a missing or unreadable key pauses the batch (it may be
        paid already); a batch not submitted yet under the built-in renderer falls back."""
        active = self.generation.providers.active_or_none()
        if name is None and active is not None and active.name != "gemini":
            log.info("Job %s: the batch provider is gone; drawing its items one by one", job_id)
            for item in self.jobs.batch_items(job_id):
                self.jobs.fall_back(item)
            return
        log.info("The batch of job %s waits for its provider (%s)", job_id, exc.detail[:80])

    def _failed(self, job_id: int, name: str | None, exc: AvatarError) -> None:
        if name is not None and _transient(exc):
            # A submitted batch is billed whether we read it or not: a poll that failed
            # for a while (network, 503, 429) polls again rather than paying twice.
            log.info("Polling the batch of job %s failed (%s); polling again", job_id,
                     exc.detail[:80])
            return
        log.warning("Batch of job %s unusable (%s); falling back", job_id, exc.detail[:80])
        self._fall_back_all(job_id, credit=name is not None)

    def _fall_back_all(self, job_id: int, *, credit: bool) -> None:
        """Every item left to the batch to one normal call each; ``credit``: the batch's
        reservation is given back for them (the batch drew none of them)."""
        for item in self.jobs.batch_items(job_id):
            if credit:
                self._credit()
            self.jobs.fall_back(item)

    def _submit(self, job_id: int, provider: BatchImageProvider) -> str | None:
        """Submit every item as one batch and reserve its whole cost; its name (None: none
        was left to draw). A batch created before (a lost answer, a crash) is found again."""
        display_name = f"agent-avatars-defaults-{job_id}"
        found = provider.find(display_name)
        if found is not None:
            log.info("Job %s: found its batch %s again; not submitting twice", job_id, found)
            return found
        items = self._requests(job_id)
        if not items:
            return None
        active = self.generation.providers.active()
        price = self.generation.price_of(active, batch=True).usd
        items = self._split(job_id, items, price)
        with self.generation.budget.spending(CallKind.DEFAULT, provider.name, provider.model,
                                             len(items) * price):
            try:
                return provider.submit(items, display_name=display_name)
            except GenerationError as exc:
                found = provider.find(display_name) if exc.reason.retryable else None
                if found is None:
                    raise
                return found  # created, but its answer was lost (e.g. a timeout)

    def _requests(self, job_id: int) -> list[BatchItem]:
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
        return items

    def _split(self, job_id: int, items: list[BatchItem], price: float) -> list[BatchItem]:
        """A batch that no day's budget could pay for whole is cut to what fits now; the rest
        are drawn one by one (each within the budget). One that fits a whole day waits."""
        limit = self.generation.budget.limit()
        if limit is None or price <= 0 or len(items) * price <= limit:
            return items
        left = limit - self.generation.budget.summary().spent_today
        fits = max(1, int(left / price + 1e-9))
        for item in items[fits:]:
            self.jobs.fall_back(ClaimedItem(job_id, int(item.key)))
        log.info("Job %s: the batch is larger than a day's budget; %d items go in it, %d are "
                 "drawn one by one", job_id, len(items[:fits]), len(items) - fits)
        return items[:fits]

    def _credit(self) -> None:
        """An item the batch did not draw: its share of the batch's reservation back."""
        provider = self.generation.providers.active_or_none()
        if provider is not None:
            self.generation.budget.record(CallKind.DEFAULT, provider.name, provider.model,
                                          -self.generation.price_of(provider, batch=True).usd)

    def _store(self, job_id: int, provider: BatchImageProvider, status: BatchStatus) -> None:
        """Keep every image the batch drew; everything else falls back to a normal call.

        When this process is stopping, the items not stored yet stay with the batch: Google
        keeps its results, so the next process reads them again instead of paying twice.
        """
        for item in self.jobs.batch_items(job_id):
            if self.stopping.is_set():
                return
            result = status.results.get(str(item.agent_id))
            if isinstance(result, GeneratedImage):
                self._keep(item, result, provider)
            else:  # not drawn (failed, or the batch ended without results): not billed
                self._credit()
                self.jobs.fall_back(item)

    def _keep(self, item: ClaimedItem, image: GeneratedImage,
              provider: BatchImageProvider) -> None:
        """Store one drawn image (paid with the batch's reservation at submit)."""
        try:
            with self.locks.hold(item.agent_id):
                agent = self.agents.by_id(item.agent_id)
                target = None if agent is None else self.bulk.target(
                    agent, self.generation.providers.active())
                if agent and target is None and self.bulk.drawn_for(item.job_id, agent):
                    self.jobs.settle(item, ItemStatus.DONE)  # kept and paid before a crash
                    return
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
