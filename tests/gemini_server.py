"""A local server that speaks Gemini's generateContent REST protocol, for tests and benchmarks.

The provider is tested through the real ``google-genai`` client, so the seam is the network:
point the SDK at ``GeminiStub.url`` (``base_url`` or ``GOOGLE_GEMINI_BASE_URL``) and script what
Google would answer — images, errors in Google's ``{"error": {...}}`` format, 429s carrying a
``google.rpc.RetryInfo`` delay, safety finish reasons, prompt blocks, slow answers and dropped
connections. With an empty script every request gets a freshly drawn PNG.

Usage::

    with GeminiStub(latency_s=0.5, quota_per_min=120) as stub:
        stub.push("rate_limited", retry_delay_s=2)
        stub.push("finish", reason="IMAGE_SAFETY")
        ...  # GeminiProvider(api_key="k", base_url=stub.url).generate(request)
        assert stub.calls == 2
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from PIL import Image, ImageDraw

__all__ = ["GeminiStub", "ReceivedRequest", "ScriptedResponse", "StubKind", "refused_url"]

StubKind = Literal[
    "image", "error", "rate_limited", "finish", "blocked", "text_only", "slow", "drop", "not_json"
]
_KINDS: frozenset[str] = frozenset(StubKind.__args__)  # type: ignore[attr-defined]

# /v1/models/gemini-2.5-flash-image:generateContent, /v1beta/…, /v1alpha/… — the SDK's default
# API version changes between releases, so any v1* prefix is accepted.
_PATH = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+):generateContent$")

# Canonical gRPC status names for the HTTP codes tests use, as Google's error bodies carry them.
_GRPC_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_WINDOW_S = 60.0


@dataclass(frozen=True)
class ReceivedRequest:
    """One generateContent call as the stub saw it (headers lower-cased)."""

    path: str
    model: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def api_key(self) -> str | None:
        return self.headers.get("x-goog-api-key")

    @property
    def parts(self) -> list[dict[str, Any]]:
        """The parts of the (single) user turn, in the order they were sent."""
        contents = self.body.get("contents") or []
        return list(contents[0].get("parts", [])) if contents else []

    @property
    def generation_config(self) -> dict[str, Any]:
        return dict(self.body.get("generationConfig") or {})


@dataclass(frozen=True)
class ScriptedResponse:
    """One queued answer: a ``kind`` and its options (see ``GeminiStub.push``)."""

    kind: StubKind
    options: dict[str, Any] = field(default_factory=dict)


class GeminiStub:
    """A threaded HTTP server on 127.0.0.1 (free port) that answers like generateContent.

    ``latency_s`` delays every answer except quota 429s (Google refuses those at once);
    ``quota_per_min`` caps accepted requests in any sliding 60 s window and answers the excess
    with 429 RESOURCE_EXHAUSTED and a ``retryDelay`` saying when a slot frees up.
    """

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        quota_per_min: int | None = None,
        quota_mode: Literal["window", "rate"] = "window",
        image_size: int = 256,
    ) -> None:
        self.latency_s = latency_s
        self.quota_per_min = quota_per_min
        # "window": at most N in any sliding 60 s (bursts pass); "rate": a token bucket that
        # refills N/60 per second with one second of burst, like a per-second enforced quota.
        self.quota_mode = quota_mode
        self._tokens = 0.0
        self._refilled_at = time.monotonic()
        self.image_size = image_size
        self._lock = threading.Lock()
        self._script: deque[ScriptedResponse] = deque()
        self._requests: list[ReceivedRequest] = []
        self._accepted: deque[float] = deque()  # monotonic times of requests within quota
        self._calls = 0
        self._rate_limited = 0
        self._in_flight = 0
        self._max_in_flight = 0
        self._closing = threading.Event()
        self._tokens = max(1.0, (quota_per_min or 0) / 60.0)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="gemini-stub",
            daemon=True,
        )
        self._thread.start()

    # --- public API ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL for ``HttpOptions(base_url=...)`` or ``GOOGLE_GEMINI_BASE_URL``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[ReceivedRequest]:
        """A snapshot of every well-formed generateContent request received, in order."""
        with self._lock:
            return list(self._requests)

    @property
    def calls(self) -> int:
        """HTTP requests received (including refused and dropped ones)."""
        with self._lock:
            return self._calls

    @property
    def rate_limited(self) -> int:
        """Requests answered 429 because of ``quota_per_min`` (scripted 429s not counted)."""
        with self._lock:
            return self._rate_limited

    @property
    def max_in_flight(self) -> int:
        """The most requests the stub was answering at the same time (checks concurrency)."""
        with self._lock:
            return self._max_in_flight

    def push(self, kind: StubKind, **options: Any) -> GeminiStub:
        """Queue the answer to a future request; scripted answers are used first-in first-out.

        Options per kind:

        - ``image``: ``data`` (bytes; default a drawn PNG), ``mime_type`` ("image/png"),
          ``color`` ((r, g, b); default derived from the request), ``text`` (an extra text part)
        - ``error``: ``status`` (HTTP code, 500), ``grpc_status`` (default from the code),
          ``message``, ``details`` (list of Google ``details`` objects)
        - ``rate_limited``: ``retry_delay_s`` (1), ``message``
        - ``finish``: ``reason`` ("SAFETY"; also IMAGE_SAFETY, PROHIBITED_CONTENT, …)
        - ``blocked``: ``reason`` ("SAFETY"; promptFeedback.blockReason)
        - ``text_only``: ``text``
        - ``slow``: ``delay_s`` (5), then an image
        - ``drop``: close the connection without answering
        - ``not_json``: 200 with an HTML body (a proxy's login page), ``body`` to override
        """
        if kind not in _KINDS:
            raise ValueError(f"unknown stub kind {kind!r}; expected one of {sorted(_KINDS)}")
        with self._lock:
            self._script.append(ScriptedResponse(kind, dict(options)))
        return self

    def clear(self) -> None:
        """Forget the script, the received requests and the quota window."""
        with self._lock:
            self._script.clear()
            self._requests.clear()
            self._accepted.clear()
            self._calls = 0
            self._rate_limited = 0
            self._max_in_flight = self._in_flight

    def close(self) -> None:
        """Stop serving; sleeping handlers wake up at once instead of finishing their delay."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        # Hang up kept-alive connections too: a cached SDK client must not keep talking to a
        # stopped stub (or to a later stub that happens to get the same port).
        with self._server.connections_lock:
            connections = list(self._server.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def __enter__(self) -> GeminiStub:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GeminiStub(url={self.url!r}, calls={self.calls})"

    # --- used by the handler ------------------------------------------------------------------

    def _admit(self, request: ReceivedRequest | None) -> tuple[ScriptedResponse, float | None]:
        """Count the call, apply the quota, pop the script: (answer, quota retry delay or None)."""
        with self._lock:
            self._calls += 1
            if request is not None:
                self._requests.append(request)
            now = time.monotonic()
            while self._accepted and now - self._accepted[0] >= _WINDOW_S:
                self._accepted.popleft()
            if self.quota_per_min is not None and self.quota_mode == "rate":
                per_s = self.quota_per_min / 60.0
                burst = max(1.0, per_s)
                self._tokens = min(burst, self._tokens + (now - self._refilled_at) * per_s)
                self._refilled_at = now
                if self._tokens < 1.0:
                    self._rate_limited += 1
                    return ScriptedResponse("rate_limited"), round((1.0 - self._tokens) / per_s, 3)
                self._tokens -= 1.0
                answer = self._script.popleft() if self._script else ScriptedResponse("image")
                return answer, None
            if self.quota_per_min is not None and len(self._accepted) >= self.quota_per_min:
                self._rate_limited += 1
                frees_at = self._accepted[0] + _WINDOW_S
                return ScriptedResponse("rate_limited"), max(1.0, math.ceil(frees_at - now))
            self._accepted.append(now)
            answer = self._script.popleft() if self._script else ScriptedResponse("image")
            return answer, None

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)

    def _draw(self, body: bytes, color: tuple[int, int, int] | None) -> bytes:
        """A plain square whose colour is a digest of the request: different asks, different
        images, and the same ask the same image."""
        if color is None:
            digest = hashlib.sha256(body).digest()
            color = (digest[0], digest[1], digest[2])
        size = self.image_size
        image = Image.new("RGB", (size, size), color)
        inset = size // 4
        ImageDraw.Draw(image).ellipse(
            (inset, inset, size - inset, size - inset), fill=tuple(255 - c for c in color)
        )
        out = io.BytesIO()
        image.save(out, format="PNG")
        return out.getvalue()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256  # bursts of concurrent clients must not be refused by the backlog
    stub: GeminiStub

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Google; every answer has Content-Length
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms ACK stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output

    def do_GET(self) -> None:
        self._send_json(404, _error_body(404, "NOT_FOUND", f"No route for GET {self.path}"))

    def do_POST(self) -> None:
        with self.server.stub._answering():
            self._post()

    def _post(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        match = _PATH.match(self.path.split("?", 1)[0])
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if match is None or not isinstance(body, dict):
            stub._admit(None)
            self._send_json(
                404 if match is None else 400,
                _error_body(404, "NOT_FOUND", f"No route for POST {self.path}")
                if match is None
                else _error_body(400, "INVALID_ARGUMENT", "Invalid JSON payload received."),
            )
            return
        request = ReceivedRequest(
            path=self.path,
            model=match["model"],
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        answer, quota_delay = stub._admit(request)
        if quota_delay is not None:
            self._send_json(429, _rate_limited_body(quota_delay, "Quota exceeded (stub)."))
            return
        stub._sleep(stub.latency_s)
        self._answer(answer, raw)

    def _answer(self, answer: ScriptedResponse, raw: bytes) -> None:
        stub = self.server.stub
        opts = answer.options
        kind = answer.kind
        if kind == "slow":
            stub._sleep(float(opts.get("delay_s", 5.0)))
            if stub._closing.is_set():
                return self._drop()
            kind = "image"
        if kind == "image":
            data = opts.get("data") or stub._draw(raw, opts.get("color"))
            parts: list[dict[str, Any]] = []
            if opts.get("text"):
                parts.append({"text": opts["text"]})
            parts.append(
                {
                    "inlineData": {
                        "mimeType": opts.get("mime_type", "image/png"),
                        "data": base64.b64encode(data).decode("ascii"),
                    }
                }
            )
            self._send_json(200, _candidate_body(parts, "STOP"))
        elif kind == "error":
            status = int(opts.get("status", 500))
            grpc = opts.get("grpc_status") or _GRPC_STATUS.get(status, "UNKNOWN")
            message = opts.get("message") or f"Stub error {status} {grpc}."
            self._send_json(status, _error_body(status, grpc, message, opts.get("details")))
        elif kind == "rate_limited":
            delay = float(opts.get("retry_delay_s", 1.0))
            message = opts.get("message") or "Resource has been exhausted (e.g. check quota)."
            self._send_json(429, _rate_limited_body(delay, message))
        elif kind == "finish":
            self._send_json(200, _candidate_body(None, opts.get("reason", "SAFETY")))
        elif kind == "blocked":
            self._send_json(
                200,
                {
                    "promptFeedback": {"blockReason": opts.get("reason", "SAFETY")},
                    "modelVersion": "stub",
                },
            )
        elif kind == "text_only":
            text = opts.get("text", "I can't draw that, but here is a description instead.")
            self._send_json(200, _candidate_body([{"text": text}], "STOP"))
        elif kind == "drop":
            self._drop()
        elif kind == "not_json":
            self._send(200, "text/html", opts.get("body", b"<html><body>Sign in</body></html>"))

    def _drop(self) -> None:
        """Hang up without a status line: the client sees a protocol/connection error."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, "application/json; charset=UTF-8", json.dumps(payload).encode())

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (its timeout); nothing to do


def _candidate_body(parts: list[dict[str, Any]] | None, finish_reason: str) -> dict[str, Any]:
    candidate: dict[str, Any] = {"finishReason": finish_reason, "index": 0}
    if parts is not None:
        candidate["content"] = {"role": "model", "parts": parts}
    return {
        "candidates": [candidate],
        "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10},
        "modelVersion": "stub",
    }


def _error_body(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return {"error": error}


def _rate_limited_body(delay_s: float, message: str) -> dict[str, Any]:
    delay = f"{int(delay_s)}s" if float(delay_s).is_integer() else f"{delay_s:.3f}s"
    return _error_body(
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


def refused_url() -> str:
    """A base URL on which nothing listens (a port just released), for connection failures."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
