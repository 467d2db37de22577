"""Uploads are scaled at intake: the reference is kept, sent inline to Gemini and served at
most ``REFERENCE_MAX_SIDE`` on its longest side, and an inline image stays within Gemini's
request size limit."""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Callable

from PIL import Image

from avatar_core.foundation import imaging
from avatar_core.foundation.limits import INLINE_IMAGE_MAX_BYTES, REFERENCE_MAX_SIDE
from tests import corpus
from tests.conftest import ADMIN, Client
from tests.gemini_server import GeminiStub

AUTH = {"Authorization": f"Bearer {ADMIN}"}
KEY = "AIzaSyTEST-intake-0123456789abcdefghijk"


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_a_4000_by_3000_photo_reaches_gemini_at_most_2048_px_wide(
        make_client: Callable[..., Client], stub: GeminiStub) -> None:
    client, service = make_client(AVATARS_PROVIDER="gemini", GEMINI_API_KEY=KEY,
                                  GOOGLE_GEMINI_BASE_URL=stub.url)
    service.agents.register("atlas")
    photo = corpus.jpeg(4000, 3000)
    answer = client.post("/agents/atlas/avatar/generate", headers=AUTH,
                         data={"identity_prompt": "a friendly brass robot"},
                         files={"reference_image": ("photo.jpg", photo, "image/jpeg")})
    assert answer.status_code == 200, answer.text
    inline = stub.requests[0].parts[0]["inlineData"]
    sent = base64.urlsafe_b64decode(inline["data"])
    assert size_of(sent) == (2048, 1536)
    assert len(inline["data"]) < 20 * 1024 * 1024


def test_an_installed_photo_is_kept_and_served_at_the_reference_size(
        make_client: Callable[..., Client]) -> None:
    client, service = make_client()
    service.agents.register("atlas")
    answer = client.put("/agents/atlas/avatar", headers=AUTH,
                        files={"image": ("photo.jpg", corpus.jpeg(3000, 4000), "image/jpeg")})
    assert answer.status_code == 200, answer.text
    reference = client.get("/agents/atlas/avatar/reference")
    assert reference.status_code == 200
    assert size_of(reference.content) == (1536, 2048)
    assert max(size_of(client.get("/agents/atlas/avatar").content)) == 512  # display as today


def test_a_small_upload_is_not_enlarged() -> None:
    assert size_of(imaging.validate_upload(corpus.png(300, 200))) == (300, 200)


def test_a_reference_stored_before_intake_scaling_is_scaled_before_it_travels() -> None:
    big = corpus.png(4000, 3000)
    assert size_of(imaging.inline_reference(big)) == (REFERENCE_MAX_SIDE, 1536)
    small = corpus.png(512, 512)
    assert imaging.inline_reference(small) == small  # within both limits: byte for byte


def test_a_reference_whose_png_passes_the_inline_limit_travels_as_webp() -> None:
    noise = Image.frombytes("RGBA", (2048, 2048), os.urandom(2048 * 2048 * 4))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    assert len(out.getvalue()) > INLINE_IMAGE_MAX_BYTES
    sent = imaging.inline_reference(out.getvalue())
    assert len(sent) <= INLINE_IMAGE_MAX_BYTES and sent[8:12] == b"WEBP"
