"""A local server that speaks Gemini's REST protocol, for tests and benchmarks.

The provider is tested through the real ``google-genai`` client, so the seam is the network:
point the SDK at ``GeminiStub.url`` (``base_url`` or ``GOOGLE_GEMINI_BASE_URL``) and script what
Google would answer — images, refined prompts from a text model, errors in Google's
``{"error": {...}}`` format, 429s carrying a ``google.rpc.RetryInfo`` delay, safety finish
reasons, prompt blocks, empty answers, slow answers and dropped connections. With an empty
script an image model's request gets a freshly drawn PNG and any other model's a refined text.
The Batch and Files APIs live in ``gemini_batch_server`` and answer on the same port
(``stub.batches``); batch items take their answers from the same script.

Usage::

    with GeminiStub(latency_s=0.5, quota_per_min=120) as stub:
        stub.push("rate_limited", retry_delay_s=2)
        stub.push("finish", reason="IMAGE_SAFETY")
        ...  # GeminiProvider(api_key="k", base_url=stub.url).generate(request)
        assert stub.calls == 2
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from tests.gemini_batch_server import BatchStub
from tests.gemini_models_server import ModelCatalog
from tests.gemini_wire import (
    KINDS,
    ScriptedResponse,
    StubKind,
    WireAnswer,
    answer,
    default_kind,
    error_body,
    model_not_found_body,
    rate_limited_body,
)

__all__ = ["GeminiStub", "ReceivedRequest", "ScriptedResponse", "StubKind", "refused_url"]

# /v1/models/gemini-3.1-flash-image:generateContent, /v1beta/…, /v1alpha/… — the SDK's default
# API version changes between releases, so any v1* prefix is accepted.
_PATH = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+):generateContent$")
_WINDOW_S = 60.0


def _digest(request: ReceivedRequest) -> str:
    return hashlib.sha256(json.dumps([request.model, request.body], sort_keys=True)
                          .encode()).hexdigest()


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

    @property
    def system_instruction(self) -> str | None:
        """The system instruction's text, as the SDK sent it (None when there was none)."""
        instruction = self.body.get("systemInstruction")
        if not instruction:
            return None
        return "".join(part.get("text", "") for part in instruction.get("parts", []))

    @property
    def thinking_budget(self) -> int | None:
        # google-genai 3.x passes ThinkingConfig through unconverted ("thinking_budget"); proto
        # JSON accepts both spellings, so the stub does too.
        thinking = self.generation_config.get("thinkingConfig") or {}
        return thinking.get("thinkingBudget", thinking.get("thinking_budget"))

    @property
    def max_output_tokens(self) -> int | None:
        return self.generation_config.get("maxOutputTokens")


class GeminiStub:
    """A threaded HTTP server on 127.0.0.1 (free port) that answers like the Gemini API.

    ``latency_s`` delays every generateContent answer except quota 429s (Google refuses those
    at once); ``quota_per_min`` caps accepted requests in any sliding 60 s window and answers
    the excess with 429 RESOURCE_EXHAUSTED and a ``retryDelay`` saying when a slot frees up.
    ``models`` is the key's model catalogue (``gemini_models_server``): ``models.list`` and
    ``models.get`` answer the 2026 lineup, shut-down names answer 404 NOT_FOUND, and
    ``known_models`` replaces the lineup (then every other name is a 404, as Google answers a
    misspelled model).
    """

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        quota_per_min: int | None = None,
        quota_mode: Literal["window", "rate"] = "window",
        image_size: int = 256,
        known_models: Collection[str] | None = None,
        quota_window_s: float = _WINDOW_S,
    ) -> None:
        self.latency_s = latency_s
        # The window "window" mode counts in (a test scales a per-minute quota down to seconds).
        self.quota_window_s = quota_window_s
        self.models = ModelCatalog(known_models)
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
        self._admitted: list[str] = []  # digests of the requests let through the quota
        self._in_flight = 0
        self._max_in_flight = 0
        self._closing = threading.Event()
        self._tokens = max(1.0, (quota_per_min or 0) / 60.0)
        self.batches = BatchStub(self)
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
    def repeated_calls(self) -> int:
        """Requests let through the quota that repeat an earlier one byte for byte (the same
        face or emotion asked for, and paid for, twice)."""
        with self._lock:
            return len(self._admitted) - len(set(self._admitted))

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
        - ``rate_limited``: ``retry_delay_s`` (1), ``message``; ``retry_delay`` (the
          ``retryDelay`` text as sent, e.g. ``"inf"``), ``retry_after`` (a Retry-After header)
        - ``finish``: ``reason`` ("SAFETY"; also IMAGE_SAFETY, PROHIBITED_CONTENT, …)
        - ``blocked``: ``reason`` ("SAFETY"; promptFeedback.blockReason)
        - ``text``: ``text`` (default: the user's words, expanded), ``finish`` ("STOP"); a
          text model's answer. ``text_only`` is the same answer to an image model
        - ``empty``: a candidate without parts, ``finish`` ("STOP"); or ``no_candidates=True``
        - ``slow``: ``delay_s`` (5), then the model's default answer (an image, or a text)
        - ``drop``: close the connection without answering
        - ``not_json``: 200 with an HTML body (a proxy's login page), ``body`` to override
        """
        if kind not in KINDS:
            raise ValueError(f"unknown stub kind {kind!r}; expected one of {sorted(KINDS)}")
        with self._lock:
            self._script.append(ScriptedResponse(kind, dict(options)))
        return self

    def clear(self) -> None:
        """Forget the script, the received requests and the quota window."""
        with self._lock:
            self._script.clear()
            self._requests.clear()
            self._accepted.clear()
            self._admitted.clear()
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

    def next_scripted(self, model: str) -> ScriptedResponse:
        """Pop the next scripted answer (batch items draw from the same script)."""
        with self._lock:
            return self._pop(model)

    def _pop(self, model: str) -> ScriptedResponse:
        return self._script.popleft() if self._script else ScriptedResponse(default_kind(model))

    def _count(self) -> None:
        with self._lock:
            self._calls += 1

    def _admit(self, request: ReceivedRequest) -> tuple[ScriptedResponse, float | None]:
        """Count the call, apply the quota, pop the script: (answer, quota retry delay or None)."""
        with self._lock:
            self._calls += 1
            self._requests.append(request)
            now = time.monotonic()
            while self._accepted and now - self._accepted[0] >= self.quota_window_s:
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
                self._admitted.append(_digest(request))
                return self._pop(request.model), None
            if self.quota_per_min is not None and len(self._accepted) >= self.quota_per_min:
                self._rate_limited += 1
                frees_at = self._accepted[0] + self.quota_window_s
                return ScriptedResponse("rate_limited"), max(1.0, math.ceil(frees_at - now))
            self._accepted.append(now)
            self._admitted.append(_digest(request))
            return self._pop(request.model), None

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
        self._route("GET")

    def do_POST(self) -> None:
        with self.server.stub._answering():
            self._route("POST")

    def _route(self, method: str) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        # not counted in ``calls``
        listed = stub.models.route(method, self.path, headers.get("x-goog-api-key"))
        if listed is not None:
            return self._send_answer(listed)
        routed = stub.batches.route(method, self.path, headers, raw)
        if routed is not None:
            stub._count()
            return self._send_answer(routed)
        match = _PATH.match(self.path.split("?", 1)[0])
        if method != "POST" or match is None:
            stub._count()
            message = f"No route for {method} {self.path}"
            return self._send_answer(WireAnswer(404, error_body(404, "NOT_FOUND", message)))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            stub._count()
            message = "Invalid JSON payload received."
            return self._send_answer(WireAnswer(400, error_body(400, "INVALID_ARGUMENT", message)))
        request = ReceivedRequest(self.path, match["model"], headers, body)
        self._generate(request, match["version"], raw)

    def _generate(self, request: ReceivedRequest, version: str, raw: bytes) -> None:
        stub = self.server.stub
        scripted, quota_delay = stub._admit(request)
        if quota_delay is not None:
            payload = rate_limited_body(quota_delay, "Quota exceeded (stub).")
            return self._send_answer(WireAnswer(429, payload))
        stub._sleep(stub.latency_s)
        if stub.models.refuses(request.model):
            return self._send_answer(WireAnswer(404, model_not_found_body(request.model, version)))
        if scripted.kind == "slow":
            stub._sleep(float(scripted.options.get("delay_s", 5.0)))
            if stub._closing.is_set():
                return self._drop()
        self._send_answer(answer(scripted, raw, request.model, stub.image_size))

    def _send_answer(self, wire: WireAnswer) -> None:
        if wire.drop:
            return self._drop()
        self._send(wire.status, wire.content_type, wire.body, wire.headers)

    def _drop(self) -> None:
        """Hang up without a status line: the client sees a protocol/connection error."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(
        self, status: int, content_type: str, data: bytes, headers: dict[str, str] | None = None
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (its timeout); nothing to do


def refused_url() -> str:
    """A base URL on which nothing listens (a port just released), for connection failures."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
