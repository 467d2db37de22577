"""What Google's Gemini REST API says, as plain data: the answers ``GeminiStub`` and its batch
part send (generateContent bodies, errors in Google's format, per-item batch results).

Pure functions of a scripted answer and the request, so that an interactive call and an item
of a batch get exactly the same answer for the same script.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image, ImageDraw

__all__ = [
    "GRPC_STATUS",
    "RPC_CODES",
    "ScriptedResponse",
    "StubKind",
    "WireAnswer",
    "answer",
    "default_kind",
    "error_body",
    "model_not_found_body",
    "rate_limited_body",
    "refined_text_for",
]

StubKind = Literal[
    "image",
    "text",
    "empty",
    "error",
    "rate_limited",
    "finish",
    "blocked",
    "text_only",
    "slow",
    "drop",
    "not_json",
]
KINDS: frozenset[str] = frozenset(StubKind.__args__)  # type: ignore[attr-defined]

# Canonical gRPC status names for the HTTP codes tests use, as Google's error bodies carry them.
GRPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
# google.rpc.Code numbers: what a per-item batch error (a google.rpc.Status) carries.
RPC_CODES = {
    "INVALID_ARGUMENT": 3,
    "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5,
    "PERMISSION_DENIED": 7,
    "RESOURCE_EXHAUSTED": 8,
    "INTERNAL": 13,
    "UNAVAILABLE": 14,
    "UNAUTHENTICATED": 16,
}


@dataclass(frozen=True)
class ScriptedResponse:
    """One queued answer: a ``kind`` and its options (see ``GeminiStub.push``)."""

    kind: StubKind
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WireAnswer:
    """An HTTP answer to send: a JSON payload, raw bytes, or a hang-up (``drop``)."""

    status: int = 200
    payload: dict[str, Any] | None = None
    data: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @property
    def body(self) -> bytes:
        return json.dumps(self.payload).encode() if self.payload is not None else self.data


def default_kind(model: str) -> StubKind:
    """Image models draw; every other model (the prompt refiner's) answers with text."""
    return "image" if "image" in model else "text"


def answer(scripted: ScriptedResponse, raw: bytes, model: str, image_size: int) -> WireAnswer:
    """The generateContent answer for ``scripted`` to the request body ``raw``."""
    opts, kind = scripted.options, scripted.kind
    if kind == "slow":  # the caller has waited already
        kind = default_kind(model)
    if kind == "image":
        data = opts.get("data") or draw_png(raw, opts.get("color"), image_size)
        parts: list[dict[str, Any]] = [{"text": opts["text"]}] if opts.get("text") else []
        inline = {"mimeType": opts.get("mime_type", "image/png"), "data": _b64(data)}
        parts.append({"inlineData": inline})
        return WireAnswer(payload=candidate_body(parts, "STOP"))
    if kind in ("text", "text_only"):
        text = opts.get("text") or (
            refined_text_for(raw)
            if kind == "text"
            else "I can't draw that, but here is a description instead."
        )
        return WireAnswer(payload=candidate_body([{"text": text}], opts.get("finish", "STOP")))
    if kind == "empty":  # a candidate with no parts (or none at all): nothing to read
        if opts.get("no_candidates"):
            return WireAnswer(payload={"modelVersion": "stub"})
        return WireAnswer(payload=candidate_body([], opts.get("finish", "STOP")))
    if kind == "error":
        status = int(opts.get("status", 500))
        grpc = opts.get("grpc_status") or GRPC_STATUS.get(status, "UNKNOWN")
        message = opts.get("message") or f"Stub error {status} {grpc}."
        return WireAnswer(status, error_body(status, grpc, message, opts.get("details")))
    if kind == "rate_limited":
        message = opts.get("message") or "Resource has been exhausted (e.g. check quota)."
        body = rate_limited_body(float(opts.get("retry_delay_s", 1.0)), message,
                                 opts.get("retry_delay"))
        header = opts.get("retry_after")
        return WireAnswer(429, body, headers={} if header is None else {"Retry-After": header})
    if kind == "finish":
        return WireAnswer(payload=candidate_body(None, opts.get("reason", "SAFETY")))
    if kind == "blocked":
        feedback = {"blockReason": opts.get("reason", "SAFETY")}
        return WireAnswer(payload={"promptFeedback": feedback, "modelVersion": "stub"})
    if kind == "drop":
        return WireAnswer(drop=True)
    # not_json: a proxy's login page with a 200
    body = opts.get("body", b"<html><body>Sign in</body></html>")
    return WireAnswer(data=body, content_type="text/html")


def refined_text_for(raw: bytes) -> str:
    """The text model's default answer: the user's words, expanded (and so recognisable)."""
    try:
        parts = json.loads(raw or b"{}")["contents"][-1]["parts"]
        prompt = " ".join(part.get("text", "") for part in parts).strip()
    except (ValueError, KeyError, IndexError, TypeError):
        prompt = ""
    return (
        f"{prompt or 'A robot'}, with a polished brushed-steel face, rounded cheek plates, "
        "warm teal eyes with soft irises, a small antenna and a friendly, confident smile."
    )


def draw_png(body: bytes, color: tuple[int, int, int] | None, size: int) -> bytes:
    """A plain square whose colour is a digest of the request: different asks, different
    images, and the same ask the same image."""
    if color is None:
        digest = hashlib.sha256(body).digest()
        color = (digest[0], digest[1], digest[2])
    image = Image.new("RGB", (size, size), color)
    inset = size // 4
    ImageDraw.Draw(image).ellipse(
        (inset, inset, size - inset, size - inset), fill=tuple(255 - c for c in color)
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def candidate_body(parts: list[dict[str, Any]] | None, finish_reason: str) -> dict[str, Any]:
    candidate: dict[str, Any] = {"finishReason": finish_reason, "index": 0}
    if parts is not None:
        candidate["content"] = {"role": "model", "parts": parts}
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10},
        "modelVersion": "stub",
    }


def error_body(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


def model_not_found_body(
    model: str, version: str, method: str = "generateContent"
) -> dict[str, Any]:
    """Google's answer to a model name it does not know (word for word, bar the name)."""
    return error_body(
        404,
        "NOT_FOUND",
        f"models/{model} is not found for API version {version}, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their supported "
        "methods.",
    )


def rate_limited_body(delay_s: float, message: str, raw_delay: str | None = None) -> dict[str, Any]:
    """Google's 429 body; ``raw_delay`` is sent as the ``retryDelay`` text as is (``"inf"``)."""
    delay = raw_delay or (f"{int(delay_s)}s" if float(delay_s).is_integer()
                          else f"{delay_s:.3f}s")
    return error_body(
        429,
        "RESOURCE_EXHAUSTED",
        message,
        [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": (
                            "generativelanguage.googleapis.com/generate_content_requests"
                        ),
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
        ],
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
