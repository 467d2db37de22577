"""Which image provider draws, and the Gemini key it uses.

The choice is ``auto`` (Gemini when a key is configured, else the built-in renderer), ``gemini``
or ``builtin``; a key or a choice saved in Settings overrides the environment. A saved key this
replica cannot open (another ``AVATARS_SECRET_KEY``) stops Gemini with a reason that says so —
never the environment's key or the built-in renderer in its place, silently. Emotion variants
are drawn by the provider that made their base avatar, so switching providers neither orphans
nor regenerates them.
"""

from __future__ import annotations

import logging

from ..foundation.config import PROVIDER_CHOICES, Settings
from ..foundation.errors import BadRequest, FailureReason, GenerationError, InvalidInput
from ..foundation.limits import API_KEY_MAX_CHARS
from ..foundation.models import PICTURE, AvatarVersion, ProviderName
from ..providers.base import BatchImageProvider, ImageProvider, PromptRefiner
from ..providers.builtin import BuiltinProvider
from ..providers.gemini import GeminiProvider
from ..providers.gemini_batch import GeminiBatches
from ..providers.gemini_models import ModelChoice, peek
from ..providers.gemini_text import GeminiPromptRefiner
from ..storage.saved_settings import SavedSettings
from ..storage.secret_box import SecretBox, SecretUnreadable, is_sealed
from .retry import INTERACTIVE, call_with_retry

__all__ = ["KEY_SAVED", "Providers"]

log = logging.getLogger("avatar_core")

KEY_SAVED = "saved in Settings"
_SAVED_KEY = "gemini_api_key"
_SAVED_PROVIDER = "provider"


class Providers:
    """Resolves the provider for each generation from the settings and what Settings saved."""

    def __init__(self, settings: Settings, saved: SavedSettings, box: SecretBox) -> None:
        self.settings = settings
        self.saved = saved
        self.box = box
        self.builtin = BuiltinProvider()

    def active(self) -> ImageProvider:
        """Gemini when chosen (or auto with a key), else the built-in renderer."""
        choice = self.choice()
        if choice == "builtin":
            return self.builtin
        self._require_readable()
        key = self.gemini_key()
        if choice == "auto" and not key:
            return self.builtin
        if not key:
            raise GenerationError(FailureReason.NOT_CONFIGURED,
                                  "The Gemini provider is selected but no API key is configured")
        return self.gemini(key)

    def for_version(self, version: AvatarVersion) -> ImageProvider | None:
        """Who draws ``version``'s emotions: the provider that made it (so they match it).

        An uploaded picture has no maker: Gemini varies it when it is configured; the built-in
        renderer cannot (it draws robots, not a given picture), so then there are none: None.
        """
        if version.provider == PICTURE[0]:
            active = self.active_or_none()
            return active if active is not None and active.name != self.builtin.name else None
        if version.provider == self.builtin.name:
            return self.builtin
        self._require_readable()
        key = self.gemini_key()
        if not key:
            raise GenerationError(FailureReason.NOT_CONFIGURED,
                                  "This avatar was made with Gemini but no API key is configured")
        return self.gemini(key, model=version.model or None)  # the model its keys name

    def active_or_none(self) -> ImageProvider | None:
        try:
            return self.active()
        except GenerationError:
            return None

    def refiner(self) -> PromptRefiner | None:
        """The text model that refines prompts before Gemini draws them; None when off or
        when the built-in renderer draws (it has nothing to refine)."""
        provider = self.active_or_none()
        key = self.gemini_key()
        if (not self.settings.refine_prompt or provider is None
                or provider.name != ProviderName.GEMINI):
            return None
        if not key:
            return None
        return GeminiPromptRefiner(key, model=self.settings.gemini_text_model,
                                   timeout_s=self.settings.gemini_timeout_s,
                                   base_url=self.settings.gemini_base_url)

    def supports_batch(self) -> bool:
        """Whether the active provider has a batch API (Gemini's: half the price, in 24 h)."""
        provider = self.active_or_none()
        return (provider is not None and provider.name == ProviderName.GEMINI
                and bool(self.gemini_key()))

    def batches(self) -> BatchImageProvider:
        """The batch API of the active provider; only Gemini has one."""
        provider = self.active()
        key = self.gemini_key()
        if provider.name != ProviderName.GEMINI or not key:
            raise BadRequest("Batch mode needs Gemini: the built-in renderer draws at once and "
                             "costs nothing anyway")
        return GeminiBatches(key, model=self.settings.gemini_model,
                             timeout_s=self.settings.gemini_timeout_s,
                             base_url=self.settings.gemini_base_url)

    def gemini(self, key: str, model: str | None = None) -> ImageProvider:
        return GeminiProvider(key, model=model or self.settings.gemini_model,
                              timeout_s=self.settings.gemini_timeout_s,
                              base_url=self.settings.gemini_base_url)

    def label(self) -> str:
        """"gemini (gemini-3.1-flash-image)", or why there is no provider. Never calls Google:
        under ``auto`` before the first call it says the model is not chosen yet."""
        try:
            provider = self.active()
        except GenerationError as exc:
            return f"none ({exc.reason.value})"
        if provider.name != ProviderName.GEMINI:
            return f"{provider.name} ({provider.model})"
        known = self.model_in_use(look_up=False)
        return f"gemini ({known.model if known else 'auto: chosen on the first call'})"

    def model_in_use(self, *, look_up: bool = True) -> ModelChoice | None:
        """The Gemini image model a call would use and why; None without Gemini (or, with
        ``look_up=False``, before ``auto`` has read the key's model list)."""
        key = self.gemini_key()
        if self.active_or_none() is None or not key or self.choice() == "builtin":
            return None
        if not look_up:
            return peek("image", self.settings.gemini_model, key, self.settings.gemini_base_url)
        try:
            return GeminiProvider(key, model=self.settings.gemini_model,
                                  timeout_s=self.settings.gemini_timeout_s,
                                  base_url=self.settings.gemini_base_url).choice()
        except GenerationError as exc:
            return ModelChoice("none", f"{exc.reason.value}: {exc.detail}")

    def choice(self) -> str:
        saved = self.saved.get(_SAVED_PROVIDER)
        return saved if saved in PROVIDER_CHOICES else self.settings.provider

    def set_choice(self, choice: str) -> None:
        if choice not in PROVIDER_CHOICES:
            raise BadRequest(f"Provider must be one of {', '.join(PROVIDER_CHOICES)}")
        self.saved.set(_SAVED_PROVIDER, choice)

    # --- the Gemini key -------------------------------------------------------------------

    def gemini_key(self) -> str | None:
        """The key saved in Settings, else GEMINI_API_KEY / GOOGLE_API_KEY; None when the
        saved one cannot be opened here (the environment's does not stand in for it)."""
        try:
            return self._saved_key() or self.settings.gemini_api_key
        except SecretUnreadable:
            return None

    def _require_readable(self) -> None:
        """``not_configured`` naming the problem when the saved key cannot be opened here."""
        problem = self.saved_key_problem()
        if problem is not None:
            raise GenerationError(FailureReason.NOT_CONFIGURED, problem)

    def saved_key_problem(self) -> str | None:
        """Why the key saved in Settings cannot be used, if it cannot."""
        try:
            self._saved_key()
        except SecretUnreadable as exc:
            return exc.detail
        return None

    def _saved_key(self) -> str | None:
        value = self.saved.get(_SAVED_KEY)
        if not value:
            return None
        return self.box.open(value, _SAVED_KEY) if is_sealed(value) else value

    def seal_saved_key(self) -> None:
        """Encrypt a key saved in plain text by a version before encryption (at start-up),
        and leave no plain copy behind in the database file."""
        value = self.saved.get(_SAVED_KEY)
        if value and not is_sealed(value):
            self.saved.set(_SAVED_KEY, self.box.seal(value, _SAVED_KEY))
            self.saved.forget_old_pages()
        if problem := self.saved_key_problem():  # said at start, in the log, once
            log.error("Gemini is unavailable on this replica: %s", problem)

    def key_source(self) -> str | None:
        if self.saved.get(_SAVED_KEY):
            return KEY_SAVED
        return "environment" if self.settings.gemini_api_key else None

    def masked_key(self) -> str | None:
        key = self.gemini_key()
        return None if not key else f"{'•' * 8}{key[-4:]}" if len(key) > 8 else "•" * 8

    def save_key(self, key: str) -> None:
        key = (key or "").strip()
        if not key or len(key) > API_KEY_MAX_CHARS or any(c.isspace() for c in key):
            raise InvalidInput("That does not look like an API key "
                               f"(no spaces, 1-{API_KEY_MAX_CHARS} characters)")
        self.saved.set(_SAVED_KEY, self.box.seal(key, _SAVED_KEY))

    def remove_key(self) -> None:
        self.saved.set(_SAVED_KEY, None)

    def test_key(self) -> tuple[bool, str]:
        """Asks Google about the model the key would draw with (``models.get``: free, no
        image); returns (ok, message naming the model or the failure reason)."""
        key = self.gemini_key()
        if not key:
            reason = FailureReason.NOT_CONFIGURED
            return False, f"{reason.value}: no key configured. {reason.hint}"
        provider = GeminiProvider(key, model=self.settings.gemini_model,
                                  timeout_s=self.settings.gemini_timeout_s,
                                  base_url=self.settings.gemini_base_url)
        try:
            chosen = call_with_retry(provider.check, INTERACTIVE)
        except GenerationError as exc:
            return False, f"{exc.reason.value}: {exc.detail}. {exc.reason.hint}"
        return True, (f"The key works: it can use {chosen.model} ({chosen.why}). Nothing was "
                      "generated, so nothing was charged.")
