"""Which Gemini models a key can use, and which one ``auto`` picks.

Google shuts model names down on a schedule (ai.google.dev/gemini-api/docs/deprecations) and a
shut-down name answers 404 NOT_FOUND, so no model name is built in as *the* default:

- **auto** reads the key's ``models.list`` (once per key and endpoint, again a day later or
  after any NOT_FOUND) and picks the first preferred GA model it offers, else the newest other
  non-preview model of the right kind. A list that cannot be read is retried a minute later;
  meanwhile the first preferred model is assumed, and the call itself says what is wrong.
- **A named model** is used as named; when the key cannot use it (404), the error names it and
  lists the models of that kind the key can use.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from google.genai import types

from ..foundation.config import AUTO_MODEL
from ..foundation.errors import FailureReason, GenerationError
from .gemini_client import IMAGE_MODEL_SETTING, TEXT_MODEL_SETTING, call_failure, client_for

__all__ = [
    "PREFERRED_IMAGE_MODELS",
    "PREFERRED_TEXT_MODELS",
    "ModelChoice",
    "ModelKind",
    "choose",
    "forget",
    "peek",
    "unavailable",
    "usable",
]

ModelKind = Literal["image", "text"]

# Current GA models, best first (Google's deprecations page, read 2026-12-04: the image models
# GA since 2026-05-28, gemini-3.5-flash since 2026-05-19, gemini-3.1-flash-lite since
# 2026-05-07; none with a shutdown date before 2027-05-07).
PREFERRED_IMAGE_MODELS = ("gemini-3.1-flash-image", "gemini-3-pro-image")
PREFERRED_TEXT_MODELS = ("gemini-3.5-flash", "gemini-3.1-flash-lite")
PREFERRED: dict[ModelKind, tuple[str, ...]] = {"image": PREFERRED_IMAGE_MODELS,
                                               "text": PREFERRED_TEXT_MODELS}
SETTING: dict[ModelKind, str] = {"image": IMAGE_MODEL_SETTING, "text": TEXT_MODEL_SETTING}

WHY_PREFERRED = "auto: first of the preferred models your key offers"
WHY_NEWEST = "auto: none of the preferred models is offered; the newest other GA one"
LIST_TTL_S = 24 * 3600.0
FAILED_LIST_TTL_S = 60.0
# Not text generators, though their names start with gemini- and they answer generateContent.
_NOT_TEXT = re.compile(r"(image|tts|audio|live|embedding|robotics|computer-use|aqa)")
_PREVIEW = re.compile(r"(preview|exp|latest)")
_VERSION = re.compile(r"^gemini-(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class ModelChoice:
    """The model that will be called and why it was chosen (shown in Settings and health)."""

    model: str
    why: str


@dataclass(frozen=True)
class _Listing:
    models: tuple[str, ...]
    problem: str | None
    expires: float


_listings: dict[tuple[str, str | None], _Listing] = {}
_lock = threading.Lock()
_listing_lock = threading.Lock()


def choose(kind: ModelKind, setting: str, api_key: str, base_url: str | None,
           timeout_s: float) -> ModelChoice:
    """The model to call for ``kind`` under ``setting`` (``auto`` or a model name)."""
    if setting and setting != AUTO_MODEL:
        return ModelChoice(setting, f"set by {SETTING[kind]}")
    return _pick(kind, _listing(api_key, base_url, timeout_s))


def peek(kind: ModelKind, setting: str, api_key: str, base_url: str | None) -> ModelChoice | None:
    """``choose`` without calling Google: None when ``auto`` has not listed the models yet."""
    if setting and setting != AUTO_MODEL:
        return ModelChoice(setting, f"set by {SETTING[kind]}")
    with _lock:
        listing = _listings.get((api_key, base_url))
    return _pick(kind, listing) if listing is not None else None


def forget(api_key: str, base_url: str | None) -> None:
    """Drop the key's model list (after a NOT_FOUND): the next ``choose`` lists again."""
    with _lock:
        _listings.pop((api_key, base_url), None)


def usable(kind: ModelKind, api_key: str, base_url: str | None, timeout_s: float) -> list[str]:
    """The models of ``kind`` the key can use, preferred first, then newest first."""
    return _ranked(kind, _listing(api_key, base_url, timeout_s).models)


def unavailable(kind: ModelKind, model: str, setting: str, api_key: str,
                base_url: str | None, timeout_s: float) -> str:
    """The detail of a 404 for ``model``: what the key cannot use and what it can."""
    forget(api_key, base_url)
    offered = usable(kind, api_key, base_url, timeout_s)
    what = (f"The Gemini {kind} model {model!r} is not available to this key "
            "(404 NOT_FOUND: shut down or misspelled)")
    if not offered:
        return f"{what}; set {SETTING[kind]} to auto"
    return (f"{what}; set {SETTING[kind]} to auto or to one of the {kind} models this key "
            f"can use: {', '.join(offered)}")


def _listing(api_key: str, base_url: str | None, timeout_s: float) -> _Listing:
    with _listing_lock:  # one request at a time: threads that missed the cache wait for it
        return _cached(api_key, base_url) or _fetch(api_key, base_url, timeout_s)


def _cached(api_key: str, base_url: str | None) -> _Listing | None:
    with _lock:
        listing = _listings.get((api_key, base_url))
    return listing if listing is not None and listing.expires > time.monotonic() else None


def _fetch(api_key: str, base_url: str | None, timeout_s: float) -> _Listing:
    now = time.monotonic()
    try:
        client = client_for(api_key, base_url, timeout_s)
        names = tuple(_generators(client.models.list(config={"page_size": 1000})))
        listing = _Listing(names, None, now + LIST_TTL_S)
    except Exception as exc:
        error = call_failure(exc, api_key)
        listing = _Listing((), f"{error.reason.value}: {error.detail}", now + FAILED_LIST_TTL_S)
    with _lock:
        _listings[(api_key, base_url)] = listing
    return listing


def _generators(models: Iterable[types.Model]) -> list[str]:
    """Names (without ``models/``) of the listed models that answer generateContent."""
    names = []
    for model in models:
        actions = model.supported_actions or []
        name = (model.name or "").removeprefix("models/")
        if name and "generateContent" in actions:
            names.append(name)
    return names


def _pick(kind: ModelKind, listing: _Listing) -> ModelChoice:
    if listing.problem is not None:
        first = PREFERRED[kind][0]
        return ModelChoice(first, f"auto: the key's model list could not be read "
                                  f"({listing.problem}); assuming {first}")
    ranked = _ranked(kind, listing.models)
    if not ranked:
        raise GenerationError(FailureReason.NOT_CONFIGURED,
                              f"This key offers no Gemini {kind} model (models.list); set "
                              f"{SETTING[kind]} to a model it can use")
    why = WHY_PREFERRED if ranked[0] in PREFERRED[kind] else WHY_NEWEST
    return ModelChoice(ranked[0], why)


def _ranked(kind: ModelKind, names: tuple[str, ...]) -> list[str]:
    """Preferred models the key offers (in order), then its other GA models, newest first."""
    offered = set(names)
    preferred = [m for m in PREFERRED[kind] if m in offered]
    others = [n for n in names if n not in preferred and _is_kind(kind, n)
              and not _PREVIEW.search(n)]
    others.sort(key=_newness, reverse=True)
    return preferred + others


def _is_kind(kind: ModelKind, name: str) -> bool:
    if not name.startswith("gemini-"):
        return False
    if kind == "image":
        return name.endswith("-image")
    return _NOT_TEXT.search(name) is None


def _newness(name: str) -> tuple[tuple[int, ...], bool]:
    """Higher version first; at one version, the full model before a -lite."""
    match = _VERSION.match(name)
    version = tuple(int(p) for p in match[1].split(".")) if match else ()
    return version, "lite" not in name
