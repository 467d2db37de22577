"""avatar_core: faces for a fleet of AI agents, usable without Streamlit.

This is the core's public surface: the UI (``avatar_ui``, ``app_pages``) and the API
(``avatar_api``) import these names from ``avatar_core`` and nothing from its modules
(``tests/test_surface.py`` checks it). ``AvatarService`` is the one way in; the rest are the
objects it answers with, the errors it raises, the limits a form shows, and the helpers a
page draws with.
"""

from .domain import urls
from .domain.activities import ActivityFeed
from .domain.emotions import EMOTIONS, emotion_at
from .domain.jobs import failures_text
from .domain.tiles import TileAgent, agent_label, initials, initials_color, ring_color
from .domain.timeline import ROW_STATUSES, WINDOWS, Timeline, TimelineRow, build_timeline
from .domain.tokens import DEMO_NO_TOKENS, Role, TokenInfo
from .foundation.config import PROVIDER_CHOICES
from .foundation.errors import (
    AvatarError,
    BadRequest,
    FailureReason,
    Forbidden,
    GenerationError,
    InvalidInput,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)
from .foundation.limits import (
    DESCRIPTION_MAX_CHARS,
    DISPLAY_NAME_MAX_CHARS,
    FORM_OVERHEAD_BYTES,
    JSON_BODY_MAX_BYTES,
    MAX_UPLOAD_BYTES,
    PROMPT_MAX_CHARS,
    SUMMARY_MAX_CHARS,
    TOKEN_NAME_MAX_CHARS,
    WAIT_MAX_S,
)
from .foundation.models import (
    AGENT_TYPES,
    Activity,
    Agent,
    AvatarVersion,
    Emotion,
    EmotionSet,
    ImageFile,
    Job,
    JobKind,
    JobMode,
    JobStatus,
    ProviderName,
    quote,
)
from .foundation.renditions import SIZE_MAX, SIZE_MIN, ImageFormat, negotiate
from .runtime import reset_shared_service, shared_service, start_or_exit
from .service import AvatarService
from .work.agent_import import ImportResult
from .work.budget import Spend
from .work.bulk import DefaultsPlan
from .work.fallbacks import FallbackKind
from .work.providers import KEY_SAVED
from .work.serving import Ask

__all__ = [
    "AGENT_TYPES",
    "DEMO_NO_TOKENS",
    "DESCRIPTION_MAX_CHARS",
    "DISPLAY_NAME_MAX_CHARS",
    "EMOTIONS",
    "FORM_OVERHEAD_BYTES",
    "JSON_BODY_MAX_BYTES",
    "KEY_SAVED",
    "MAX_UPLOAD_BYTES",
    "PROMPT_MAX_CHARS",
    "PROVIDER_CHOICES",
    "ROW_STATUSES",
    "SIZE_MAX",
    "SIZE_MIN",
    "SUMMARY_MAX_CHARS",
    "TOKEN_NAME_MAX_CHARS",
    "WAIT_MAX_S",
    "WINDOWS",
    "Activity",
    "ActivityFeed",
    "Agent",
    "Ask",
    "AvatarError",
    "AvatarService",
    "AvatarVersion",
    "BadRequest",
    "DefaultsPlan",
    "Emotion",
    "EmotionSet",
    "FailureReason",
    "FallbackKind",
    "Forbidden",
    "GenerationError",
    "ImageFile",
    "ImageFormat",
    "ImportResult",
    "InvalidInput",
    "Job",
    "JobKind",
    "JobMode",
    "JobStatus",
    "NotFound",
    "ProviderName",
    "Role",
    "Spend",
    "TileAgent",
    "Timeline",
    "TimelineRow",
    "TokenInfo",
    "TooManyAttempts",
    "Unauthorized",
    "agent_label",
    "build_timeline",
    "emotion_at",
    "failures_text",
    "initials",
    "initials_color",
    "negotiate",
    "quote",
    "reset_shared_service",
    "ring_color",
    "shared_service",
    "start_or_exit",
    "urls",
]
