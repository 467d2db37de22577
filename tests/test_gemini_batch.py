"""GeminiBatches through the real google-genai client against the stub's Batch and Files API.

The SDK creates batches, uploads input files with its resumable protocol, polls and downloads
results; the stub answers like the Gemini Developer API and records what it received.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import random
from typing import Any

import pytest
from gemini_server import GeminiStub
from PIL import Image

from avatar_core.foundation.errors import FailureReason, GenerationError
from avatar_core.providers.base import BatchImageProvider, GeneratedImage, ImageRequest
from avatar_core.providers.gemini import GeminiProvider, image_call
from avatar_core.providers.gemini_batch import (
    INLINE_BATCH_MAX_BYTES,
    BatchItem,
    BatchState,
    BatchStatus,
    GeminiBatches,
    wire_request,
)
from avatar_core.providers.gemini_client import close_clients

KEY = "test-secret-gemini-key-31b7c4"
UPLOAD_CHUNK_BYTES = 8 * 1024 * 1024  # google-genai's resumable upload chunk


@pytest.fixture
def batches(stub: GeminiStub) -> GeminiBatches:
    return GeminiBatches(KEY, base_url=stub.url, timeout_s=5)


@pytest.fixture
def via_file(stub: GeminiStub) -> GeminiBatches:
    """Every batch over the (lowered) inline limit: it goes up as a file."""
    return GeminiBatches(KEY, base_url=stub.url, timeout_s=5, inline_limit_bytes=1)


def make_request(agent: str, reference: bytes | None = None) -> ImageRequest:
    prompt = f"A friendly robot called {agent}"
    return ImageRequest(
        kind="identity" if reference is None else "emotion",
        agent_name=agent,
        identity_prompt=prompt,
        prompt=prompt,
        seed=3,
        reference=reference,
    )


def items(*agents: str) -> list[BatchItem]:
    return [BatchItem(key=agent, request=make_request(agent)) for agent in agents]


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (40, 90, 200)).save(out, format="PNG")
    return out.getvalue()


def poll_until_done(batches: GeminiBatches, name: str) -> list[BatchStatus]:
    seen = [batches.status(name)]
    while not seen[-1].done:
        assert len(seen) < 20, "the batch never finished"
        seen.append(batches.status(name))
    return seen


def fail(call: Any, *args: Any) -> GenerationError:
    with pytest.raises(GenerationError) as info:
        call(*args)
    return info.value


# --- inline --------------------------------------------------------------------------------------


def test_a_small_batch_goes_inline_and_every_item_comes_back(
    stub: GeminiStub, batches: GeminiBatches
) -> None:
    name = batches.submit(items("ada", "bob", "cy"), "defaults-1")

    final = poll_until_done(batches, name)[-1]

    assert name.startswith("batches/")
    assert final.state is BatchState.SUCCEEDED and final.error is None
    assert set(final.results) == {"ada", "bob", "cy"}
    images = [final.results[key] for key in ("ada", "bob", "cy")]
    for image in images:
        assert isinstance(image, GeneratedImage)
        with Image.open(io.BytesIO(image.data)) as decoded:
            assert (decoded.format, decoded.size) == ("PNG", (32, 32))
    assert len({image.data for image in images if isinstance(image, GeneratedImage)}) == 3
    record = stub.batches.batch(name)
    assert (record.source, record.display_name, record.model) == (
        "inline",
        "defaults-1",
        "gemini-3.1-flash-image",
    )
    assert stub.batches.uploads == []


def test_each_item_is_the_request_the_interactive_provider_sends(stub: GeminiStub) -> None:
    request = make_request("ada", reference=png_bytes())
    GeminiProvider(KEY, base_url=stub.url, timeout_s=5).generate(request)
    GeminiBatches(KEY, base_url=stub.url, timeout_s=5).submit([BatchItem("ada", request)], "x")

    interactive = stub.requests[0].body
    _, batched = stub.batches.created[0].items[0]
    assert batched["generationConfig"] == interactive["generationConfig"] == {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "1:1"},
    }
    parts = batched["contents"][0]["parts"]
    assert [list(part) for part in parts] == [["inlineData"], ["text"]]  # reference first
    assert decoded_parts(batched) == decoded_parts(interactive)
    assert wire_request(image_call(request))["generationConfig"] == batched["generationConfig"]


def decoded_parts(body: dict[str, Any]) -> list[Any]:
    """Parts with inline data decoded (the SDK may pick either base64 alphabet)."""
    parts: list[Any] = []
    for part in body["contents"][0]["parts"]:
        if "inlineData" in part:
            blob = part["inlineData"]
            data = base64.urlsafe_b64decode(blob["data"].replace("+", "-").replace("/", "_"))
            parts.append((blob.get("mimeType", blob.get("mime_type")), data))
        else:
            parts.append(part)
    return parts


def test_is_a_batch_image_provider(batches: GeminiBatches) -> None:
    assert isinstance(batches, BatchImageProvider)
    assert (batches.name, batches.model, batches.inline_limit_bytes) == (
        "gemini",
        "gemini-3.1-flash-image",
        INLINE_BATCH_MAX_BYTES,
    )


# --- through a file ------------------------------------------------------------------------------


def test_a_batch_over_the_inline_limit_goes_up_as_a_jsonl_file(
    stub: GeminiStub, via_file: GeminiBatches
) -> None:
    name = via_file.submit(items("ada", "bob"), "defaults-2")

    final = poll_until_done(via_file, name)[-1]

    assert final.state is BatchState.SUCCEEDED
    assert all(isinstance(final.results[key], GeneratedImage) for key in ("ada", "bob"))
    (uploaded,) = stub.batches.uploads
    assert (uploaded.mime_type, uploaded.display_name) == ("jsonl", "defaults-2")
    lines = [json.loads(line) for line in uploaded.data.decode().splitlines()]
    assert [line["key"] for line in lines] == ["ada", "bob"]
    assert lines[0]["request"] == wire_request(image_call(make_request("ada")))
    assert stub.batches.batch(name).source == "file"


def test_a_file_larger_than_one_upload_chunk_arrives_whole(
    stub: GeminiStub, via_file: GeminiBatches
) -> None:
    noise = io.BytesIO()  # incompressible: 4.3 MB of PNG, 5.8 MB once in base64
    Image.frombytes("RGB", (1200, 1200), random.Random(7).randbytes(1200 * 1200 * 3)).save(
        noise, format="PNG", compress_level=0
    )
    reference = noise.getvalue()
    many = [BatchItem(f"agent-{i}", make_request(f"agent-{i}", reference)) for i in range(3)]

    name = via_file.submit(many, "big")

    (uploaded,) = stub.batches.uploads
    assert len(uploaded.data) > 2 * UPLOAD_CHUNK_BYTES  # the SDK sent three chunks or more
    record = stub.batches.batch(name)
    assert [key for key, _ in record.items] == [item.key for item in many]
    sent = record.items[2][1]["contents"][0]["parts"][0]["inlineData"]["data"]
    assert base64.urlsafe_b64decode(sent) == reference  # proto JSON takes either alphabet


def test_the_inline_limit_counts_the_encoded_requests(stub: GeminiStub) -> None:
    two = items("ada", "bob")
    size = sum(len(json.dumps({"key": i.key, "request": wire_request(image_call(i.request))}))
               for i in two)
    GeminiBatches(KEY, base_url=stub.url, inline_limit_bytes=size * 10).submit(two, "fits")
    GeminiBatches(KEY, base_url=stub.url, inline_limit_bytes=size).submit(two, "too-big")

    assert [record.source for record in stub.batches.created] == ["inline", "file"]


# --- states --------------------------------------------------------------------------------------


def test_the_state_walks_pending_running_succeeded(
    stub: GeminiStub, batches: GeminiBatches
) -> None:
    stub.batches.walk("pending", "pending", "running", "succeeded")
    name = batches.submit(items("ada"), "walk")

    seen = poll_until_done(batches, name)

    assert [status.state for status in seen] == [
        BatchState.PENDING,
        BatchState.RUNNING,
        BatchState.SUCCEEDED,
    ]
    assert [bool(status.results) for status in seen] == [False, False, True]
    assert [status.done for status in seen] == [False, False, True]
    assert batches.status(name).state is BatchState.SUCCEEDED  # a finished batch stays so


@pytest.mark.parametrize(
    ("final", "reason", "words"),
    [
        ("failed", FailureReason.UPSTREAM_ERROR, "failed"),
        ("expired", FailureReason.TIMEOUT, "expired"),
        ("cancelled", FailureReason.UNKNOWN, "cancelled"),
    ],
)
def test_a_batch_that_ends_without_results_says_why(
    stub: GeminiStub, batches: GeminiBatches, final: Any, reason: FailureReason, words: str
) -> None:
    stub.batches.walk("pending", "running", final)
    name = batches.submit(items("ada", "bob"), "doomed")

    status = poll_until_done(batches, name)[-1]

    assert status.state is BatchState(final)
    assert status.done and status.results == {}
    assert status.error is not None
    assert status.error.reason is reason
    assert words in status.error.detail


# --- per-item failures ---------------------------------------------------------------------------

PER_ITEM_SCRIPT: list[tuple[Any, dict[str, Any], FailureReason | None]] = [
    ("image", {}, None),
    ("finish", {"reason": "IMAGE_SAFETY"}, FailureReason.SAFETY_FILTER),
    ("blocked", {"reason": "PROHIBITED_CONTENT"}, FailureReason.SAFETY_FILTER),
    ("text_only", {"text": "I would rather not."}, FailureReason.UPSTREAM_ERROR),
    ("error", {"status": 400}, FailureReason.INVALID_INPUT),
    ("rate_limited", {}, FailureReason.RATE_LIMITED),
    ("error", {"status": 500}, FailureReason.UPSTREAM_ERROR),
]


@pytest.mark.parametrize("mode", ["inline", "file"])
def test_each_items_failure_is_its_own_classified_error(stub: GeminiStub, mode: str) -> None:
    batches = GeminiBatches(
        KEY, base_url=stub.url, inline_limit_bytes=1 if mode == "file" else INLINE_BATCH_MAX_BYTES
    )
    for kind, options, _ in PER_ITEM_SCRIPT:
        stub.push(kind, **options)
    keys = [f"item-{i}" for i in range(len(PER_ITEM_SCRIPT))]

    status = poll_until_done(batches, batches.submit(items(*keys), "mixed"))[-1]

    assert stub.batches.created[0].source == mode
    assert status.state is BatchState.SUCCEEDED
    for key, (_, _, reason) in zip(keys, PER_ITEM_SCRIPT, strict=True):
        result = status.results[key]
        if reason is None:
            assert isinstance(result, GeneratedImage)
        else:
            assert isinstance(result, GenerationError), key
            assert result.reason is reason, (key, result.detail)
    safety = status.results["item-1"]
    assert isinstance(safety, GenerationError) and "IMAGE_SAFETY" in safety.detail
    quoted = status.results["item-3"]
    assert isinstance(quoted, GenerationError) and "I would rather not." in quoted.detail


# --- after a restart -----------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [INLINE_BATCH_MAX_BYTES, 1], ids=["inline", "file"])
def test_a_new_object_polls_a_batch_by_name_after_a_restart(stub: GeminiStub, limit: int) -> None:
    stub.push("image", color=(10, 200, 30))
    name = GeminiBatches(KEY, base_url=stub.url, inline_limit_bytes=limit).submit(
        items("ada"), "before-restart"
    )
    close_clients()  # the process that submitted is gone, and its client with it

    status = poll_until_done(GeminiBatches(KEY, base_url=stub.url), name)[-1]

    image = status.results["ada"]
    assert isinstance(image, GeneratedImage)
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.getpixel((0, 0)) == (10, 200, 30)


# --- refusals and errors -------------------------------------------------------------------------


def test_a_misspelled_model_is_not_configured_and_named() -> None:
    with GeminiStub(known_models={"gemini-3.1-flash-image"}) as stub:
        batches = GeminiBatches(KEY, model="gemini-3.1-flash-imag", base_url=stub.url)
        error = fail(batches.submit, items("ada"), "x")

    assert error.reason is FailureReason.NOT_CONFIGURED
    assert error.detail == (
        "The Gemini image model 'gemini-3.1-flash-imag' is not available to this key (404 "
        "NOT_FOUND: shut down or misspelled); set AVATARS_GEMINI_MODEL to auto or to one of "
        "the image models this key can use: gemini-3.1-flash-image"
    )


def test_an_unknown_batch_is_reported_by_name(stub: GeminiStub, batches: GeminiBatches) -> None:
    error = fail(batches.status, "batches/doesnotexist")
    assert "'batches/doesnotexist' was not found (404)" in error.detail


def test_a_name_that_is_not_a_batch_is_refused_without_a_call(
    stub: GeminiStub, batches: GeminiBatches
) -> None:
    assert fail(batches.status, "files/abc").reason is FailureReason.INVALID_INPUT
    assert stub.calls == 0


@pytest.mark.parametrize(
    "bad",
    [[], items("ada", "ada"), [BatchItem("", make_request("ada"))]],
    ids=["empty", "repeated-key", "blank-key"],
)
def test_ambiguous_batches_are_refused_without_a_call(
    stub: GeminiStub, batches: GeminiBatches, bad: list[BatchItem]
) -> None:
    assert fail(batches.submit, bad, "x").reason is FailureReason.INVALID_INPUT
    assert stub.calls == 0


def test_no_key_is_not_configured_without_a_call(stub: GeminiStub) -> None:
    batches = GeminiBatches("", base_url=stub.url)
    assert fail(batches.submit, items("ada"), "x").reason is FailureReason.NOT_CONFIGURED
    assert fail(batches.status, "batches/abc").reason is FailureReason.NOT_CONFIGURED
    assert stub.calls == 0


def test_a_failed_upload_is_an_upstream_error_and_creates_no_batch(
    stub: GeminiStub, via_file: GeminiBatches
) -> None:
    stub.batches.fail_next_upload(503)

    error = fail(via_file.submit, items("ada"), "x")

    assert error.reason is FailureReason.UPSTREAM_ERROR
    assert stub.batches.created == []


def test_the_key_never_appears_in_errors_reprs_or_logs(
    stub: GeminiStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    batches = GeminiBatches(KEY, base_url=stub.url, inline_limit_bytes=1)
    stub.push("error", status=400, message=f"API key not valid: {KEY}")
    name = batches.submit(items("ada"), "x")
    stub.batches.fail_next_upload(500)
    errors = [
        fail(batches.submit, items("bob"), "y"),
        fail(batches.status, "batches/missing"),
    ]
    item = poll_until_done(batches, name)[-1].results["ada"]
    assert isinstance(item, GenerationError)
    errors.append(item)

    for error in errors:
        assert KEY not in f"{error} {error!r} {error.detail}"
    assert KEY not in repr(batches)
    assert KEY not in caplog.text
