"""Fixtures of the AppTest page tests: a fresh service per test, configured through the
environment as the real server is, so ``app.py`` runs unchanged on real SQLite files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit import config as streamlit_config

from tests.gemini_server import GeminiStub
from tests.helpers import gemini_env
from tests.page_helpers import reset


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


@pytest.fixture
def gemini_app(stub: GeminiStub, monkeypatch: pytest.MonkeyPatch) -> GeminiStub:
    """The app's service draws with Gemini (the real SDK) against ``stub``."""
    for name, value in gemini_env(stub).items():
        monkeypatch.setenv(name, value)
    reset()
    return stub
