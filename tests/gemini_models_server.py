"""The model catalogue of the local Gemini server: ``models.list``, ``models.get`` and 404s.

The default lineup is what a Gemini API key offers in December 2026 (Google's deprecations
page: the GA image models since 2026-05-28, the 3.x text models); the names Google has shut
down answer 404 NOT_FOUND in Google's own words, on generateContent and batches alike.
``known_models`` (a test's own lineup) replaces the default: then only those names answer.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from typing import Any

from tests.gemini_wire import WireAnswer, error_body, model_not_found_body

__all__ = ["LINEUP_2026", "RETIRED", "ModelCatalog"]

LINEUP_2026 = (
    "gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.8-flash", "gemini-3.5-flash",
    "gemini-3.5-flash-lite", "gemini-3.1-flash-lite", "gemini-3.1-pro-preview",
    "gemini-3.1-flash-tts-preview", "gemini-embedding-2",
)
RETIRED = frozenset({
    "gemini-2.5-flash-image", "gemini-2.5-flash-image-preview", "gemini-2.5-flash",
    "gemini-2.5-pro", "gemini-2.0-flash", "gemini-2.0-flash-001", "gemini-2.0-flash-lite",
    "gemini-2.0-flash-preview-image-generation", "gemini-3-pro-image-preview",
    "gemini-3.1-flash-image-preview", "gemini-3-pro-preview",
})
_LIST = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/?$")
_GET = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+)$")


def _methods(name: str) -> list[str]:
    if "embedding" in name:
        return ["embedContent", "batchEmbedContents"]
    return ["generateContent", "countTokens", "batchGenerateContent"]


class ModelCatalog:
    """Which names a stub's key can use; ``retire`` shuts one down mid-test."""

    def __init__(self, known_models: Collection[str] | None = None) -> None:
        self._lock = threading.Lock()
        self.only = frozenset(known_models) if known_models is not None else None
        self.lineup = list(known_models) if known_models is not None else list(LINEUP_2026)
        self.retired = set(RETIRED)
        self.lists = 0  # models.list requests answered
        self.gets = 0  # models.get requests answered
        self.api_keys: list[str | None] = []  # the x-goog-api-key of each request, in order
        self._failures: list[WireAnswer] = []

    def fail_next(self, status: int, rpc_status: str, message: str) -> None:
        """The next list or get answers this error in Google's format (a revoked key, say)."""
        with self._lock:
            self._failures.append(WireAnswer(status, error_body(status, rpc_status, message)))

    def refuses(self, model: str) -> bool:
        """True when a call to ``model`` gets 404 NOT_FOUND."""
        with self._lock:
            if self.only is not None:
                return model not in self.only
            return model in self.retired or model.startswith("gemini-2.0-")

    def retire(self, model: str) -> None:
        with self._lock:
            self.retired.add(model)
            self.lineup = [m for m in self.lineup if m != model]
            if self.only is not None:
                self.only = self.only - {model}

    def route(self, method: str, path: str, api_key: str | None) -> WireAnswer | None:
        """The answer to ``GET …/models`` or ``GET …/models/{name}``; None for other paths."""
        bare = path.split("?", 1)[0]
        if method != "GET" or not (_LIST.match(bare) or _GET.match(bare)):
            return None
        with self._lock:
            self.api_keys.append(api_key)
            if self._failures:
                return self._failures.pop(0)
        if _LIST.match(bare):
            with self._lock:
                self.lists += 1
                listed = list(self.lineup)
            return WireAnswer(payload={"models": [_model(m) for m in listed]})
        match = _GET.match(bare)
        if match is None:
            return None
        with self._lock:
            self.gets += 1
        model = match["model"]
        if self.refuses(model) or model not in self.lineup:
            return WireAnswer(404, model_not_found_body(model, match["version"], "get"))
        return WireAnswer(payload=_model(model))


def _model(name: str) -> dict[str, Any]:
    return {"name": f"models/{name}", "baseModelId": name, "version": "001",
            "displayName": name.replace("-", " ").title(), "inputTokenLimit": 1048576,
            "outputTokenLimit": 65536, "supportedGenerationMethods": _methods(name)}
