"""What the AppTest page tests share: a fresh service per test, opening a page, reading it.

Each test configures the service through the environment (as the real server is configured),
so ``app.py`` runs unchanged, on real SQLite files under tmp_path.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from PIL import Image
from streamlit import config as streamlit_config
from streamlit.testing.v1 import AppTest

from avatar_core import runtime
from avatar_ui.text import WORD_JOINER

__all__ = ["APP", "PAGES", "fresh_app", "open_page", "png", "protos", "reset", "texts",
           "unescaped", "wait_for"]

APP = Path(__file__).resolve().parent.parent / "app.py"
# Not "pages/": Streamlit would treat that folder as a v1 multipage app and serve its files
# without app.py (no frame) until some session first ran st.navigation.
PAGES = ("app_pages/dashboard.py", "app_pages/agent_detail.py", "app_pages/settings.py")


@pytest.fixture(autouse=True)
def fresh_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A service on tmp_path per test: empty, built-in provider, small pools."""
    monkeypatch.setenv("AVATARS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AVATARS_DEMO", "0")
    monkeypatch.setenv("AVATARS_PROVIDER", "builtin")
    monkeypatch.setenv("AVATARS_CONCURRENCY", "2")
    monkeypatch.setenv("AVATARS_REFINE_PROMPT", "off")  # no text call before each image call
    monkeypatch.delenv("AVATARS_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("AVATARS_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml of the developer
    # The first st.App of a process fixes Streamlit's script path from the working directory;
    # restore it after the test, or a later test's App would look for app.py in tmp_path.
    monkeypatch.setattr(streamlit_config, "_main_script_path", streamlit_config._main_script_path)
    reset()
    yield
    reset()


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
    deadline = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < deadline, "page never reached the expected state"
        time.sleep(0.3)
        at.run()
        assert not at.exception, at.exception


def png(color: tuple[int, int, int] = (40, 90, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buffer, "PNG")
    return buffer.getvalue()
