"""ASGI entry and navigation: `streamlit run app.py` serves the dashboard and /api on one port.

The server loads this module to find ``app``; Streamlit then runs it as ``__main__`` on every
rerun, so the UI lives under the ``__main__`` guard and no state lives here (it is in
``avatar_core.runtime``). The API is ``avatar_api``; the pages' glue is ``avatar_ui``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool

from avatar_api import api_mount
from avatar_core import reset_shared_service, shared_service, start_or_exit


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    # Check the settings, seed demo agents and resume background work when the server starts,
    # not on a page view; a bad setting stops the server here with its message.
    await run_in_threadpool(start_or_exit)
    try:
        yield
    finally:
        # Unfinished background work stays pending in the database and resumes next start.
        await run_in_threadpool(reset_shared_service)


app = st.App("app.py", routes=[api_mount(shared_service)], lifespan=lifespan)

if __name__ == "__main__":
    from avatar_ui.frame import draw_frame

    st.set_page_config(page_title="Agent Avatars", page_icon="🤖", layout="wide")
    navigation = st.navigation([
        st.Page("app_pages/dashboard.py", title="Dashboard Timeline",
                icon=":material/view_timeline:", default=True, url_path="dashboard"),
        st.Page("app_pages/agent_detail.py", title="Agent Detail",
                icon=":material/smart_toy:", url_path="agent"),
        st.Page("app_pages/settings.py", title="Settings",
                icon=":material/settings:", url_path="settings"),
    ])
    draw_frame()
    navigation.run()
