"""AvatarService: the composition root, and the one thing pages and the API call.

It builds the parts once — storage, domain parts, providers, generation, background work — and
offers every use case of the product as a short method over them, so a reader finds what the
product can do here, and how each is done one level down. Nothing below imports this module.

Invariants kept by the parts it wires:
- blobs are written before the row that names them and deleted only when no row names them
  (``storage.images``);
- one generation per agent at a time (``work.locks``), so an agent always ends with one
  consistent current version;
- background work is rows claimed with leases (``work.queue``), so it resumes after a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from .domain import demo
from .domain.activities import Activities, ActivityFeed
from .domain.agents import Agents
from .domain.current_images import CurrentImages, check_emotion
from .domain.emotions import EMOTIONS, EmotionVariants
from .domain.jobs import Jobs
from .domain.tokens import TokenStore
from .domain.versions import AvatarVersions
from .foundation import imaging
from .foundation.clock import utcnow
from .foundation.config import Settings
from .foundation.models import (
    Activity,
    AvatarVersion,
    Emotion,
    EmotionSet,
    ImageFile,
    ItemStatus,
    Job,
    JobKind,
    ProviderName,
)
from .storage.cluster import ClusterLock, LockSpace, Replicas, process_owner
from .storage.database import create_engine, is_sqlite
from .storage.images import ImageFiles
from .storage.migrations import migrate
from .storage.saved_settings import SavedSettings
from .storage.secret_box import SecretBox
from .storage.stores import open_blob_store
from .work.agent_import import ImportCost, ImportResult
from .work.background import BackgroundWork
from .work.budget import Budget
from .work.bulk import ProgressCallback
from .work.bundle import import_file, pictures_to_install
from .work.emotions import NO_PICTURE_EMOTIONS
from .work.generation import Generation
from .work.job_control import JobControl
from .work.locks import AgentLocks
from .work.providers import Providers
from .work.serving import ImageServing

__all__ = ["GC_GRACE_S", "AvatarService"]

GC_GRACE_S = 3600.0
"""With several replicas, an unnamed blob younger than this may belong to a commit in flight
elsewhere: start-up garbage collection leaves it for a later start."""


class AvatarService:
    """Agents, avatars, versions, emotions, background work, tokens and saved settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url, settings.concurrency)
        self.single_node = is_sqlite(self.engine)
        self.owner = process_owner()
        self.cluster = ClusterLock(self.engine)
        self.blobs = open_blob_store(settings)
        self.files = ImageFiles(self.engine, self.blobs)
        self.agents = Agents(self.engine)
        self.activities = Activities(self.engine)
        self.history = AvatarVersions(self.engine)
        self.variants = EmotionVariants(self.engine)
        self.jobs = Jobs(self.engine)
        self.tokens = TokenStore(self.engine, settings.admin_token)
        saved = SavedSettings(self.engine)
        self.providers = Providers(settings, saved,
                                        SecretBox(settings.secret_key, settings.data_dir))
        self.images = CurrentImages(self.agents, self.history, self.variants, self.files,
                                    None if self.single_node else Replicas(self.engine, self.owner))
        self.locks = AgentLocks(self.cluster)
        self.budget = Budget(self.engine, settings, saved)
        self.serving = ImageServing(self.images, self.files, lambda: self.work.worker.kick())
        self.generation = Generation(self.providers, self.files, self.history, self.locks,
                                     self.budget, self.serving)
        self.work = BackgroundWork(settings, self.agents, self.history, self.variants,
                                   self.jobs, self.files, self.generation, self.locks, self.owner)
        self.job_control = JobControl(self.jobs, self.work)  # list, cancel, paused
        self._started = False
        self._start_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, *, resume: bool = True) -> AvatarService:
        """Migrate, sweep crash leftovers, seed demo data, resume background work. Idempotent.

        ``resume=False`` runs no background work in this process (benchmarks, inspection).
        """
        with self._start_lock:
            if self._started:
                return self
            # One replica migrates, sweeps and seeds while any other starting at once waits.
            with self.cluster.hold(LockSpace.MIGRATE):
                migrate(self.engine)
                self.providers.seal_saved_key()
                self.blobs.sweep_temp_files()
                self.files.collect_garbage(0.0 if self.single_node else GC_GRACE_S)
                seeded = self._seed_demo() if self.settings.demo else False
            self.images.follow()
            self._started = True
        if resume:
            self.work.resume()
            if seeded and self.providers.active().name == ProviderName.BUILTIN:
                self.work.bulk.start()
        return self

    def close(self) -> None:
        self.work.shutdown()
        self.images.stop()
        self.cluster.close()
        self.engine.dispose()

    def _seed_demo(self) -> bool:
        if self.agents.count():
            return False
        for item in demo.DEMO_AGENTS:
            self.agents.register(item.name, item.display_name, item.type, item.description,
                                 item.avatar_prompt, item.is_system)
        ids = self.agents.ids_by_name()
        self.activities.record_many(demo.demo_activities(list(ids), utcnow()), ids)
        return True

    # --- agents ---------------------------------------------------------------------------

    def delete_agent(self, name: str) -> None:
        """Remove the agent, its activities, versions, emotions and every blob only it used."""
        agent = self.agents.get(name)
        with self.locks.hold(agent.id), self.files.lock:
            names = self.files.referenced(agent_id=agent.id)
            self.agents.delete(agent.id)
            self.files.delete_unreferenced(names)

    def import_agents(self, filename: str, data: bytes) -> ImportResult:
        """Register the agents of a CSV/JSON file, or a zip of one with a picture per agent
        (each becomes that agent's default avatar); refused rows are reported, not fatal.
        The answer counts and prices the emotion calls the pictures queued."""
        price = self.work.emotions.picture_price()
        installed: list[str] = []

        def install(name: str, picture: bytes) -> None:
            self.install_picture(name, picture, is_default=True)
            installed.append(name)

        result = import_file(self.agents, install, filename, data)
        queued = len(installed) * len(EMOTIONS) if price else 0
        return replace(result, emotions_queued=queued,
                       estimated_usd=round(len(installed) * price, 4))

    def import_cost(self, filename: str, data: bytes) -> ImportCost:
        """What importing this file would spend on emotion calls, before importing it."""
        pictures, price = pictures_to_install(filename, data), self.work.emotions.picture_price()
        return ImportCost(pictures, pictures * len(EMOTIONS) if price else 0,
                          round(pictures * price, 4))

    # --- activities -----------------------------------------------------------------------

    def record_activity(self, name: str, *, started_at: datetime, ended_at: datetime | None,
                        kind: str, status: str, summary: str = "") -> Activity:
        return self.activities.record(self.agents.get(name), started_at=started_at,
                                      ended_at=ended_at, kind=kind, status=status,
                                      summary=summary)

    def record_activities(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Many activities in one transaction; every row is checked before any is written."""
        return self.activities.record_many(rows, self.agents.ids_by_name())

    def delete_activities(self, name: str, before: datetime | None = None) -> int:
        return self.activities.delete(self.agents.get(name), before)

    # --- avatars --------------------------------------------------------------------------

    def install_picture(self, name: str, data: bytes, *, is_default: bool = False) -> AvatarVersion:
        """A picture as the avatar itself (a new version); emotions follow where possible."""
        version = self.generation.install_picture(self.agents.get(name), data,
                                                  is_default=is_default)
        self.work.ensure_emotions(version.agent_id)
        return version

    def preview_upload(self, data: bytes) -> bytes:
        """An upload checked like any other and shrunk for a preview (PNG, at most 320 px)."""
        return imaging.preview_png(imaging.validate_upload(data))

    def generate(self, name: str, identity_prompt: str,
                 reference: bytes | None = None) -> AvatarVersion:
        """A new avatar from a prompt and an optional reference image; emotions follow."""
        version = self.generation.generate(self.agents.get(name), identity_prompt, reference)
        self.work.ensure_emotions(version.agent_id)
        return version

    def regenerate(self, name: str) -> AvatarVersion:
        """A fresh variation of the current avatar; emotions follow."""
        version = self.generation.vary(self.agents.get(name))
        self.work.ensure_emotions(version.agent_id)
        return version

    def restore(self, name: str, version_id: int) -> AvatarVersion:
        agent = self.agents.get(name)
        with self.locks.hold(agent.id):
            self.history.set_current(agent.id, version_id)
        self.work.ensure_emotions(agent.id)
        return self.history.get(agent.id, version_id)

    def remove_avatar(self, name: str) -> bool:
        """Drop the current avatar (history stays restorable); False if there was none."""
        agent = self.agents.get(name)
        with self.locks.hold(agent.id):
            current = self.history.current_of(agent.id)
            if current is None:
                return False
            self.history.set_current(agent.id, None)
        return True

    def versions(self, name: str) -> list[AvatarVersion]:
        """Every avatar the agent has had, newest first, the current one marked."""
        agent = self.agents.get(name)
        return self.history.of_agent(agent.id, agent.current_version_id)

    def current_version(self, name: str) -> AvatarVersion | None:
        return self.history.current_of(self.agents.get(name).id)

    # --- images ---------------------------------------------------------------------------

    def version_image(self, name: str, version_id: int) -> ImageFile:
        """The display image of one version of the history (thumbnails, restore previews)."""
        agent = self.agents.get(name)
        return self.files.file(self.history.get(agent.id, version_id).display_blob)

    def emotions(self, name: str) -> EmotionSet:
        """The current avatar's variants: ready, pending, failed — or why there are none."""
        found = self.images.emotions(name)
        version = self.current_version(name)
        if version is not None and not self.work.emotions.drawable(version):
            return replace(found, pending=[], unavailable=NO_PICTURE_EMOTIONS)
        return found

    def retry_emotion(self, name: str, emotion: str) -> bool:
        """Draw a failed emotion variant again; False if that variant had not failed."""
        agent = self.agents.get(name)
        retried = self.work.emotions.retry(agent.id, Emotion(check_emotion(emotion)))
        if retried:
            self.work.worker.kick()
        return retried

    # --- bulk defaults --------------------------------------------------------------------

    def generate_defaults(self, progress: ProgressCallback | None = None,
                          wait: bool = False, timeout: float | None = None, *,
                          batch: bool = False) -> Job:
        """Give every agent without a custom avatar a default (``batch``: via the batch API)."""
        job = self.work.bulk.start(progress=progress, batch=batch)
        return self.job_control.reported(self.work.wait(job.id, timeout) if wait else job)

    def defaulted_agents(self, job_id: int) -> list[str]:
        """Names of the agents that job ``job_id`` gave a default avatar."""
        return self.jobs.agent_names(job_id, ItemStatus.DONE)

    def latest_defaults_job(self) -> Job | None:
        return self.job_control.latest(JobKind.DEFAULTS)

    # --- budget ---------------------------------------------------------------------------

    def set_daily_budget(self, usd: float | None) -> None:
        self.budget.set_limit(usd)
        self.work.budget_changed()  # a raised budget resumes paused work at once

    # --- pages ----------------------------------------------------------------------------

    def activity_feed(self, horizon: timedelta) -> ActivityFeed:
        """A trailing ``horizon`` of activity kept in memory, read incrementally (dashboards)."""
        return ActivityFeed(self.activities, horizon)
