"""One exception family and one classifier for every failure the product can report.

Hierarchy::

    AvatarError                 base; carries an HTTP status and a user-facing detail
    ├── NotFound                404 (unknown agent, version, job, emotion file)
    ├── Conflict                409 (name taken, generation already running)
    ├── Unauthorized            401 (no or unknown bearer token; API writes in demo mode)
    ├── Forbidden               403 (editor token on an admin endpoint)
    ├── TooManyAttempts         429 (a burst of failed token checks from one client address)
    ├── BadRequest              400 (malformed request that is not a generation input)
    ├── Unavailable             503 (the object store is missing, unreachable or refuses us)
    └── GenerationError         a failed generation; status and hint follow its FailureReason
        └── InvalidInput        our own validation of prompts and uploads (invalid_input)

``classify()`` turns anything raised while generating (our errors, the SDK's ``APIError``,
``httpx``/``httpx2`` timeouts and connection errors) into a ``FailureReason``; it is pure,
table-driven and returns ``unknown`` rather than raising.
"""

from __future__ import annotations

import math
import re
from typing import Any

from .stored_enums import StoredEnum

__all__ = [
    "DELAY_MAX_S",
    "DELAY_MIN_S",
    "AvatarError",
    "BadRequest",
    "Conflict",
    "FailureReason",
    "Forbidden",
    "GenerationError",
    "InvalidInput",
    "NotFound",
    "TooManyAttempts",
    "Unauthorized",
    "Unavailable",
    "bounded_delay",
    "classify",
    "classify_block",
    "retry_after_seconds",
    "to_generation_error",
]


class FailureReason(StoredEnum):
    """Why a generation failed: the seven stable values other programs rely on. A stored
    reason this version does not know is kept, and behaves as ``unknown``."""

    NOT_CONFIGURED = "not_configured"
    INVALID_INPUT = "invalid_input"
    SAFETY_FILTER = "safety_filter"
    RATE_LIMITED = "rate_limited"
    TIMEOUT = "timeout"
    UPSTREAM_ERROR = "upstream_error"
    UNKNOWN = "unknown"

    @property
    def hint(self) -> str:
        """What the user can do about it."""
        return _HINTS.get(self, _HINTS[FailureReason.UNKNOWN])

    @property
    def http_status(self) -> int:
        """The status the API answers with."""
        return _STATUSES.get(self, _STATUSES[FailureReason.UNKNOWN])

    @property
    def retryable(self) -> bool:
        """Transient reasons worth another attempt; the rest fail at once."""
        return self in _RETRYABLE


_HINTS = {
    FailureReason.NOT_CONFIGURED: "Add GEMINI_API_KEY in Settings → AI Keys",
    FailureReason.INVALID_INPUT: "Adjust the prompt or upload a different reference image",
    FailureReason.SAFETY_FILTER: "Reword the identity prompt",
    FailureReason.RATE_LIMITED: "Wait and retry",
    FailureReason.TIMEOUT: "Retry; if persistent, check provider status",
    FailureReason.UPSTREAM_ERROR: "Retry; check the platform logs if it recurs",
    FailureReason.UNKNOWN: "Retry; check the platform logs if it recurs",
}
_STATUSES = {
    FailureReason.NOT_CONFIGURED: 501,
    FailureReason.INVALID_INPUT: 400,
    FailureReason.SAFETY_FILTER: 422,
    FailureReason.RATE_LIMITED: 429,
    FailureReason.TIMEOUT: 504,
    FailureReason.UPSTREAM_ERROR: 502,
    FailureReason.UNKNOWN: 500,
}
_RETRYABLE = frozenset(
    {FailureReason.RATE_LIMITED, FailureReason.TIMEOUT, FailureReason.UPSTREAM_ERROR}
)


class AvatarError(Exception):
    """Base of every error the product reports; ``status`` is its HTTP status."""

    status: int = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(AvatarError):
    """The named thing does not exist."""

    status = 404


class Conflict(AvatarError):
    """The request clashes with the current state (name taken, work in progress)."""

    status = 409


class Unauthorized(AvatarError):
    """No valid credentials for a write."""

    status = 401


class Forbidden(AvatarError):
    """Valid credentials, but not enough rights."""

    status = 403


class TooManyAttempts(AvatarError):
    """Too many failed token checks from one client address: wait ``retry_after`` seconds."""

    status = 429

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class BadRequest(AvatarError):
    """A request we cannot act on that is not a generation input (e.g. unknown emotion)."""

    status = 400


class Unavailable(AvatarError):
    """A store the product depends on cannot be used: a deployment fault, not the request's."""

    status = 503


class GenerationError(AvatarError):
    """A generation failed for ``reason``; ``retry_after`` is the server's requested delay."""

    def __init__(
        self, reason: FailureReason, detail: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(detail)
        self.reason = FailureReason(reason)
        self.retry_after = None if retry_after is None else bounded_delay(retry_after)

    @property
    def status(self) -> int:  # type: ignore[override]
        return self.reason.http_status

    @property
    def hint(self) -> str:
        return self.reason.hint


class InvalidInput(GenerationError):
    """Our own validation refused a prompt, name or upload."""

    def __init__(self, detail: str) -> None:
        super().__init__(FailureReason.INVALID_INPUT, detail)


# --- classification -------------------------------------------------------------------------

_SAFETY_WORDS = frozenset(
    {"SAFETY", "IMAGE_SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
     "IMAGE_PROHIBITED_CONTENT", "JAILBREAK", "MODEL_ARMOR", "RECITATION", "IMAGE_RECITATION"}
)

# (HTTP code, API status) → reason; the first matching row wins, None matches anything.
_API_TABLE: tuple[tuple[int | None, str | None, FailureReason], ...] = (
    (None, "API_KEY_INVALID", FailureReason.NOT_CONFIGURED),
    (401, None, FailureReason.NOT_CONFIGURED),
    (403, None, FailureReason.NOT_CONFIGURED),
    (None, "UNAUTHENTICATED", FailureReason.NOT_CONFIGURED),
    (None, "PERMISSION_DENIED", FailureReason.NOT_CONFIGURED),
    # A model (or batch) that does not exist: almost always a misspelled model setting, which
    # no retry can fix; the provider's detail names the model and the variable to check.
    (404, None, FailureReason.NOT_CONFIGURED),
    (None, "NOT_FOUND", FailureReason.NOT_CONFIGURED),
    (429, None, FailureReason.RATE_LIMITED),
    (None, "RESOURCE_EXHAUSTED", FailureReason.RATE_LIMITED),
    (504, None, FailureReason.TIMEOUT),
    (408, None, FailureReason.TIMEOUT),
    (None, "DEADLINE_EXCEEDED", FailureReason.TIMEOUT),
    (400, None, FailureReason.INVALID_INPUT),
    (None, "INVALID_ARGUMENT", FailureReason.INVALID_INPUT),
    (None, "FAILED_PRECONDITION", FailureReason.INVALID_INPUT),
)


def _api_reason(code: int | None, status: str | None, text: str) -> FailureReason:
    if "API_KEY_INVALID" in text or "API key not valid" in text:
        return FailureReason.NOT_CONFIGURED
    for row_code, row_status, reason in _API_TABLE:
        if (row_code is None or row_code == code) and (row_status is None or row_status == status):
            return reason
    if code is not None and 500 <= code <= 599:
        return FailureReason.UPSTREAM_ERROR
    return FailureReason.UNKNOWN


def _exception_names(exc: BaseException) -> set[str]:
    return {f"{cls.__module__.split('.')[0]}.{cls.__name__}" for cls in type(exc).__mro__}


_TIMEOUT_NAMES = frozenset(
    {"httpx.TimeoutException", "httpx2.TimeoutException", "builtins.TimeoutError",
     "socket.timeout", "concurrent.TimeoutError"}
)
_CONNECTION_NAMES = frozenset(
    {"httpx.TransportError", "httpx2.TransportError", "builtins.ConnectionError",
     "httpx.RemoteProtocolError", "httpx2.RemoteProtocolError"}
)


def classify(exc: BaseException) -> FailureReason:
    """Map any exception raised while generating to a ``FailureReason``; never raises."""
    try:
        if isinstance(exc, GenerationError):
            return exc.reason
        code = getattr(exc, "code", None)
        if _looks_like_api_error(exc):
            status = getattr(exc, "status", None)
            return _api_reason(code if isinstance(code, int) else None, status, str(exc))
        names = _exception_names(exc)
        if names & _TIMEOUT_NAMES:
            return FailureReason.TIMEOUT
        if names & _CONNECTION_NAMES:
            return FailureReason.UPSTREAM_ERROR
        return FailureReason.UNKNOWN
    except Exception:  # classification must never be the thing that fails
        return FailureReason.UNKNOWN


def _looks_like_api_error(exc: BaseException) -> bool:
    return "google.APIError" in _exception_names(exc)


def classify_block(finish_reason: str | None, block_reason: str | None) -> FailureReason | None:
    """Read a 200 answer's safety signals: a safety reason, or None when nothing was blocked."""
    for value in (block_reason, finish_reason):
        name = getattr(value, "value", value)
        if name and str(name).upper() in _SAFETY_WORDS:
            return FailureReason.SAFETY_FILTER
    if block_reason and str(getattr(block_reason, "value", block_reason)) not in (
        "BLOCKED_REASON_UNSPECIFIED",
    ):
        return FailureReason.SAFETY_FILTER
    return None


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")

DELAY_MIN_S = 1.0
DELAY_MAX_S = 900.0
"""A server's requested delay is honoured within 1 s–15 min: a longer one (``86400``) would
stall background work for a day, an infinite one every later call."""


def bounded_delay(value: object) -> float | None:
    """``value`` as seconds clamped to 1 s–15 min; None when unusable (unparseable, negative,
    infinite or NaN), so the caller falls back to its own backoff."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return min(max(seconds, DELAY_MIN_S), DELAY_MAX_S)


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's requested delay, bounded: Google's ``RetryInfo.retryDelay``, else a
    Retry-After header; None when neither gives a usable number."""
    if isinstance(exc, GenerationError):
        return exc.retry_after
    details: Any = getattr(exc, "details", None)
    try:
        error = details.get("error", details) if isinstance(details, dict) else {}
        for item in error.get("details", []) or []:
            if isinstance(item, dict) and str(item.get("@type", "")).endswith("RetryInfo"):
                match = _DURATION.match(str(item.get("retryDelay", "")))
                if match:
                    return bounded_delay(match.group(1))
    except (AttributeError, TypeError):
        pass
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    try:
        value = headers.get("retry-after") if headers is not None else None
    except (AttributeError, TypeError):
        return None
    return None if value is None else bounded_delay(value)


def to_generation_error(exc: BaseException) -> GenerationError:
    """Wrap anything raised by a provider into a GenerationError without leaking secrets."""
    if isinstance(exc, GenerationError):
        return exc
    reason = classify(exc)
    message = getattr(exc, "message", None)
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        detail = f"Provider error {code}: {message or type(exc).__name__}"
    elif reason is FailureReason.TIMEOUT:
        detail = f"The provider did not answer in time ({type(exc).__name__})"
    elif reason is FailureReason.UPSTREAM_ERROR:
        detail = f"Could not reach the provider ({type(exc).__name__}: {exc})"
    else:
        detail = f"{type(exc).__name__}: {message or exc}"
    return GenerationError(reason, _redact(detail), retry_after=retry_after_seconds(exc))


_KEY_PATTERN = re.compile(r"AIza[0-9A-Za-z_\-]{20,}|key=[^&\s]+")


def _redact(text: str) -> str:
    """Remove anything that looks like an API key before it reaches a user or a log."""
    return _KEY_PATTERN.sub("[redacted]", text)[:500]
