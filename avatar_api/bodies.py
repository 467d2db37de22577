"""Reading the generate endpoint's body: JSON ``{identity_prompt}`` or a multipart form.

One endpoint takes both because a reference image is optional: scripts send JSON, browsers and
``curl -F`` send a form. Oversized uploads are refused from their declared length before spooling.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from avatar_core import FORM_OVERHEAD_BYTES, MAX_UPLOAD_BYTES, InvalidInput

from .inputs import GenerateIn

__all__ = ["Form", "read_form", "read_generate_body"]

_FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_generate_body(request: Request) -> tuple[str, bytes | None]:
    """(identity prompt, reference image bytes or None)."""
    if request.headers.get("content-type", "").startswith(_FORMS):
        return await _read_form(request)
    body = await request.body()
    if not body.strip():
        raise InvalidInput("The request body is empty: send JSON {\"identity_prompt\": \"...\"} "
                           "or a multipart form")
    try:
        parsed = GenerateIn.model_validate_json(body)
    except ValidationError as exc:
        # The same 422 FastAPI gives any other endpoint's malformed body.
        raise RequestValidationError(
            [{**err, "loc": ("body", *err.get("loc", ()))} for err in exc.errors()]) from None
    return parsed.identity_prompt, None


async def _read_form(request: Request) -> tuple[str, bytes | None]:
    form = await read_form(request, file_field="reference_image", text_fields=("identity_prompt",))
    prompt = form.texts.get("identity_prompt")
    if not isinstance(prompt, str):
        raise InvalidInput("identity_prompt is required (1-500 characters)")
    return prompt, form.file


@dataclass(frozen=True)
class Form:
    """A multipart form with at most one file: its text fields, and the file's name and bytes."""

    texts: dict[str, str]
    filename: str
    file: bytes | None


async def read_form(request: Request, *, file_field: str,
                    text_fields: tuple[str, ...] = ()) -> Form:
    """Read a multipart form holding one upload; over-size and malformed forms are refused."""
    too_big = f"The upload is over the {MAX_UPLOAD_BYTES // (1024 * 1024)} MB limit"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
        raise InvalidInput(too_big)
    texts: dict[str, str] = {}
    try:
        # ``async with`` closes the spooled upload files when we are done with them.
        async with request.form(max_files=1, max_fields=5, max_part_size=64 * 1024) as form:
            upload = form.get(file_field)
            for name in text_fields:
                value = form.get(name)
                if isinstance(value, str):
                    texts[name] = value
            data = None
            filename = ""
            if upload is not None and not isinstance(upload, str):
                data = await upload.read(MAX_UPLOAD_BYTES + 1)
                filename = upload.filename or ""
    except Exception as exc:
        problem = getattr(exc, "detail", None) or type(exc).__name__
        raise InvalidInput(f"Could not read the multipart body: {problem}") from None
    if data is not None and len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput(too_big)
    if isinstance(upload, str) and upload:
        raise InvalidInput(f"{file_field} must be a file upload")
    return Form(texts, filename, data)
