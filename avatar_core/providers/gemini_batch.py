"""Gemini Batch API: the same image requests for half the price, results within 24 hours.

A batch is created once (``submit``) and polled by name (``status``), by this process or by
another one after a restart: nothing but the name needs to be kept. Decisions:

- **The same request as an interactive generation**: every item is built by
  ``gemini.image_call`` and its answer read by ``gemini.image_from``, so a batched avatar is
  asked for, and judged (safety, no image, …), exactly like one drawn while a person waits.
- **Inline under Google's limit, a file above it**: inline requests must keep the create call
  "under 20MB"; larger batches go up as a JSONL file through the Files API. Results come back
  the same way the requests went (inline responses, or a results file to download).
- **Results are keyed by our key** (inline: request metadata; file: the line's ``key``), never
  by position, so a missing or reordered answer cannot land on the wrong agent.
- **Found again by display name**: each job's batch has a display name of its own, so a submit
  whose answer was lost (a timeout, a crash before the name was stored) is looked up
  (``find``) instead of submitted and paid for a second time.
- **Per-item errors are data**: a ``google.rpc.Status`` in an item becomes that item's
  GenerationError through the same classifier as an interactive call.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from google.genai import errors as genai_errors
from google.genai import types

from ..foundation.config import DEFAULT_GEMINI_TIMEOUT_S
from ..foundation.errors import FailureReason, GenerationError, InvalidInput
from .base import BatchItem, BatchState, BatchStatus, GeneratedImage
from .gemini import ImageCall, image_call, image_from
from .gemini_client import call_failure, require_key
from .gemini_endpoint import GeminiEndpoint

__all__ = [
    "INLINE_BATCH_MAX_BYTES",
    "BatchItem",
    "BatchState",
    "BatchStatus",
    "GeminiBatches",
    "wire_request",
]

# Google: inline requests suit "smaller batches that keep the total request size under 20MB".
INLINE_BATCH_MAX_BYTES = 20_000_000
# {"batch": {"displayName": …, "inputConfig": {"requests": {"requests": [ … ]}}}} and commas.
_ENVELOPE_BYTES = 512
_LIST_PAGE = 100  # batches per page when looking one up by display name
_BATCH_NAME = re.compile(r"^batches/[^/]+$")

_STATES = {
    types.JobState.JOB_STATE_PENDING: BatchState.PENDING,
    types.JobState.JOB_STATE_QUEUED: BatchState.PENDING,
    types.JobState.JOB_STATE_PAUSED: BatchState.PENDING,
    types.JobState.JOB_STATE_RUNNING: BatchState.RUNNING,
    types.JobState.JOB_STATE_UPDATING: BatchState.RUNNING,
    types.JobState.JOB_STATE_CANCELLING: BatchState.RUNNING,  # results may still come
    types.JobState.JOB_STATE_SUCCEEDED: BatchState.SUCCEEDED,
    types.JobState.JOB_STATE_PARTIALLY_SUCCEEDED: BatchState.SUCCEEDED,
    types.JobState.JOB_STATE_FAILED: BatchState.FAILED,
    types.JobState.JOB_STATE_EXPIRED: BatchState.EXPIRED,
    types.JobState.JOB_STATE_CANCELLED: BatchState.CANCELLED,
}
_ENDED_WITHOUT_RESULTS = {
    BatchState.FAILED: (FailureReason.UPSTREAM_ERROR, "The Gemini batch failed"),
    BatchState.EXPIRED: (
        FailureReason.TIMEOUT,
        "The Gemini batch expired before it finished (Google gives a batch 48 hours)",
    ),
    BatchState.CANCELLED: (FailureReason.UNKNOWN, "The Gemini batch was cancelled"),
}
# google.rpc.Code (what a per-item error carries) → the HTTP code and status name the same
# failure has in an interactive call, so that one classification table serves both.
_RPC_CODES = {
    1: (499, "CANCELLED"),
    2: (500, "UNKNOWN"),
    3: (400, "INVALID_ARGUMENT"),
    4: (504, "DEADLINE_EXCEEDED"),
    5: (404, "NOT_FOUND"),
    6: (409, "ALREADY_EXISTS"),
    7: (403, "PERMISSION_DENIED"),
    8: (429, "RESOURCE_EXHAUSTED"),
    9: (400, "FAILED_PRECONDITION"),
    10: (409, "ABORTED"),
    11: (400, "OUT_OF_RANGE"),
    12: (501, "UNIMPLEMENTED"),
    13: (500, "INTERNAL"),
    14: (503, "UNAVAILABLE"),
    15: (500, "DATA_LOSS"),
    16: (401, "UNAUTHENTICATED"),
}

ItemResult = GeneratedImage | GenerationError


def wire_request(call: ImageCall) -> dict[str, Any]:
    """``call`` as a GenerateContentRequest in REST JSON (one line of a batch input file).

    Built from the same SDK objects the interactive call sends; only the client-side switch
    (``automatic_continuation``) stays out of ``generationConfig``.
    """
    return {
        "contents": [
            content.model_dump(mode="json", by_alias=True, exclude_none=True)
            for content in call.contents
        ],
        "generationConfig": call.config.model_dump(
            mode="json", by_alias=True, exclude_none=True, exclude={"automatic_continuation"}
        ),
    }


class GeminiBatches(GeminiEndpoint):
    """Creates Gemini image batches and reads them back; raises ``GenerationError``."""

    def __init__(
        self,
        api_key: str,
        model: str | None = None,
        timeout_s: float = DEFAULT_GEMINI_TIMEOUT_S,
        base_url: str | None = None,
        *,
        inline_limit_bytes: int = INLINE_BATCH_MAX_BYTES,
    ) -> None:
        super().__init__(api_key, model, timeout_s, base_url)
        self.inline_limit_bytes = inline_limit_bytes

    def submit(self, items: Sequence[BatchItem], display_name: str) -> str:
        """Create one batch for ``items``; its name (``batches/…``), to store and poll."""
        require_key(self._api_key)
        calls = {item.key: image_call(item.request) for item in _checked(items)}
        lines = [
            json.dumps({"key": key, "request": wire_request(call)}, separators=(",", ":"))
            for key, call in calls.items()
        ]
        if sum(len(line) + 1 for line in lines) + _ENVELOPE_BYTES < self.inline_limit_bytes:
            source: types.BatchJobSourceUnionDict = types.BatchJobSource(
                inlined_requests=[
                    types.InlinedRequest(
                        contents=call.contents, config=call.config, metadata={"key": key}
                    )
                    for key, call in calls.items()
                ]
            )
        else:
            source = self._upload("\n".join(lines).encode() + b"\n", display_name)
        job = self.calling(lambda model: self._client().batches.create(
            model=model, src=source, config=types.CreateBatchJobConfig(display_name=display_name)))
        if not job.name:
            raise GenerationError(
                FailureReason.UPSTREAM_ERROR, "Gemini created the batch without naming it"
            )
        return job.name

    def status(self, name: str) -> BatchStatus:
        """Poll the batch ``name``; once it succeeded, every returned item's result."""
        require_key(self._api_key)
        if not _BATCH_NAME.match(name):
            raise InvalidInput(f"Not a Gemini batch name: {name[:60]!r}")
        try:
            job = self._client().batches.get(name=name)
        except Exception as exc:
            raise call_failure(
                exc,
                self._api_key,
                not_found=f"The Gemini batch {name!r} was not found (404): it may have been "
                "deleted, or belong to another API key's project",
            ) from exc
        state = _STATES.get(job.state, BatchState.PENDING) if job.state else BatchState.PENDING
        if state is BatchState.SUCCEEDED:
            return BatchStatus(name=name, state=state, results=self._results(job))
        if state in _ENDED_WITHOUT_RESULTS:
            reason, detail = _ENDED_WITHOUT_RESULTS[state]
            return BatchStatus(name=name, state=state, error=GenerationError(reason, detail))
        return BatchStatus(name=name, state=state)

    def find(self, display_name: str) -> str | None:
        """The name of a batch of this key's project created as ``display_name``, or None."""
        require_key(self._api_key)
        try:
            for job in self._client().batches.list(config=types.ListBatchJobsConfig(
                    page_size=_LIST_PAGE)):
                if job.display_name == display_name and job.name:
                    return job.name
        except Exception as exc:
            raise call_failure(exc, self._api_key) from exc
        return None

    def _upload(self, jsonl: bytes, display_name: str) -> str:
        """Upload the input file (the SDK's resumable protocol); its ``files/…`` name."""
        try:
            uploaded = self._client().files.upload(
                file=io.BytesIO(jsonl),
                config=types.UploadFileConfig(mime_type="jsonl", display_name=display_name),
            )
        except Exception as exc:
            raise call_failure(exc, self._api_key) from exc
        if not uploaded.name:
            raise GenerationError(
                FailureReason.UPSTREAM_ERROR, "Gemini stored the batch input without naming it"
            )
        return uploaded.name

    def _results(self, job: types.BatchJob) -> dict[str, ItemResult]:
        dest = job.dest
        if dest is not None and dest.inlined_responses is not None:
            return dict(_inline_results(dest.inlined_responses, self._api_key))
        if dest is not None and dest.file_name:
            try:
                data = self._client().files.download(file=dest.file_name)
            except Exception as exc:
                raise call_failure(exc, self._api_key) from exc
            return dict(_file_results(data, self._api_key))
        raise GenerationError(
            FailureReason.UPSTREAM_ERROR, "The Gemini batch succeeded but returned no results"
        )


def _checked(items: Sequence[BatchItem]) -> Sequence[BatchItem]:
    """Refuse what would make results ambiguous: no items, empty or repeated keys."""
    if not items:
        raise InvalidInput("A batch needs at least one item")
    seen: set[str] = set()
    for item in items:
        if not item.key or item.key in seen:
            raise InvalidInput(f"Batch keys must be unique and not empty: {item.key[:60]!r}")
        seen.add(item.key)
    return items


def _inline_results(
    responses: Sequence[types.InlinedResponse], api_key: str
) -> Iterator[tuple[str, ItemResult]]:
    for item in responses:
        key = (item.metadata or {}).get("key")
        if not key:
            continue  # not ours to place; the key counts as not returned
        if item.error is not None:
            yield key, _item_error(item.error.code, item.error.message, api_key)
        elif item.response is not None:
            yield key, _image_or_error(item.response)
        else:
            yield key, _item_error(None, "The item came back empty", api_key)


def _file_results(data: bytes, api_key: str) -> Iterator[tuple[str, ItemResult]]:
    for raw_line in data.decode("utf-8", errors="replace").splitlines():
        if not raw_line.strip():
            continue
        try:
            line = json.loads(raw_line)
        except ValueError:
            continue  # a damaged line cannot be attributed to any key
        key = line.get("key") if isinstance(line, dict) else None
        if not isinstance(key, str) or not key:
            continue
        error, response = line.get("error"), line.get("response")
        if isinstance(error, dict):
            yield key, _item_error(error.get("code"), error.get("message"), api_key)
        elif isinstance(response, dict):
            # The SDK's own parse of a REST answer: it drops fields this SDK does not know
            # yet (a plain model_validate would refuse them) and decodes base64 image data.
            parsed = types.GenerateContentResponse._from_response(response=response, kwargs={})
            yield key, _image_or_error(parsed)
        else:
            yield key, _item_error(None, "The item came back empty", api_key)


def _image_or_error(response: types.GenerateContentResponse) -> ItemResult:
    try:
        return image_from(response)
    except GenerationError as error:
        return error


def _item_error(code: Any, message: Any, api_key: str) -> GenerationError:
    """A per-item ``google.rpc.Status`` classified like the same error in an interactive call."""
    rpc = _RPC_CODES.get(code) if isinstance(code, int) else None
    if rpc is not None:
        http_code, status = rpc
    elif isinstance(code, int) and 400 <= code <= 599:  # an HTTP code instead of an rpc one
        http_code, status = code, ""
    else:
        http_code, status = 500, "UNKNOWN"
    text = str(message or status or "no message")
    body = {"error": {"code": http_code, "message": text, "status": status or None}}
    error = call_failure(genai_errors.APIError(http_code, body), api_key)
    return GenerationError(error.reason, f"Batch item failed: {error.detail}")
