"""Agent Detail through AppTest: the emotion strip, Next emotion, Retry, the Generate dialog's
upload check and "Use this picture", activity, history thumbnails, API URLs — and data shown as
text, never as Markdown.

Real parts only: the built-in renderer, or the real google-genai SDK against the local server
that speaks Gemini's protocol (``tests/gemini_server.py``); real SQLite files under tmp_path.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from avatar_core import runtime
from avatar_core.domain.emotions import EMOTIONS
from avatar_core.foundation.errors import FailureReason
from avatar_core.service import NO_PICTURE_EMOTIONS, AvatarService
from avatar_ui.text import plain
from tests.gemini_server import GeminiStub
from tests.helpers import wait_until
from tests.page_helpers import (
    open_page,
    png,
    reset,
    texts,
    unescaped,
)

DETAIL = "app_pages/agent_detail.py"
PLANTED = "[Session expired — sign in again](https://evil.example/login)"


def html_of(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def face_src(at: AppTest) -> str:
    match = re.search(r'<img class="aa-face" src="([^"]+)"', html_of(at))
    assert match, "no large face on the page"
    return match.group(1)


def shown_emotion(at: AppTest) -> str | None:
    match = re.search(r"/avatar/emotion/([a-z]+)\?", face_src(at))
    return match.group(1) if match else None


def all_emotions_ready(service: AvatarService, name: str) -> None:
    wait_until(lambda: len(service.emotions(name).emotions) == 8, timeout=120)


def with_emotions(name: str = "atlas") -> AvatarService:
    service = runtime.shared_service()
    service.agents.register(name, name.title())
    service.generate(name, "a calm brass robot")
    all_emotions_ready(service, name)
    return service


# --- the strip and the cycle ------------------------------------------------------------------


def test_strip_shows_every_ready_variant_and_a_click_shows_it_large() -> None:
    with_emotions()
    at = open_page(DETAIL, agent="atlas")
    html = html_of(at)
    for emotion in EMOTIONS:
        assert f'src="/api/agents/atlas/avatar/emotion/{emotion}?k=' in html
        assert f'alt="Atlas, {emotion}"' in html  # the agent's name and the emotion
        assert at.button(key=f"detail_show_{emotion}")
    assert "8 of 8 ready" in texts(at)
    at.button(key="detail_show_curious").click().run()
    assert shown_emotion(at) == "curious"
    assert 'alt="Atlas, curious"' in html_of(at)
    assert '<div class="aa-face-caption"' in html_of(at)
    assert re.search(r'aa-face-caption"[^>]*>curious<', html_of(at))


def test_next_emotion_moves_on_in_canonical_order_and_crossfades() -> None:
    with_emotions()
    at = open_page(DETAIL, agent="atlas")
    first = shown_emotion(at)
    assert first == "happy"
    order = [first]
    for _ in range(3):
        at.button(key="detail_next").click().run()
        order.append(shown_emotion(at))
        # the face just left fades out on top of the new one, hidden from screen readers
        old = re.search(r'<img aria-hidden="true" class="aa-face-old" src="([^"]+)"[^>]*alt=""',
                        html_of(at))
        assert old and f"/emotion/{order[-2]}?" in old.group(1)
    assert order == [e.value for e in EMOTIONS[:4]]
    at.run()  # a rerun with no change: no fading image left behind
    assert 'class="aa-face-old"' not in html_of(at)
    # a thumbnail then Next: the order carries on from the chosen one
    at.button(key="detail_show_amused").click().run()
    at.button(key="detail_next").click().run()
    assert shown_emotion(at) == "curious"


def test_a_picture_the_renderer_cannot_vary_says_why_instead_of_a_strip() -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    service.install_picture("atlas", png())  # the built-in renderer cannot vary a picture
    at = open_page(DETAIL, agent="atlas")
    assert service.emotions("atlas").unavailable == NO_PICTURE_EMOTIONS
    assert any(plain(NO_PICTURE_EMOTIONS) == info.value for info in at.info)
    assert not [key for key in _keys(at) if key.startswith("detail_show_")]
    assert "detail_next" not in _keys(at)
    assert not at.get("component_instance"), "no 30 s timer when nothing can cycle"
    assert shown_emotion(at) is None and "/api/agents/atlas/avatar?v=" in face_src(at)


def _keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def test_failed_variants_show_reason_hint_and_retry_requeues(gemini_app: GeminiStub) -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    gemini_app.push("image")  # the avatar itself
    for _ in EMOTIONS:  # every emotion refused at once (400 is not retried)
        gemini_app.push("error", status=400, message="Unsupported image")
    service.generate("atlas", "a calm brass robot")
    wait_until(lambda: len(service.emotions("atlas").failed) == 8, timeout=120)

    at = open_page(DETAIL, agent="atlas")
    reason = FailureReason.INVALID_INPUT
    captions = [c.value for c in at.caption if "failed:" in c.value]
    assert len(captions) == 8
    assert all(reason.value in c and reason.hint in c for c in captions), captions
    assert 'aria-label="Atlas, happy: failed"' in html_of(at)
    at.button(key="detail_retry_happy").click().run()
    assert not at.exception
    assert "Drawing happy again" in unescaped(at.success[0].value)
    state = service.emotions("atlas")
    assert "happy" not in [f["emotion"] for f in state.failed]
    assert "happy" in state.pending or "happy" in state.emotions  # back in the queue


def test_the_timer_runs_while_variants_are_still_being_drawn(gemini_app: GeminiStub) -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    gemini_app.push("image")
    for _ in EMOTIONS:  # the variants take a while: they are pending when the page opens
        gemini_app.push("slow", delay_s=20)  # far longer than opening the page takes
    service.generate("atlas", "a calm brass robot")
    at = open_page(DETAIL, agent="atlas")
    state = service.emotions("atlas")
    assert not state.emotions and state.pending
    assert at.get("component_instance"), "the 30 s rerun picks the variants up as they land"
    assert "pending" in texts(at) and shown_emotion(at) is None
    wait_until(lambda: len(service.emotions("atlas").emotions) == 8, timeout=120)


def test_retry_needs_the_admin_lock(gemini_app: GeminiStub,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", "s3cret-admin-token-for-tests")
    reset()
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    gemini_app.push("image")
    for _ in EMOTIONS:
        gemini_app.push("error", status=400)
    service.generate("atlas", "a robot")
    wait_until(lambda: len(service.emotions("atlas").failed) == 8, timeout=120)
    at = open_page(DETAIL, agent="atlas")
    assert len([c for c in at.caption if "failed:" in c.value]) == 8
    assert not [k for k in _keys(at) if k.startswith("detail_retry_")]


# --- the Generate dialog ----------------------------------------------------------------------


def bomb_png() -> bytes:
    """8000×8000 pixels in about 60 KB: a decompression bomb for a careless preview."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def open_dialog(name: str = "atlas") -> AppTest:
    runtime.shared_service().agents.register(name, name.title())
    at = open_page(DETAIL, agent=name)
    at.button(key="detail_generate").click().run()
    return at


def test_a_refused_upload_shows_our_message_and_no_preview() -> None:
    bomb = bomb_png()
    assert len(bomb) < 100_000
    at = open_dialog()
    at.file_uploader(key="detail_gen_ref").set_value(("huge.png", bomb, "image/png"))
    at.run()
    (error,) = at.error
    assert "cannot be used" in error.value and "8000×8000" in unescaped(error.value)
    assert "megapixels" in error.value
    assert not at.image, "nothing of the refused file is shown"
    assert at.button(key="detail_gen_submit").disabled
    assert "detail_gen_use" not in _keys(at)

    at.file_uploader(key="detail_gen_ref").set_value(("notes.png", b"not an image", "image/png"))
    at.run()
    assert "cannot be used" in at.error[0].value and not at.image


def test_a_valid_upload_is_previewed_normalised_and_can_be_the_avatar() -> None:
    at = open_dialog()
    at.file_uploader(key="detail_gen_ref").set_value(("me.png", png((200, 40, 40)), "image/png"))
    at.run()
    assert not at.error
    assert at.image and "as it will be used" in at.image[0].proto.imgs[0].caption
    assert at.button(key="detail_gen_submit").label == "Generate from it"
    at.button(key="detail_gen_use").click().run()
    assert not at.exception and not at.error
    service = runtime.shared_service()
    version = service.current_version("atlas")
    assert version is not None and version.provider == "upload"
    assert "picture is the avatar now" in unescaped(at.success[0].value)
    assert not at.text_area  # the dialog closed


def test_generate_from_an_upload_uses_it_as_the_reference() -> None:
    at = open_dialog()
    at.text_area(key="detail_gen_prompt").input("a robot in these colours")
    at.file_uploader(key="detail_gen_ref").set_value(("ref.png", png(), "image/png"))
    at.run()
    at.button(key="detail_gen_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    version = runtime.shared_service().current_version("atlas")
    assert version is not None and version.style_blob is not None


def test_the_refined_prompt_is_shown_when_the_version_has_one(
        gemini_app: GeminiStub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARS_REFINE_PROMPT", "on")
    reset()
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    version = service.generate("atlas", "a calm brass robot")
    assert version.refined_prompt
    at = open_page(DETAIL, agent="atlas")
    assert any("Refined prompt" in m.value for m in at.markdown)
    assert version.refined_prompt in [t.value for t in at.text]


# --- activity, history, API URLs --------------------------------------------------------------


def test_activity_history_thumbnails_and_api_urls() -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", "Atlas")
    service.agents.register("nova", "Nova")
    now = datetime.now(UTC)
    for minutes, status in ((90, "success"), (60, "error"), (30, "success"), (10, "success")):
        started = now - timedelta(minutes=minutes)
        service.record_activity("atlas", started_at=started,
                                ended_at=started + timedelta(minutes=5), kind="task",
                                status=status)
    service.record_activity("nova", started_at=now - timedelta(minutes=5), ended_at=None,
                            kind="chat", status="running")
    first = service.generate("atlas", "a brass robot")
    second = service.regenerate("atlas")
    at = open_page(DETAIL, agent="atlas")
    html = html_of(at)
    assert html.count('class="aa-row"') == 1  # atlas only, not nova
    assert html.count('class="aa-b aa-') == 4 and 'class="aa-b aa-error"' in html
    assert "75% ok · 4 runs" in texts(at)
    for version in (first, second):
        assert f"/api/agents/atlas/avatar/versions/{version.id}/image?v=" in html
        assert f'alt="Atlas, version #{version.id}"' in html
    assert at.button(key=f"detail_restore_{first.id}")
    (code,) = at.code
    assert "/api/agents/atlas/avatar\n" in code.value
    assert "/api/agents/atlas/avatar/emotion/happy" in code.value
    assert f"/api/agents/atlas/avatar?v={service.agents.get('atlas').current_digest[:16]}" in (
        code.value)


# --- bad input: data is shown as text ---------------------------------------------------------


def rendered_markdown(at: AppTest) -> list[str]:
    """Every Markdown string the page sent: text, captions, headings and alerts."""
    elements = [*at.markdown, *at.caption, *at.title, *at.header, *at.subheader, *at.info,
                *at.success, *at.warning, *at.error]
    return [str(element.value) for element in elements]


LINK = re.compile(r"(?<!\\)\]\((?!\\)")  # "](" that Markdown would read as a link


def test_planted_markdown_is_shown_as_literal_text() -> None:
    service = runtime.shared_service()
    service.agents.register("atlas", PLANTED, description=f"Hello {PLANTED} :red[alarm] **bold**")
    service.generate("atlas", f"a robot {PLANTED}")
    at = open_page(DETAIL, agent="atlas")
    bodies = rendered_markdown(at)
    carrying = [body for body in bodies if "Session expired" in body]
    assert len(carrying) >= 3, bodies  # heading, description, history
    for body in carrying:
        assert not LINK.search(body), body
        assert PLANTED in unescaped(body)  # the reader sees the characters themselves
    assert any(plain(f"Hello {PLANTED} :red[alarm] **bold**") == body for body in bodies)
    assert f"a robot {PLANTED}" in [t.value for t in at.text]  # the prompt, as text


def test_planted_markdown_in_the_query_string_is_shown_as_text() -> None:
    runtime.shared_service().agents.register("atlas", "Atlas")
    at = open_page(DETAIL, agent=PLANTED)
    (warning,) = at.warning
    assert "not found" in warning.value and not LINK.search(warning.value)
    assert "Session expired" in unescaped(warning.value)
