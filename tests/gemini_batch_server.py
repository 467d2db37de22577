"""The Gemini Developer API's Batch and Files protocol, answered inside ``GeminiStub``.

What the ``google-genai`` SDK sends (``batches.py``, ``files.py``, ``_api_client.py``):

- ``POST /v1beta/models/{model}:batchGenerateContent`` with ``{"batch": {"displayName",
  "inputConfig": {"requests": {"requests": [{"request": {...}, "metadata": {"key": ...}}]}}
  | {"fileName": "files/…"}}}``; the answer is an Operation whose ``metadata`` is the batch.
- ``GET /v1beta/batches`` (``pageSize``, ``pageToken``): ``{"operations": [...],
  "nextPageToken"}``, every batch of the project (how a lost submit is found again).
- ``GET /v1beta/batches/{id}``: the same Operation; once done, ``metadata.output`` holds
  ``inlinedResponses.inlinedResponses`` (for inline input) or ``responsesFile`` (for file input).
- ``POST /upload/v1beta/files`` (``X-Goog-Upload-Command: start``) answers an
  ``X-Goog-Upload-URL``; chunks go there with ``upload`` / ``upload, finalize`` and an offset,
  and every answer carries ``X-Goog-Upload-Status`` (without it the SDK retries, sleeping).
- ``GET /v1beta/files/{id}:download?alt=media``: the results file, one JSON line per item
  (``{"key", "response"}`` or ``{"key", "error"}``).

Each created batch walks through scripted states, one step per GET (default pending → running
→ succeeded); items take their answers from the stub's script when the batch is created, so
``stub.push("finish", reason="IMAGE_SAFETY")`` before a submit makes that item a safety block.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urlsplit

from tests.gemini_wire import RPC_CODES, WireAnswer, answer, error_body, model_not_found_body

if TYPE_CHECKING:
    from tests.gemini_server import GeminiStub

__all__ = ["BatchRecord", "BatchStub", "StateName", "StoredFile"]

StateName = Literal["pending", "running", "succeeded", "failed", "expired", "cancelled"]
DEFAULT_WALK: tuple[StateName, ...] = ("pending", "running", "succeeded")
_WIRE_STATES = {
    "pending": "BATCH_STATE_PENDING",
    "running": "BATCH_STATE_RUNNING",
    "succeeded": "BATCH_STATE_SUCCEEDED",
    "failed": "BATCH_STATE_FAILED",
    "expired": "BATCH_STATE_EXPIRED",
    "cancelled": "BATCH_STATE_CANCELLED",
}
_TYPE_PREFIX = "type.googleapis.com/google.ai.generativelanguage.v1main."
_CREATE = re.compile(r"^/(?P<version>v1[a-z0-9]*)/models/(?P<model>[^/:]+):batchGenerateContent$")
_LIST = re.compile(r"^/v1[a-z0-9]*/batches$")
_GET = re.compile(r"^/v1[a-z0-9]*/(?P<name>batches/[^/:]+)$")
_UPLOAD = re.compile(r"^/upload/(?P<version>v1[a-z0-9]*)/files$")
_DOWNLOAD = re.compile(r"^/v1[a-z0-9]*/(?P<name>files/[^/:]+):download$")


@dataclass
class StoredFile:
    """A file in the stub's Files API: an uploaded input, or a batch's results."""

    name: str
    display_name: str
    mime_type: str
    data: bytes


@dataclass
class BatchRecord:
    """One created batch as the stub keeps it."""

    name: str
    model: str
    display_name: str
    source: Literal["inline", "file"]
    items: list[tuple[str, dict[str, Any]]]  # (key, GenerateContentRequest) as received
    results: list[dict[str, Any]]  # per item: {"response": …} or {"error": google.rpc.Status}
    walk: tuple[StateName, ...]
    position: int = 0
    polls: int = 0

    @property
    def state(self) -> StateName:
        return self.walk[self.position]


@dataclass
class _Upload:
    display_name: str
    mime_type: str
    size: int
    data: bytearray = field(default_factory=bytearray)


class BatchStub:
    """The batch and file routes of one ``GeminiStub`` (reached as ``stub.batches``)."""

    def __init__(self, stub: GeminiStub) -> None:
        self._stub = stub
        self._lock = threading.Lock()
        self._walks: deque[tuple[StateName, ...]] = deque()
        self._batches: dict[str, BatchRecord] = {}
        self._files: dict[str, StoredFile] = {}
        self._uploads: dict[str, _Upload] = {}
        self._upload_failures: deque[int] = deque()
        self._create_holds: deque[threading.Event] = deque()
        self.lists = 0  # GET /batches answered

    # --- scripting and inspection -------------------------------------------------------------

    def walk(self, *states: StateName) -> BatchStub:
        """The states the next created batch goes through, one per GET (the last one stays)."""
        if not states or any(state not in _WIRE_STATES for state in states):
            raise ValueError(f"states must be some of {sorted(_WIRE_STATES)}")
        with self._lock:
            self._walks.append(tuple(states))
        return self

    def fail_next_upload(self, status: int = 500) -> BatchStub:
        """Refuse the next file upload's data with ``status`` (Google's error format)."""
        with self._lock:
            self._upload_failures.append(status)
        return self

    def hold_next_create(self) -> threading.Event:
        """Record the next batch, then keep its create call unanswered until the returned
        event is set (a client that times out, or is killed, before it learns the name)."""
        release = threading.Event()
        with self._lock:
            self._create_holds.append(release)
        return release

    @property
    def created(self) -> list[BatchRecord]:
        with self._lock:
            return list(self._batches.values())

    def batch(self, name: str) -> BatchRecord:
        with self._lock:
            return self._batches[name]

    @property
    def uploads(self) -> list[StoredFile]:
        """Files the client uploaded (batch inputs), in order."""
        with self._lock:
            return [f for f in self._files.values() if not f.name.startswith("files/results")]

    # --- routing ------------------------------------------------------------------------------

    def route(
        self, method: str, path: str, headers: dict[str, str], raw: bytes
    ) -> WireAnswer | None:
        """The answer to a batch or file request, or None when ``path`` is not one of ours."""
        parts = urlsplit(path)
        if method == "POST" and (match := _CREATE.match(parts.path)):
            return self._create(match["model"], match["version"], raw)
        if method == "GET" and _LIST.match(parts.path):
            return self._list(parse_qs(parts.query))
        if method == "GET" and (match := _GET.match(parts.path)):
            return self._get(match["name"])
        if method == "POST" and _UPLOAD.match(parts.path):
            upload_id = parse_qs(parts.query).get("upload_id", [""])[0]
            if upload_id:
                return self._upload_chunk(upload_id, headers, raw)
            return self._start(parts.path, headers, raw)
        if method == "GET" and (match := _DOWNLOAD.match(parts.path)):
            return self._download(match["name"])
        return None

    def _create(self, model: str, version: str, raw: bytes) -> WireAnswer:
        if self._stub.models.refuses(model):
            return WireAnswer(404, model_not_found_body(model, version, "batchGenerateContent"))
        try:
            batch = json.loads(raw)["batch"]
            items, source = self._items(batch["inputConfig"])
        except (ValueError, KeyError, TypeError) as exc:
            return _invalid(f"Invalid batch request: {exc}")
        results = [self._item_result(model, request) for _, request in items]
        with self._lock:
            record = BatchRecord(
                name=f"batches/{secrets.token_hex(8)}",
                model=model,
                display_name=str(batch.get("displayName", "")),
                source=source,
                items=items,
                results=results,
                walk=self._walks.popleft() if self._walks else DEFAULT_WALK,
            )
            self._batches[record.name] = record
            hold = self._create_holds.popleft() if self._create_holds else None
            answer_ = WireAnswer(payload=self._operation(record))
        if hold is not None:
            hold.wait(timeout=120)
        return answer_

    def _list(self, query: dict[str, list[str]]) -> WireAnswer:
        size = int(query.get("pageSize", ["50"])[0] or 50)
        start = int(query.get("pageToken", ["0"])[0] or 0)
        with self._lock:
            self.lists += 1
            records = list(self._batches.values())[start:start + size]
            payload: dict[str, Any] = {"operations": [self._operation(r) for r in records]}
            if start + size < len(self._batches):
                payload["nextPageToken"] = str(start + size)
        return WireAnswer(payload=payload)

    def _items(
        self, input_config: dict[str, Any]
    ) -> tuple[list[tuple[str, dict[str, Any]]], Literal["inline", "file"]]:
        if "fileName" in input_config:
            with self._lock:
                stored = self._files[input_config["fileName"]]
            lines = [json.loads(line) for line in stored.data.decode().splitlines() if line.strip()]
            return [(str(line["key"]), dict(line["request"])) for line in lines], "file"
        requests = input_config["requests"]["requests"]
        return [(str(r["metadata"]["key"]), dict(r["request"])) for r in requests], "inline"

    def _item_result(self, model: str, request: dict[str, Any]) -> dict[str, Any]:
        """What the model answers this item, from the same script as interactive calls."""
        scripted = self._stub.next_scripted(model)
        raw = json.dumps(request, sort_keys=True).encode()
        wire = answer(scripted, raw, model, self._stub.image_size)
        if wire.status == 200 and wire.payload is not None:
            return {"response": wire.payload}
        error = (wire.payload or {}).get("error", {})
        code = RPC_CODES.get(str(error.get("status")), 13)
        return {"error": {"code": code, "message": error.get("message", "Internal error.")}}

    def _get(self, name: str) -> WireAnswer:
        with self._lock:
            record = self._batches.get(name)
            if record is None:
                return WireAnswer(404, error_body(404, "NOT_FOUND", f"Batch {name} not found."))
            record.polls += 1
            record.position = min(record.position + 1, len(record.walk) - 1)
            return WireAnswer(payload=self._operation(record))

    def _operation(self, record: BatchRecord) -> dict[str, Any]:
        """The batch as Google's long-running Operation (called with the lock held)."""
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        metadata: dict[str, Any] = {
            "@type": _TYPE_PREFIX + "GenerateContentBatch",
            "name": record.name,
            "model": f"models/{record.model}",
            "displayName": record.display_name,
            "state": _WIRE_STATES[record.state],
            "createTime": now,
            "updateTime": now,
            "batchStats": {"requestCount": str(len(record.items))},
        }
        operation: dict[str, Any] = {"name": record.name, "metadata": metadata}
        if record.state == "succeeded":
            metadata["output"] = self._output(record)
            response = {"@type": _TYPE_PREFIX + "GenerateContentBatchOutput"}
            operation.update(done=True, response=response | metadata["output"])
        elif record.state in ("failed", "expired", "cancelled"):
            operation["done"] = True
            if record.state == "failed":
                operation["error"] = {"code": 13, "message": "Batch processing failed (stub)."}
        return operation

    def _output(self, record: BatchRecord) -> dict[str, Any]:
        keyed = list(zip([key for key, _ in record.items], record.results, strict=True))
        if record.source == "inline":
            responses = [result | {"metadata": {"key": key}} for key, result in keyed]
            return {"inlinedResponses": {"inlinedResponses": responses}}
        name = f"files/results{record.name.removeprefix('batches/')}"
        if name not in self._files:
            lines = [json.dumps({"key": key} | result) for key, result in keyed]
            data = ("\n".join(lines) + "\n").encode()
            self._files[name] = StoredFile(name, f"{record.display_name} results", "jsonl", data)
        return {"responsesFile": name}

    # --- files --------------------------------------------------------------------------------

    def _start(self, path: str, headers: dict[str, str], raw: bytes) -> WireAnswer:
        if headers.get("x-goog-upload-command") != "start":
            return _invalid("Expected X-Goog-Upload-Command: start")
        try:
            file = json.loads(raw or b"{}").get("file", {})
            size = int(headers["x-goog-upload-header-content-length"])
        except (ValueError, KeyError, AttributeError) as exc:
            return _invalid(f"Invalid upload start: {exc}")
        upload_id = secrets.token_hex(8)
        mime_type = headers.get("x-goog-upload-header-content-type", "")
        # The SDK passes its File model through unconverted ("display_name"); proto JSON
        # accepts both spellings.
        display_name = file.get("displayName", file.get("display_name", ""))
        with self._lock:
            self._uploads[upload_id] = _Upload(display_name, mime_type, size)
        url = f"{self._stub.url}{path}?upload_id={upload_id}"
        return WireAnswer(
            payload={}, headers={"X-Goog-Upload-URL": url, "X-Goog-Upload-Status": "active"}
        )

    def _upload_chunk(self, upload_id: str, headers: dict[str, str], raw: bytes) -> WireAnswer:
        command = headers.get("x-goog-upload-command", "")
        with self._lock:
            upload = self._uploads.get(upload_id)
            failure = self._upload_failures.popleft() if self._upload_failures else None
            if failure is not None or upload is None:
                status = failure or 404
                body = error_body(status, "INTERNAL" if failure else "NOT_FOUND", "Upload failed.")
                return WireAnswer(status, body, headers={"X-Goog-Upload-Status": "final"})
            if int(headers.get("x-goog-upload-offset", -1)) != len(upload.data):
                body = error_body(400, "INVALID_ARGUMENT", "Wrong upload offset.")
                return WireAnswer(400, body, headers={"X-Goog-Upload-Status": "final"})
            upload.data += raw
            if "finalize" not in command:
                return WireAnswer(payload={}, headers={"X-Goog-Upload-Status": "active"})
            del self._uploads[upload_id]
            name = f"files/{secrets.token_hex(6)}"
            self._files[name] = StoredFile(
                name, upload.display_name, upload.mime_type, bytes(upload.data)
            )
        file = {
            "name": name,
            "displayName": upload.display_name,
            "mimeType": upload.mime_type,
            "sizeBytes": str(len(upload.data)),
            "state": "ACTIVE",
            "source": "UPLOADED",
            "uri": f"{self._stub.url}/v1beta/{name}",
        }
        return WireAnswer(payload={"file": file}, headers={"X-Goog-Upload-Status": "final"})

    def _download(self, name: str) -> WireAnswer:
        with self._lock:
            stored = self._files.get(name)
        if stored is None:
            return WireAnswer(404, error_body(404, "NOT_FOUND", f"File {name} not found."))
        return WireAnswer(data=stored.data, content_type="application/octet-stream")


def _invalid(message: str) -> WireAnswer:
    return WireAnswer(400, error_body(400, "INVALID_ARGUMENT", message))
