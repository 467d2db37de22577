"""What every Gemini caller holds: a key (never shown), a model setting, a timeout, a base URL.

Images, prompt refinement and batches each subclass ``GeminiEndpoint``, so the key stays out of
every repr and all of them share one cached client and one model choice per key and endpoint.
The model is resolved when a call needs it (``gemini_models.choose``): under ``auto`` a 404
NOT_FOUND drops the key's model list and the call is made once more with the model chosen
afresh; otherwise the 404 names the model and the ones the key can use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from google import genai
from google.genai import errors as genai_errors

from ..foundation.config import AUTO_MODEL, DEFAULT_GEMINI_TIMEOUT_S
from ..foundation.errors import GenerationError
from ..foundation.models import ProviderName
from .gemini_client import call_failure, client_for, require_key
from .gemini_models import ModelChoice, ModelKind, choose, forget, unavailable

__all__ = ["GeminiEndpoint", "is_not_found"]

T = TypeVar("T")


class GeminiEndpoint:
    """A Gemini caller; ``model`` is the model a call would use now (``auto`` resolved)."""

    name: str = ProviderName.GEMINI
    kind: ModelKind = "image"

    def __init__(self, api_key: str, model: str | None = None,
                 timeout_s: float = DEFAULT_GEMINI_TIMEOUT_S, base_url: str | None = None) -> None:
        self._api_key = (api_key or "").strip()
        self.setting = (model or AUTO_MODEL).strip()
        self.timeout_s = float(timeout_s)
        self.base_url = base_url or None

    def __repr__(self) -> str:
        # Spelled out so that the key can never leak through a repr in a log or traceback.
        return (f"{type(self).__name__}(model={self.setting!r}, timeout_s={self.timeout_s!r}, "
                f"base_url={self.base_url!r})")

    @property
    def model(self) -> str:
        return self.choice().model

    def choice(self) -> ModelChoice:
        """The model a call would use now, and why (lists the key's models under ``auto``)."""
        require_key(self._api_key)
        return choose(self.kind, self.setting, self._api_key, self.base_url, self.timeout_s)

    def check(self) -> ModelChoice:
        """Ask Google about the model a call would use (``models.get``: no generation, no
        charge); the choice, or the GenerationError a call would raise."""
        chosen = self.choice()
        self.calling(lambda model: self._client().models.get(model=model))
        return self.choice() if self.setting == AUTO_MODEL else chosen

    def _client(self) -> genai.Client:
        return client_for(self._api_key, self.base_url, self.timeout_s)

    def calling(self, call: Callable[[str], T]) -> T:
        """``call(model)``, with every SDK failure as a GenerationError (see the module)."""
        model = self.model
        try:
            return call(model)
        except Exception as exc:
            if not is_not_found(exc):
                raise call_failure(exc, self._api_key) from exc
            forget(self._api_key, self.base_url)
            again = self.model if self.setting == AUTO_MODEL else model
            if again == model:
                raise self._not_found(exc, model) from exc
        try:
            return call(again)
        except Exception as exc:
            raise (self._not_found(exc, again) if is_not_found(exc)
                   else call_failure(exc, self._api_key)) from exc

    def _not_found(self, exc: BaseException, model: str) -> GenerationError:
        detail = unavailable(self.kind, model, self.setting, self._api_key, self.base_url,
                             self.timeout_s)
        return call_failure(exc, self._api_key, not_found=detail)


def is_not_found(exc: BaseException) -> bool:
    """Google's 404 NOT_FOUND (a model or batch name it does not know)."""
    return isinstance(exc, genai_errors.APIError) and exc.code == 404
