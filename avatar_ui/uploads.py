"""An uploaded picture, checked before anything shows it.

The service validates the upload (size, pixel count, a real decode) and only then makes a small
PNG preview, so a hostile file — an 8000×8000 PNG of 60 KB, say — is refused with our message
and never decoded in full by a preview. The result is kept per uploaded file in the session, so
reruns (typing in the dialog) do not decode it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import streamlit as st

from avatar_core import AvatarError

from .service import get_service

__all__ = ["CheckedUpload", "check_upload"]


class Uploaded(Protocol):
    """What we use of Streamlit's ``UploadedFile``."""

    file_id: str

    def getvalue(self) -> bytes: ...


@dataclass(frozen=True)
class CheckedUpload:
    """A checked upload: its bytes and preview when valid, else why it was refused."""

    data: bytes | None = None
    preview: bytes | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def check_upload(upload: Uploaded | None, key: str) -> CheckedUpload | None:
    """``upload`` validated and previewed (None when nothing is uploaded)."""
    if upload is None:
        st.session_state.pop(key, None)
        return None
    held = st.session_state.get(key)
    if isinstance(held, tuple) and held[0] == upload.file_id:
        return held[1]  # type: ignore[no-any-return]
    data = upload.getvalue()
    try:
        checked = CheckedUpload(data=data, preview=get_service().preview_upload(data))
    except AvatarError as exc:
        checked = CheckedUpload(error=exc.detail)
    st.session_state[key] = (upload.file_id, checked)
    return checked
