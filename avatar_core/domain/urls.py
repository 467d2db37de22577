"""Public URLs of images: one place, so the API, the pages and agent JSON always agree.

Every URL carries the content digest or the stable emotion key, so a browser may cache it
forever; a new image means a new URL.
"""

from __future__ import annotations

from ..foundation.models import Agent, EmotionSet
from ..storage.blobs import digest_of

__all__ = ["avatar_url", "emotion_url", "job_url", "reference_url", "sized", "srcset",
           "version_image_url"]


def avatar_url(agent: Agent) -> str | None:
    """Versioned URL of the current display image, or None without an avatar."""
    if not agent.current_digest:
        return None
    return f"/api/agents/{agent.name}/avatar?v={agent.current_digest[:16]}"


def reference_url(agent_name: str, reference_blob: str) -> str:
    """Versioned URL of the full-quality reference image."""
    return f"/api/agents/{agent_name}/avatar/reference?v={digest_of(reference_blob)[:16]}"


def emotion_url(emotions: EmotionSet, emotion: str) -> str:
    """URL of an available emotion variant, carrying its stable key."""
    return (f"/api/agents/{emotions.agent_name}/avatar/emotion/{emotion}"
            f"?k={emotions.keys[emotion]}")


def job_url(job_id: int) -> str:
    """Where a background job's progress can be polled."""
    return f"/api/jobs/{job_id}"


def version_image_url(agent_name: str, version_id: int, display_blob: str) -> str:
    """Versioned URL of one history entry's display image (a thumbnail in the history)."""
    return (f"/api/agents/{agent_name}/avatar/versions/{version_id}/image"
            f"?v={digest_of(display_blob)[:16]}")


def sized(url: str, px: int) -> str:
    """``url`` asking for ``px`` on its longest side (the server rounds up to its ladder)."""
    return f"{url}{'&' if '?' in url else '?'}size={min(max(px, 16), 512)}"


def srcset(url: str, px: int) -> str:
    """The ``srcset`` of an image shown at ``px``: that size, and twice it for 2x screens."""
    return f"{sized(url, px)} 1x, {sized(url, 2 * px)} 2x"
