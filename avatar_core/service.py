"""AvatarService: every use case of the product, the one thing pages and the API call.

Invariants kept here:
- image files are written (atomically) before the row that names them is committed, and a file
  is deleted only when no row names it, both under one lock, so the database never points at a
  missing or half-written file;
- generations for one agent are serialised by a per-agent lock, so the agent always ends with
  one consistent current version.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from . import demo, urls
from .defaults import default_fingerprint, default_prompt
from .foundation import imaging
from .foundation.config import PROVIDER_CHOICES, Settings
from .foundation.errors import (
    BadRequest,
    Conflict,
    FailureReason,
    GenerationError,
    InvalidInput,
    NotFound,
)
from .foundation.keys import digest, seed_for
from .foundation.models import (
    AGENT_TYPES,
    Activity,
    ActivityKind,
    ActivityStatus,
    Agent,
    AvatarVersion,
    Emotion,
    EmotionSet,
    Job,
    validate_name,
)
from .foundation.prompts import TEMPLATE_VERSION, identity_prompt_text, variation_prompt
from .providers.base import ImageProvider, ImageRequest
from .providers.builtin import BuiltinProvider
from .retry import INTERACTIVE, RetryPolicy, call_with_retry
from .storage.blobs import LocalBlobStore
from .storage.schema import (
    activities,
    agents,
    avatar_versions,
    create_engine,
    emotion_variants,
    migrate,
    settings_kv,
    utcnow,
)
from .tokens import TokenStore

__all__ = ["MAX_PROMPT_CHARS", "AvatarService", "ImageFile"]

# Every column that names an image file; a file is in use while any of them names it.
_BLOB_COLUMNS = (
    avatar_versions.c.display_blob, avatar_versions.c.reference_blob, avatar_versions.c.style_blob,
    emotion_variants.c.display_blob, emotion_variants.c.reference_blob,
)

MAX_PROMPT_CHARS = 500
_SAVED_KEY = "gemini_api_key"
_SAVED_PROVIDER = "provider"


@dataclass(frozen=True)
class ImageFile:
    """Bytes to serve plus the digest that names them (ETag); ``key``, an emotion's stable key."""

    data: bytes
    digest: str
    media_type: str
    key: str | None = None


def validate_prompt(prompt: str | None) -> str:
    """1–500 characters after stripping; no control characters but newline and tab."""
    text = (prompt or "").strip()
    if not text:
        raise InvalidInput("The identity prompt is empty: describe the avatar in 1-500 characters")
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidInput(
            f"The identity prompt is {len(text)} characters; the limit is {MAX_PROMPT_CHARS}"
        )
    if any((ord(c) < 32 and c not in "\n\t") or ord(c) == 127 for c in text):
        raise InvalidInput("The identity prompt contains control characters")
    return text


class AvatarService:
    """Agents, avatars, versions, emotions, background work, tokens and saved settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = create_engine(settings.database_url)
        self.blobs = LocalBlobStore(settings.data_dir / "blobs")
        self.tokens = TokenStore(self.engine, settings.admin_token)
        self.builtin = BuiltinProvider()
        self.blob_lock = threading.RLock()
        self._locks_guard = threading.Lock()
        self._agent_locks: dict[int, threading.Lock] = {}
        self._started = False
        self._start_lock = threading.Lock()
        # Hot display images by agent name: the dashboard asks for them on every view.
        # Cleared on every write that can change which image is current.
        self._hot: dict[str, ImageFile] = {}
        self._generation = 0  # bumped on every change; a read that raced a change is not cached
        from .jobs import (
            BackgroundWork,  # jobs needs the service type; import here breaks the cycle
        )

        self.work = BackgroundWork(self)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, *, resume: bool = True) -> AvatarService:
        """Migrate, sweep crash leftovers, seed demo data, resume background work. Idempotent."""
        with self._start_lock:
            if self._started:
                return self
            migrate(self.engine)
            self.blobs.sweep_temp_files()
            self.collect_garbage()
            seeded = self._seed_demo() if self.settings.demo else False
            self._started = True
        if resume:
            self.work.resume()
            if seeded and self.active_provider().name == "builtin":
                self.work.start_defaults()
        return self

    def close(self) -> None:
        self.work.shutdown()
        self.engine.dispose()

    def _seed_demo(self) -> bool:
        with self.engine.begin() as conn:
            if conn.scalar(sa.select(sa.func.count()).select_from(agents)):
                return False
            now = utcnow()
            for item in demo.DEMO_AGENTS:
                conn.execute(agents.insert().values(
                    name=item.name, display_name=item.display_name, type=item.type,
                    description=item.description, avatar_prompt=item.avatar_prompt,
                    is_system=item.is_system, created_at=now))
            ids = dict(conn.execute(sa.select(agents.c.name, agents.c.id)).all())
            rows = demo.demo_activities(list(ids), now)
            if rows:
                conn.execute(activities.insert(), [
                    {"agent_id": ids[r["agent_name"]], "started_at": r["started_at"],
                     "ended_at": r["ended_at"], "kind": r["kind"], "status": r["status"],
                     "summary": r["summary"]} for r in rows])
        return True

    # --- agents ---------------------------------------------------------------------------

    def list_agents(self) -> list[Agent]:
        with self.engine.connect() as conn:
            rows = conn.execute(self._agent_query().order_by(agents.c.name)).all()
        return [self._agent(row) for row in rows]

    def get_agent(self, name: str) -> Agent:
        validate_name(name)
        with self.engine.connect() as conn:
            row = conn.execute(self._agent_query().where(agents.c.name == name)).first()
        if row is None:
            raise NotFound("Agent not found")
        return self._agent(row)

    def agent_by_id(self, agent_id: int) -> Agent | None:
        """The agent with this id, or None (it may have been deleted meanwhile)."""
        with self.engine.connect() as conn:
            row = conn.execute(self._agent_query().where(agents.c.id == agent_id)).first()
        return None if row is None else self._agent(row)

    def register_agent(self, name: str, display_name: str = "", type: str = "other",
                       description: str = "", avatar_prompt: str | None = None,
                       is_system: bool = False) -> Agent:
        validate_name(name)
        fields = self._agent_fields(display_name or name, type, description, avatar_prompt)
        with self.engine.begin() as conn:
            exists = conn.scalar(sa.select(agents.c.id).where(agents.c.name == name))
            if exists is not None:
                raise Conflict(f"An agent named {name!r} already exists")
            conn.execute(agents.insert().values(name=name, is_system=bool(is_system),
                                                created_at=utcnow(), **fields))
        return self.get_agent(name)

    def update_agent(self, name: str, *, new_name: str | None = None,
                     display_name: str | None = None, type: str | None = None,
                     description: str | None = None, avatar_prompt: str | None = None,
                     is_system: bool | None = None) -> Agent:
        """Edit or rename; avatars, history and emotion files follow (they hang off the id)."""
        current = self.get_agent(name)
        target = validate_name(new_name) if new_name is not None else current.name
        fields = self._agent_fields(
            current.display_name if display_name is None else display_name or target,
            current.type if type is None else type,
            current.description if description is None else description,
            current.avatar_prompt if avatar_prompt is None else avatar_prompt,
        )
        if is_system is not None:
            fields["is_system"] = bool(is_system)
        with self.engine.begin() as conn:
            if target != current.name and conn.scalar(
                    sa.select(agents.c.id).where(agents.c.name == target)) is not None:
                raise Conflict(f"An agent named {target!r} already exists")
            conn.execute(agents.update().where(agents.c.id == current.id)
                         .values(name=target, **fields))
        self._changed()
        return self.get_agent(target)

    def delete_agent(self, name: str) -> None:
        """Remove the agent, its activities, versions, emotions and every file only it used."""
        agent = self.get_agent(name)
        with self._agent_lock(agent.id), self.blob_lock:
            names = self._blob_names_of(agent.id)
            with self.engine.begin() as conn:
                conn.execute(emotion_variants.delete()
                             .where(emotion_variants.c.agent_id == agent.id))
                conn.execute(avatar_versions.delete().where(avatar_versions.c.agent_id == agent.id))
                conn.execute(activities.delete().where(activities.c.agent_id == agent.id))
                conn.execute(agents.delete().where(agents.c.id == agent.id))
            self._changed()
            self._delete_unreferenced(names)

    def _agent_fields(self, display_name: str, type: str, description: str,
                      avatar_prompt: str | None) -> dict[str, Any]:
        if type not in AGENT_TYPES:
            raise BadRequest(f"Unknown agent type {type!r}; use one of: {', '.join(AGENT_TYPES)}")
        display = (display_name or "").strip()
        if not display or len(display) > 200:
            raise BadRequest("Display name must be 1-200 characters")
        if len(description or "") > 2000:
            raise BadRequest("Description must be at most 2000 characters")
        prompt = (avatar_prompt or "").strip() or None
        if prompt is not None:
            prompt = validate_prompt(prompt)
        return {"display_name": display, "type": type, "description": (description or "").strip(),
                "avatar_prompt": prompt}

    def _agent_query(self) -> sa.Select[Any]:
        return sa.select(
            agents,
            avatar_versions.c.display_blob.label("current_blob"),
            avatar_versions.c.is_default.label("current_is_default"),
        ).select_from(agents.outerjoin(
            avatar_versions, avatar_versions.c.id == agents.c.current_version_id))

    @staticmethod
    def _agent(row: Any) -> Agent:
        blob = row.current_blob
        return Agent(
            id=row.id, name=row.name, display_name=row.display_name, type=row.type,
            description=row.description or "", avatar_prompt=row.avatar_prompt,
            is_system=bool(row.is_system), current_version_id=row.current_version_id,
            current_digest=blob.split(".")[0] if blob else None,
            is_default_avatar=bool(row.current_is_default) if blob else False,
        )

    # --- activities -----------------------------------------------------------------------

    def record_activity(self, name: str, *, started_at: datetime, ended_at: datetime | None,
                        kind: str, status: str, summary: str = "") -> Activity:
        agent = self.get_agent(name)
        _check_activity(started_at, ended_at, kind, status)
        with self.engine.begin() as conn:
            new_id = conn.execute(activities.insert().values(
                agent_id=agent.id, started_at=started_at, ended_at=ended_at, kind=kind,
                status=status, summary=(summary or "")[:500])).inserted_primary_key[0]
        return Activity(new_id, agent.name, started_at, ended_at, kind, status, summary or "")

    def record_activities(self, rows: Iterable[dict[str, Any]]) -> int:
        """Many activities in one transaction (imports, demo data); all are checked first."""
        with self.engine.connect() as conn:
            ids = dict(conn.execute(sa.select(agents.c.name, agents.c.id)).all())
        values = []
        for row in rows:
            if row["agent_name"] not in ids:
                raise NotFound(f"Agent not found: {row['agent_name']!r}")
            _check_activity(row["started_at"], row.get("ended_at"), row["kind"], row["status"])
            values.append({"agent_id": ids[row["agent_name"]], "started_at": row["started_at"],
                           "ended_at": row.get("ended_at"), "kind": row["kind"],
                           "status": row["status"], "summary": (row.get("summary") or "")[:500]})
        if values:
            with self.engine.begin() as conn:
                conn.execute(activities.insert(), values)
        return len(values)

    def activity_table(self, since: datetime | None = None) -> pd.DataFrame:
        """Like ``activity_rows`` but straight into a frame (UTC times), for the timeline.

        Times are read as text and parsed by pandas in one vectorised pass: 20 000 rows in
        tens of milliseconds instead of a Python object per cell.
        """
        query = sa.select(
            agents.c.name.label("agent_name"),
            sa.cast(activities.c.started_at, sa.String).label("started_at"),
            sa.cast(activities.c.ended_at, sa.String).label("ended_at"),
            activities.c.kind, activities.c.status, activities.c.summary,
        ).join(agents, agents.c.id == activities.c.agent_id)
        if since is not None:
            query = query.where(sa.or_(activities.c.ended_at.is_(None),
                                       activities.c.ended_at >= since.astimezone(UTC)
                                       .replace(tzinfo=None)))
        with self.engine.connect() as conn:
            result = conn.execute(query)
            columns = list(result.keys())
            # Plain tuples: pandas probes each SQLAlchemy Row for attributes, which is slow.
            frame = pd.DataFrame.from_records([tuple(row) for row in result], columns=columns)
        for column in ("started_at", "ended_at"):
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601"
                                           ).astype("datetime64[ns, UTC]")
        frame["summary"] = frame["summary"].fillna("")
        return frame

    def activity_rows(self, since: datetime | None = None) -> list[dict[str, Any]]:
        """Activities (optionally those still open or ending after ``since``) for the timeline."""
        query = sa.select(agents.c.name.label("agent_name"), activities.c.started_at,
                          activities.c.ended_at, activities.c.kind, activities.c.status,
                          activities.c.summary).join(agents, agents.c.id == activities.c.agent_id)
        if since is not None:
            query = query.where(sa.or_(activities.c.ended_at.is_(None),
                                       activities.c.ended_at >= since))
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # --- generation -----------------------------------------------------------------------

    def active_provider(self) -> ImageProvider:
        """Gemini when chosen (or auto with a key), else the built-in renderer."""
        choice = self.provider_choice()
        key = self.gemini_key()
        if choice == "builtin" or (choice == "auto" and not key):
            return self.builtin
        if not key:
            raise GenerationError(FailureReason.NOT_CONFIGURED,
                                  "The Gemini provider is selected but no API key is configured")
        return self.gemini(key)

    def gemini(self, key: str) -> ImageProvider:
        from .providers.gemini import GeminiProvider

        return GeminiProvider(key, model=self.settings.gemini_model,
                              timeout_s=self.settings.gemini_timeout_s,
                              base_url=self.settings.gemini_base_url)

    def provider_for(self, version: AvatarVersion) -> ImageProvider:
        """The provider that made ``version`` (its emotions must match it), if usable now."""
        if version.provider == self.builtin.name:
            return self.builtin
        key = self.gemini_key()
        if not key:
            raise GenerationError(FailureReason.NOT_CONFIGURED,
                                  "This avatar was made with Gemini but no API key is configured")
        return self.gemini(key)

    def generate(self, name: str, identity_prompt: str, reference: bytes | None = None,
                 *, policy: RetryPolicy = INTERACTIVE) -> AvatarVersion:
        """A new avatar from a prompt and an optional uploaded reference image."""
        prompt = validate_prompt(identity_prompt)
        agent = self.get_agent(name)
        style = imaging.validate_upload(reference) if reference is not None else None
        provider = self.active_provider()
        request = ImageRequest(
            kind="identity", agent_name=agent.name, identity_prompt=prompt,
            prompt=identity_prompt_text(prompt), reference=style, style_image=style,
            seed=seed_for(agent.name, prompt, digest(style) if style is not None else ""))
        with self._agent_lock(agent.id):
            ref_png, webp = self.produce(provider, request, policy)
            return self.commit_version(agent.id, provider, request, ref_png, webp, style)

    def regenerate(self, name: str, *, policy: RetryPolicy = INTERACTIVE) -> AvatarVersion:
        """A fresh variation of the current avatar, from its reference image."""
        agent = self.get_agent(name)
        with self._agent_lock(agent.id):
            current = self.current_version_of(agent.id)
            if current is None:
                raise NotFound("This agent has no avatar to vary; generate one first")
            provider = self.active_provider()
            style = self.blobs.read(current.style_blob) if current.style_blob else None
            request = ImageRequest(
                kind="variation", agent_name=agent.name,
                identity_prompt=current.identity_prompt,
                prompt=variation_prompt(current.identity_prompt),
                reference=self.blobs.read(current.reference_blob), style_image=style,
                seed=secrets.randbits(62))
            ref_png, webp = self.produce(provider, request, policy)
            return self.commit_version(agent.id, provider, request, ref_png, webp, style)

    def produce(self, provider: ImageProvider, request: ImageRequest, policy: RetryPolicy,
                run: Callable[[Callable[[], Any]], Any] | None = None) -> tuple[bytes, bytes]:
        """Call the provider under a retry policy; return (reference PNG, display WebP)."""
        def attempt() -> Any:
            return provider.generate(request) if run is None else run(
                lambda: provider.generate(request))

        image = call_with_retry(attempt, policy)
        return imaging.provider_outputs(image.data)

    def commit_version(self, agent_id: int, provider: ImageProvider, request: ImageRequest,
                       reference: bytes, display: bytes, style: bytes | None, *,
                       is_default: bool = False, fingerprint: str | None = None,
                       schedule_emotions: bool = True) -> AvatarVersion:
        """Write the files, then in one transaction add the version and make it current."""
        with self.blob_lock:
            ref_name = self.blobs.put(reference, "png")
            display_name = self.blobs.put(display, "webp")
            style_name = self.blobs.put(style, "png") if style is not None else None
            try:
                version_id = self._insert_version(agent_id, provider, request, ref_name,
                                                  display_name, style_name, is_default,
                                                  fingerprint)
            except BaseException:
                # e.g. the agent was deleted while we generated: leave no orphan files behind
                self._delete_unreferenced(n for n in (ref_name, display_name, style_name) if n)
                raise
            self._changed()
        if schedule_emotions:
            self.work.ensure_emotions(agent_id)
        return self.version(agent_id, version_id)

    def _insert_version(self, agent_id: int, provider: ImageProvider, request: ImageRequest,
                        ref_name: str, display_name: str, style_name: str | None,
                        is_default: bool, fingerprint: str | None) -> int:
        with self.engine.begin() as conn:
                if conn.scalar(sa.select(agents.c.id).where(agents.c.id == agent_id)) is None:
                    raise NotFound("Agent not found")
                version_id = conn.execute(avatar_versions.insert().values(
                    agent_id=agent_id, identity_prompt=request.identity_prompt,
                    provider=provider.name, model=provider.model, display_blob=display_name,
                    reference_blob=ref_name, style_blob=style_name, seed=request.seed,
                    is_default=is_default, default_fingerprint=fingerprint,
                    template_version=TEMPLATE_VERSION, created_at=utcnow(),
                )).inserted_primary_key[0]
                conn.execute(agents.update().where(agents.c.id == agent_id)
                             .values(current_version_id=version_id))
        return int(version_id)

    def remove_avatar(self, name: str) -> bool:
        """Drop the current avatar (history stays restorable); False if there was none."""
        agent = self.get_agent(name)
        with self._agent_lock(agent.id), self.engine.begin() as conn:
            if agent.current_version_id is None:
                return False
            conn.execute(agents.update().where(agents.c.id == agent.id)
                         .values(current_version_id=None))
        self._changed()
        return True

    def versions(self, name: str) -> list[AvatarVersion]:
        agent = self.get_agent(name)
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(avatar_versions)
                                .where(avatar_versions.c.agent_id == agent.id)
                                .order_by(avatar_versions.c.id.desc())).all()
        return [self._version(row, agent.current_version_id) for row in rows]

    def restore(self, name: str, version_id: int) -> AvatarVersion:
        agent = self.get_agent(name)
        with self._agent_lock(agent.id):
            with self.engine.begin() as conn:
                found = conn.scalar(sa.select(avatar_versions.c.id).where(
                    avatar_versions.c.id == version_id, avatar_versions.c.agent_id == agent.id))
                if found is None:
                    raise NotFound("Version not found")
                conn.execute(agents.update().where(agents.c.id == agent.id)
                             .values(current_version_id=version_id))
            self._changed()
            self.work.ensure_emotions(agent.id)
            return self.version(agent.id, version_id)

    def version(self, agent_id: int, version_id: int) -> AvatarVersion:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(avatar_versions).where(
                avatar_versions.c.id == version_id)).first()
            current = conn.scalar(sa.select(agents.c.current_version_id)
                                  .where(agents.c.id == agent_id))
        if row is None:
            raise NotFound("Version not found")
        return self._version(row, current)

    def current_version(self, name: str) -> AvatarVersion | None:
        return self.current_version_of(self.get_agent(name).id)

    def current_version_of(self, agent_id: int) -> AvatarVersion | None:
        """The agent's current version as of now (one query; None without an avatar)."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(avatar_versions).join(
                agents, agents.c.current_version_id == avatar_versions.c.id)
                .where(agents.c.id == agent_id)).first()
        return None if row is None else self._version(row, row.id)

    @staticmethod
    def _version(row: Any, current_id: int | None) -> AvatarVersion:
        return AvatarVersion(
            id=row.id, agent_id=row.agent_id, identity_prompt=row.identity_prompt,
            provider=row.provider, model=row.model, display_blob=row.display_blob,
            reference_blob=row.reference_blob, style_blob=row.style_blob, seed=row.seed,
            is_default=bool(row.is_default), template_version=row.template_version,
            created_at=row.created_at, current=row.id == current_id)

    def identity(self, name: str) -> dict[str, Any]:
        agent = self.get_agent(name)
        version = self.current_version_of(agent.id)
        return {
            "agent_name": agent.name,
            "identity_prompt": version.identity_prompt if version else None,
            "updated_at": version.created_at.isoformat() if version else None,
            "has_avatar": version is not None,
            "has_reference": version is not None,
            "is_default": bool(version and version.is_default),
        }

    # --- images ---------------------------------------------------------------------------

    def avatar_image(self, name: str) -> ImageFile:
        hot = self._hot.get(name)
        if hot is not None:
            return hot
        seen = self._generation
        version = self.current_version(name)
        if version is None:
            raise NotFound("This agent has no avatar")
        found = self._file(version.display_blob)
        if len(self._hot) > 2000:
            self._hot.clear()
        if seen == self._generation:
            self._hot[name] = found
        return found

    def cached_avatar(self, name: str) -> ImageFile | None:
        """The hot display image, if this process has served it since the last change."""
        return self._hot.get(name)

    def _changed(self) -> None:
        self._generation += 1
        self._hot.clear()

    def reference_image(self, name: str) -> ImageFile:
        version = self.current_version(name)
        if version is None:
            raise NotFound("This agent has no avatar")
        return self._file(version.reference_blob)

    def emotions(self, name: str) -> EmotionSet:
        return self.work.emotion_set(self.get_agent(name))

    def emotion_image(self, name: str, emotion: str) -> ImageFile:
        if emotion not in {e.value for e in Emotion}:
            raise BadRequest(f"Unknown emotion {emotion!r}; use one of: "
                             f"{', '.join(e.value for e in Emotion)}")
        found = self.emotions(name)
        if emotion not in found.emotions:
            raise NotFound(f"The {emotion} variant is not available (yet)")
        return replace(self._file(found.blobs[emotion]), key=found.keys[emotion])

    def _file(self, blob: str) -> ImageFile:
        try:
            data = self.blobs.read(blob)
        except FileNotFoundError:
            raise NotFound("Image file not found") from None
        media = "image/webp" if blob.endswith(".webp") else "image/png"
        return ImageFile(data=data, digest=blob.split(".")[0], media_type=media)

    @staticmethod
    def avatar_url(agent: Agent) -> str | None:
        """Versioned URL: the digest changes with the image, so it may be cached forever."""
        return urls.avatar_url(agent)

    # --- background work (delegated) ------------------------------------------------------

    def generate_defaults(self, progress: Callable[[Job], None] | None = None,
                          wait: bool = False) -> Job:
        job = self.work.start_defaults(progress=progress)
        return self.work.wait(job.id) if wait else job

    def job(self, job_id: int) -> Job:
        return self.work.job(job_id)

    def latest_defaults_job(self) -> Job | None:
        return self.work.latest_job("defaults")

    def default_target(self, agent: Agent, provider: ImageProvider) -> tuple[str, str] | None:
        """(prompt, fingerprint) when ``agent`` should get a default, None when it must be left."""
        prompt = default_prompt(agent.name, agent.display_name, agent.description,
                                agent.avatar_prompt, agent.type)
        fingerprint = default_fingerprint(prompt, provider.name, provider.model)
        if agent.current_version_id is None:
            return prompt, fingerprint
        if not agent.is_default_avatar:
            return None  # custom avatars are never touched
        with self.engine.connect() as conn:
            stored = conn.scalar(sa.select(avatar_versions.c.default_fingerprint)
                                 .where(avatar_versions.c.id == agent.current_version_id))
        return None if stored == fingerprint else (prompt, fingerprint)

    # --- saved settings -------------------------------------------------------------------

    def _setting(self, name: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(settings_kv.c.value).where(settings_kv.c.name == name))

    def _set_setting(self, name: str, value: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(settings_kv.delete().where(settings_kv.c.name == name))
            if value is not None:
                conn.execute(settings_kv.insert().values(name=name, value=value))

    def gemini_key(self) -> str | None:
        """The key saved in Settings, else GEMINI_API_KEY / GOOGLE_API_KEY."""
        return self._setting(_SAVED_KEY) or self.settings.gemini_api_key

    def key_source(self) -> str | None:
        if self._setting(_SAVED_KEY):
            return "saved in Settings"
        return "environment" if self.settings.gemini_api_key else None

    def masked_key(self) -> str | None:
        key = self.gemini_key()
        return None if not key else f"{'•' * 8}{key[-4:]}" if len(key) > 8 else "•" * 8

    def save_gemini_key(self, key: str) -> None:
        key = (key or "").strip()
        if not key or len(key) > 200 or any(c.isspace() for c in key):
            raise InvalidInput("That does not look like an API key (no spaces, 1-200 characters)")
        self._set_setting(_SAVED_KEY, key)

    def remove_gemini_key(self) -> None:
        self._set_setting(_SAVED_KEY, None)

    def test_gemini_key(self) -> tuple[bool, str]:
        """One real, tiny generation; returns (ok, message naming the failure reason)."""
        key = self.gemini_key()
        if not key:
            reason = FailureReason.NOT_CONFIGURED
            return False, f"{reason.value}: no key configured. {reason.hint}"
        request = ImageRequest(kind="identity", agent_name="key-test",
                               identity_prompt="a small friendly robot",
                               prompt=identity_prompt_text("a small friendly robot"), seed=1)
        try:
            self.produce(self.gemini(key), request, INTERACTIVE)
        except GenerationError as exc:
            return False, f"{exc.reason.value}: {exc.detail}. {exc.reason.hint}"
        return True, "The key works: Gemini returned an image."

    def provider_choice(self) -> str:
        saved = self._setting(_SAVED_PROVIDER)
        return saved if saved in PROVIDER_CHOICES else self.settings.provider

    def set_provider_choice(self, choice: str) -> None:
        if choice not in PROVIDER_CHOICES:
            raise BadRequest(f"Provider must be one of {', '.join(PROVIDER_CHOICES)}")
        self._set_setting(_SAVED_PROVIDER, choice)

    def active_provider_label(self) -> str:
        try:
            provider = self.active_provider()
        except GenerationError as exc:
            return f"none ({exc.reason.value})"
        return f"{provider.name} ({provider.model})"

    # --- files and locks ------------------------------------------------------------------

    def _agent_lock(self, agent_id: int) -> threading.Lock:
        with self._locks_guard:
            return self._agent_locks.setdefault(agent_id, threading.Lock())

    def _blob_names(self, *, agent_id: int | None = None,
                    among: Iterable[str] | None = None) -> set[str]:
        """Blob names rows refer to: all, one agent's, or those of ``among`` still in use."""
        wanted = None if among is None else list(among)
        names: set[str] = set()
        with self.engine.connect() as conn:
            for column in _BLOB_COLUMNS:
                query = sa.select(column).distinct().where(column.is_not(None))
                if agent_id is not None:
                    query = query.where(column.table.c.agent_id == agent_id)
                if wanted is not None:
                    query = query.where(column.in_(wanted))
                names.update(conn.scalars(query))
        return names

    def _blob_names_of(self, agent_id: int) -> set[str]:
        return self._blob_names(agent_id=agent_id)

    def referenced_blobs(self) -> set[str]:
        return self._blob_names()

    def _delete_unreferenced(self, candidates: Iterable[str]) -> None:
        """Delete files no row names any more (caller holds ``blob_lock``)."""
        candidates = set(candidates)
        for name in candidates - self._blob_names(among=candidates):
            self.blobs.delete(name)

    def collect_garbage(self) -> int:
        """Remove files no row names (left by a crash between file write and commit)."""
        with self.blob_lock:
            referenced = self.referenced_blobs()
            orphans = [n for n in self.blobs.names() if n not in referenced]
            for name in orphans:
                self.blobs.delete(name)
        return len(orphans)


def _check_activity(started_at: datetime, ended_at: datetime | None, kind: str,
                    status: str) -> None:
    if kind not in set(ActivityKind):
        raise BadRequest(f"Unknown activity kind {kind!r}; use one of: "
                         f"{', '.join(k.value for k in ActivityKind)}")
    if status not in set(ActivityStatus):
        raise BadRequest(f"Unknown activity status {status!r}; use one of: "
                         f"{', '.join(s.value for s in ActivityStatus)}")
    if ended_at is not None and ended_at < started_at:
        raise BadRequest("ended_at is before started_at")
    if (ended_at is None) != (status == ActivityStatus.RUNNING):
        raise BadRequest("A running activity has no ended_at; a finished one needs it")

