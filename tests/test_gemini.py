"""GeminiProvider through the real google-genai client against a local generateContent server.

Nothing is mocked: the SDK builds real HTTP requests, ``GeminiStub`` answers them the way Google
does, and the assertions read what went over the wire (``stub.requests``) and what came back.
"""

from __future__ import annotations

import base64
import io
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gemini_server import GeminiStub, refused_url
from PIL import Image

from avatar_core.foundation.errors import FailureReason, GenerationError
from avatar_core.providers import ImageProvider, ImageRequest
from avatar_core.providers.gemini import GeminiProvider, client_for, close_clients

# Deliberately not shaped like a Google key: the generic redaction in errors.py would not catch
# it, so these tests prove the provider never puts the key in a message in the first place.
KEY = "test-secret-gemini-key-5f1c2e"
PROMPT = "A friendly brass robot with teal eyes"


@pytest.fixture(autouse=True)
def fresh_clients() -> Iterator[None]:
    """An empty client cache per test: a client built under another test's environment (the
    SDK reads GOOGLE_GEMINI_BASE_URL when a client is built) must not be reused."""
    close_clients()
    yield
    close_clients()


@pytest.fixture
def provider(stub: GeminiStub) -> GeminiProvider:
    return GeminiProvider(KEY, base_url=stub.url, timeout_s=5)


def make_request(prompt: str = PROMPT, reference: bytes | None = None) -> ImageRequest:
    return ImageRequest(
        kind="identity" if reference is None else "variation",
        agent_name="brass-bot",
        identity_prompt=prompt,
        prompt=prompt,
        seed=7,
        reference=reference,
    )


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


def fail(provider: GeminiProvider, request: ImageRequest | None = None) -> GenerationError:
    with pytest.raises(GenerationError) as info:
        provider.generate(request or make_request())
    return info.value


# --- success -------------------------------------------------------------------------------------


def test_returns_the_png_the_server_drew(stub: GeminiStub, provider: GeminiProvider) -> None:
    image = provider.generate(make_request())

    assert image.mime_type == "image/png"
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.format == "PNG"
        assert decoded.size == (stub.image_size, stub.image_size)
    assert stub.calls == 1


def test_is_an_image_provider(provider: GeminiProvider) -> None:
    assert isinstance(provider, ImageProvider)
    assert provider.name == "gemini"
    assert provider.model == "gemini-3.1-flash-image"  # auto: the first preferred one


def test_different_prompts_give_different_images(provider: GeminiProvider) -> None:
    first = provider.generate(make_request("a red robot"))
    second = provider.generate(make_request("a blue android"))
    assert first.data != second.data


def test_reference_goes_in_as_inline_image_before_the_text(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    reference = jpeg_bytes()
    provider.generate(make_request(reference=reference))

    parts = stub.requests[0].parts
    assert len(parts) == 2
    inline = parts[0]["inlineData"]
    assert inline.get("mimeType", inline.get("mime_type")) == "image/jpeg"
    assert base64.urlsafe_b64decode(inline["data"]) == reference
    assert parts[1] == {"text": PROMPT}


def test_without_reference_only_the_text_is_sent(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    provider.generate(make_request())
    assert stub.requests[0].parts == [{"text": PROMPT}]


def test_asks_for_one_square_image(stub: GeminiStub, provider: GeminiProvider) -> None:
    provider.generate(make_request())

    sent = stub.requests[0]
    assert sent.model == "gemini-3.1-flash-image"
    assert sent.generation_config["responseModalities"] == ["IMAGE"]
    assert sent.generation_config["imageConfig"] == {"aspectRatio": "1:1"}


def test_key_travels_in_the_header_not_the_url(stub: GeminiStub, provider: GeminiProvider) -> None:
    provider.generate(make_request())

    sent = stub.requests[0]
    assert sent.api_key == KEY
    assert KEY not in sent.path


def test_a_configured_model_is_used(stub: GeminiStub) -> None:
    GeminiProvider(KEY, model="gemini-3-pro-image", base_url=stub.url).generate(make_request())
    assert stub.requests[0].model == "gemini-3-pro-image"


# --- errors in Google's format -------------------------------------------------------------------

API_KEY_INVALID = {
    "status": 400,
    "grpc_status": "INVALID_ARGUMENT",
    "message": "API key not valid. Please pass a valid API key.",
    "details": [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": "generativelanguage.googleapis.com"},
        }
    ],
}


@pytest.mark.parametrize(
    ("kind", "options", "reason"),
    [
        ("error", {"status": 400}, FailureReason.INVALID_INPUT),
        ("error", API_KEY_INVALID, FailureReason.NOT_CONFIGURED),
        ("error", {"status": 401}, FailureReason.NOT_CONFIGURED),
        ("error", {"status": 403}, FailureReason.NOT_CONFIGURED),
        ("error", {"status": 500}, FailureReason.UPSTREAM_ERROR),
        ("error", {"status": 503}, FailureReason.UPSTREAM_ERROR),
        ("error", {"status": 504}, FailureReason.TIMEOUT),
        ("error", {"status": 404}, FailureReason.NOT_CONFIGURED),
        ("rate_limited", {"retry_delay_s": 1}, FailureReason.RATE_LIMITED),
    ],
    ids=["400", "400-api-key-invalid", "401", "403", "500", "503", "504", "404", "429"],
)
def test_http_errors_are_classified_and_not_retried_by_the_sdk(
    stub: GeminiStub,
    provider: GeminiProvider,
    kind: Any,
    options: dict[str, Any],
    reason: FailureReason,
) -> None:
    stub.push(kind, **options)

    error = fail(provider)

    assert error.reason is reason
    assert error.status == reason.http_status
    assert stub.calls == 1  # the SDK's own retries are off: ours honour the server's delay


def test_rate_limit_carries_the_servers_retry_delay(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    stub.push("rate_limited", retry_delay_s=7)

    error = fail(provider)

    assert error.reason is FailureReason.RATE_LIMITED
    assert error.retry_after == 7.0
    assert "429" in error.detail


def test_quota_window_refuses_the_excess_with_the_time_a_slot_frees() -> None:
    with GeminiStub(quota_per_min=2) as stub:
        provider = GeminiProvider(KEY, base_url=stub.url)
        provider.generate(make_request("one"))
        provider.generate(make_request("two"))

        error = fail(provider)

        assert error.reason is FailureReason.RATE_LIMITED
        assert error.retry_after is not None and 1.0 <= error.retry_after <= 60.0
        assert (stub.calls, stub.rate_limited) == (3, 1)


def test_a_misspelled_model_is_not_configured_and_named() -> None:
    with GeminiStub(known_models={"gemini-3.1-flash-image"}) as stub:
        provider = GeminiProvider(KEY, model="gemini-3.1-flash-imag", base_url=stub.url)

        error = fail(provider)

        assert error.reason is FailureReason.NOT_CONFIGURED
        assert error.detail == (
            "The Gemini image model 'gemini-3.1-flash-imag' is not available to this key (404 "
            "NOT_FOUND: shut down or misspelled); set AVATARS_GEMINI_MODEL to auto or to one of "
            "the image models this key can use: gemini-3.1-flash-image"
        )
        assert (error.status, stub.calls) == (501, 1)
        # The right spelling on the same stub draws: the 404 came from the name alone.
        assert GeminiProvider(KEY, base_url=stub.url).generate(make_request()).data


def test_provider_message_is_kept_for_the_user(stub: GeminiStub, provider: GeminiProvider) -> None:
    stub.push("error", status=400, message="Unsupported MIME type: image/x-icon")
    assert "Unsupported MIME type" in fail(provider).detail


# --- answers without an image --------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "reason"), [
    ("finish", "SAFETY"), ("finish", "IMAGE_SAFETY"), ("finish", "PROHIBITED_CONTENT"),
    ("blocked", "SAFETY"), ("blocked", "PROHIBITED_CONTENT"), ("blocked", "OTHER")])
def test_safety_finishes_and_blocked_prompts_are_safety_filter(
    stub: GeminiStub, provider: GeminiProvider, kind: str, reason: str
) -> None:
    stub.push(kind, reason=reason)

    error = fail(provider)

    assert error.reason is FailureReason.SAFETY_FILTER
    assert reason in error.detail
    assert error.status == 422


def test_text_only_answer_is_an_upstream_error_quoting_the_text(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    stub.push("text_only", text="I would rather describe it:\n a shiny robot. " * 20)

    error = fail(provider)

    assert error.reason is FailureReason.UPSTREAM_ERROR
    assert error.detail.startswith("The model answered without an image")
    assert "I would rather describe it: a shiny robot." in error.detail
    assert len(error.detail) < 300


def test_non_safety_finish_without_image_is_an_upstream_error(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    stub.push("finish", reason="NO_IMAGE")

    error = fail(provider)

    assert error.reason is FailureReason.UPSTREAM_ERROR
    assert "NO_IMAGE" in error.detail


def test_a_200_that_is_not_json_is_an_upstream_error(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    stub.push("not_json")

    error = fail(provider)

    assert error.reason is FailureReason.UPSTREAM_ERROR
    assert "not a Gemini response" in error.detail


# --- the network ---------------------------------------------------------------------------------


def test_slow_answer_beyond_the_timeout_is_a_timeout(stub: GeminiStub) -> None:
    stub.push("slow", delay_s=8)
    provider = GeminiProvider(KEY, base_url=stub.url, timeout_s=1)

    started = time.monotonic()
    error = fail(provider)
    elapsed = time.monotonic() - started

    assert error.reason is FailureReason.TIMEOUT
    assert elapsed < 4  # gave up at the timeout, did not wait for the 8 s answer
    assert stub.calls == 1


def test_slow_answer_within_the_timeout_succeeds(stub: GeminiStub) -> None:
    stub.push("slow", delay_s=0.3)
    image = GeminiProvider(KEY, base_url=stub.url, timeout_s=3).generate(make_request())
    assert image.data.startswith(b"\x89PNG")


def test_dropped_connection_is_an_upstream_error(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    stub.push("drop")
    assert fail(provider).reason is FailureReason.UPSTREAM_ERROR
    assert stub.calls == 1


def test_refused_connection_is_an_upstream_error() -> None:
    error = fail(GeminiProvider(KEY, base_url=refused_url(), timeout_s=2))
    assert error.reason is FailureReason.UPSTREAM_ERROR


def test_concurrent_generations_share_one_client() -> None:
    with GeminiStub(latency_s=0.3) as stub:
        provider = GeminiProvider(KEY, base_url=stub.url)
        results: list[bytes] = []
        lock = threading.Lock()

        def generate(i: int) -> None:
            image = provider.generate(make_request(f"robot number {i}"))
            with lock:
                results.append(image.data)

        threads = [threading.Thread(target=generate, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert len(results) == 16 and len(set(results)) == 16
        assert stub.calls == 16
        assert stub.max_in_flight > 1


# --- the key -------------------------------------------------------------------------------------


def test_the_key_never_appears_in_errors_reprs_or_logs(
    stub: GeminiStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = GeminiProvider(KEY, base_url=stub.url, timeout_s=1)
    stub.push("error", status=400, message=f"API key not valid: {KEY}")  # a proxy echoing it
    stub.push("error", status=403)
    stub.push("rate_limited")
    stub.push("text_only", text="no")
    stub.push("slow", delay_s=5)
    stub.push("drop")
    errors = [fail(provider) for _ in range(6)]
    errors.append(fail(GeminiProvider(KEY, base_url=refused_url(), timeout_s=1)))

    for error in errors:
        for shown in (str(error), repr(error), error.detail, error.hint):
            assert KEY not in shown
    assert KEY not in repr(provider)
    assert KEY not in caplog.text
    assert "[redacted]" in errors[0].detail


# --- configuration -------------------------------------------------------------------------------


def test_sdk_base_url_env_var_is_honoured(
    stub: GeminiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", stub.url)

    GeminiProvider(KEY).generate(make_request())

    assert stub.calls == 1


def test_explicit_base_url_wins_over_the_env_var(
    stub: GeminiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", refused_url())
    GeminiProvider(KEY, base_url=stub.url).generate(make_request())
    assert stub.calls == 1


def test_no_key_is_not_configured_even_with_a_key_in_the_environment(
    stub: GeminiStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "env-key-the-provider-must-not-use")

    error = fail(GeminiProvider("", base_url=stub.url))

    assert error.reason is FailureReason.NOT_CONFIGURED
    assert stub.calls == 0


def test_a_reference_gemini_would_refuse_is_sent_as_png(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    gif = io.BytesIO()
    Image.new("P", (16, 16), 3).save(gif, format="GIF")
    provider.generate(make_request(reference=gif.getvalue()))

    inline = stub.requests[0].parts[0]["inlineData"]
    assert inline.get("mimeType", inline.get("mime_type")) == "image/png"
    with Image.open(io.BytesIO(base64.urlsafe_b64decode(inline["data"]))) as sent:
        assert (sent.format, sent.size) == ("PNG", (16, 16))


def test_an_undecodable_reference_is_invalid_input(
    stub: GeminiStub, provider: GeminiProvider
) -> None:
    error = fail(provider, make_request(reference=b"<svg xmlns='http://www.w3.org/2000/svg'/>"))
    assert error.reason is FailureReason.INVALID_INPUT
    assert stub.calls == 0


def test_one_client_per_key_endpoint_and_timeout(stub: GeminiStub) -> None:
    first = GeminiProvider(KEY, base_url=stub.url, timeout_s=5)
    second = GeminiProvider(KEY, base_url=stub.url, timeout_s=5)
    first.generate(make_request())
    second.generate(make_request())

    shared = client_for(KEY, stub.url, 5)
    assert client_for(KEY, stub.url, 5.0) is shared
    assert client_for("another-key", stub.url, 5) is not shared
    assert client_for(KEY, stub.url, 30) is not shared
    assert client_for(KEY, None, 5) is not shared
    assert stub.calls == 2
