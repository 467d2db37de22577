"""What Agent Detail draws besides the large face: the emotion strip's tiles, version
thumbnails and the avatar's API URLs, ready to copy.

Images are ``<img>`` tags on the versioned ``/api`` URLs (cached by the browser, WebP as is) with
alt texts naming the agent and what the image shows; a tile that has no image yet still says in
words what it is waiting for, never by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from urllib.parse import urlsplit

import streamlit as st

from avatar_core import EMOTIONS, Agent, AvatarVersion, Emotion, EmotionSet, FailureReason, urls

from .avatars import avatar_html

__all__ = ["STRIP_SIZE", "THUMB_SIZE", "StripTile", "api_base", "api_urls_text", "close_dialog",
           "emotion_tile_html", "reference_html", "strip_caption", "strip_tiles",
           "version_thumb_html"]

STRIP_SIZE = 64  # px: an emotion in the strip
THUMB_SIZE = 56  # px: a version in the history


@dataclass(frozen=True)
class StripTile:
    """One emotion of the strip: ``state`` is "ready", "pending" or "failed" (with a reason)."""

    emotion: Emotion
    state: str
    reason: FailureReason | None = None


def strip_tiles(emotions: EmotionSet) -> list[StripTile]:
    """The eight emotions in canonical order, each with its state."""
    failed = {item["emotion"]: FailureReason(item["reason"]) for item in emotions.failed}
    return [StripTile(emotion, "ready") if emotion in emotions.emotions
            else StripTile(emotion, "failed", failed[emotion]) if emotion in failed
            else StripTile(emotion, "pending") for emotion in EMOTIONS]


def strip_caption(emotions: EmotionSet) -> str:
    """"6 of 8 ready · 1 pending · 1 failed · choose one to show it large"."""
    parts = [f"{len(emotions.emotions)} of {len(EMOTIONS)} ready"]
    if emotions.pending:
        parts.append(f"{len(emotions.pending)} pending")
    if emotions.failed:
        parts.append(f"{len(emotions.failed)} failed")
    return " · ".join([*parts, "choose one to show it large"])


def emotion_tile_html(agent: Agent, emotions: EmotionSet, emotion: str, state: str) -> str:
    """One tile of the strip: the variant (``state`` "ready"), or a disc saying "pending" or
    "failed" in words (the reason and hint are drawn beside it by the page)."""
    label = f"{agent.display_name}, {emotion}"
    if state == "ready":
        return avatar_html(agent.name, agent.display_name, agent.is_system,
                           urls.emotion_url(emotions, emotion), size=STRIP_SIZE,
                           css_class="aa-strip-face", alt=label, lazy=True)
    mark = "…" if state == "pending" else "!"
    dash = "dashed" if state == "pending" else "solid"
    color = "#64748b" if state == "pending" else "#dc2626"  # slate / red; the words say it too
    return (f'<div class="aa-strip-{state}" role="img" aria-label="{escape(label)}: {state}" '
            f'style="width:{STRIP_SIZE}px;height:{STRIP_SIZE}px;border-radius:50%;'
            f"box-sizing:border-box;border:3px {dash} {color};color:{color};display:flex;"
            f'align-items:center;justify-content:center;font:700 22px system-ui,sans-serif">'
            f'<span aria-hidden="true">{mark}</span></div>')


def version_thumb_html(agent: Agent, version: AvatarVersion) -> str:
    """The display image of one history entry, small, named for screen readers."""
    url = urls.version_image_url(agent.name, version.id, version.display_blob)
    return avatar_html(agent.name, agent.display_name, agent.is_system, url, size=THUMB_SIZE,
                       css_class="aa-version-face", alt=f"{agent.display_name}, version "
                       f"#{version.id}", lazy=True)


def reference_html(agent: Agent, version: AvatarVersion) -> str:
    """The full-quality reference image, small, linking to itself at full size."""
    link = escape(urls.reference_url(agent.name, version.reference_blob))
    alt = escape(f"{agent.display_name}, full-quality reference image")
    raw = urls.reference_url(agent.name, version.reference_blob)
    return (f'<a href="{link}" target="_blank" rel="noopener">'
            f'<img src="{escape(urls.sized(raw, 160))}" srcset="{escape(urls.srcset(raw, 160))}"'
            f' width="160" height="160" '
            f'style="border-radius:8px" alt="{alt}"></a>')


def api_base() -> str:
    """The app's own address as the browser sees it ("" in tests: URLs stay relative).

    ``st.context.url`` carries the page's path too ("/agent"); the API lives at the server's
    root (under ``server.baseUrlPath`` when one is set).
    """
    try:
        seen = urlsplit(st.context.url or "")
    except Exception:  # a bare script run has no browser context
        return ""
    if not seen.scheme or not seen.netloc:
        return ""
    prefix = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{seen.scheme}://{seen.netloc}" + (f"/{prefix}" if prefix else "")


def api_urls_text(agent: Agent) -> str:
    """The avatar's public API URLs, one per line with what each is for."""
    base = f"{api_base()}/api/agents/{agent.name}"
    lines = [
        f"# current avatar, always the latest (WebP)\n{base}/avatar",
    ]
    if versioned := urls.avatar_url(agent):
        lines.append(f"# this version: may be cached forever\n{api_base()}{versioned}")
    lines += [
        f"# one emotion: happy, thoughtful, surprised, determined, calm, amused, curious, "
        f"confident\n{base}/avatar/emotion/happy",
        f"# which emotions are ready (JSON)\n{base}/avatar/emotions",
        f"# the full-quality reference image\n{base}/avatar/reference",
        f"# version history (JSON)\n{base}/avatar/versions",
    ]
    return "\n".join(lines)


def close_dialog() -> None:
    """The Generate dialog was dismissed: it stays closed on the next run."""
    st.session_state.pop("detail_dialog_for", None)
