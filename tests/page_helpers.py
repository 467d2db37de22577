"""What the AppTest page tests share: opening a page, reading it, waiting for it.

Their fixtures (a fresh service per test, configured through the environment) are in
``tests/pages/conftest.py``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import streamlit as st
from PIL import Image
from streamlit.testing.v1 import AppTest

from avatar_core import runtime
from avatar_ui.text import WORD_JOINER
from tests.helpers import wait_until

__all__ = ["APP", "PAGES", "open_page", "png", "protos", "reset", "texts",
           "unescaped", "wait_for"]

APP = Path(__file__).resolve().parent.parent / "app.py"
# Not "pages/": Streamlit would treat that folder as a v1 multipage app and serve its files
# without app.py (no frame) until some session first ran st.navigation.
PAGES = ("app_pages/dashboard.py", "app_pages/agent_detail.py", "app_pages/settings.py")


def reset() -> None:
    runtime.reset_shared_service()
    st.cache_resource.clear()
    st.cache_data.clear()


def open_page(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    if page is not None:
        at.query_params.update(query)
        at.switch_page(page).run()
        assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    """Every string the page rendered: markdown, alerts, captions, HTML, code, widget values."""
    return "\n".join(str(proto) for proto in protos(at))


def protos(at: AppTest) -> Iterator[object]:
    def walk(node: object) -> Iterator[object]:
        proto = getattr(node, "proto", None)
        if proto is not None:
            yield proto
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)

    yield from walk(at._tree)


def unescaped(markdown: str) -> str:
    """What a reader sees of text escaped by ``avatar_ui.text.plain``: backslashes and the
    invisible word joiners dropped."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


def wait_for(at: AppTest, done: Callable[[AppTest], bool], timeout: float = 60) -> None:
    """Rerun the page until ``done`` holds of it."""

    def rerun_done() -> bool:
        if done(at):
            return True
        at.run()
        assert not at.exception, at.exception
        return False

    wait_until(rerun_done, timeout, every=0.3, message="page never reached the expected state")


def png(color: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, "PNG")
    return buffer.getvalue()
