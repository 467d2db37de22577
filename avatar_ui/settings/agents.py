"""Settings → Agents: add one, import many (CSV, JSON, or a zip with pictures), rename, delete."""

from __future__ import annotations

import streamlit as st

from avatar_core import (
    AGENT_TYPES,
    DESCRIPTION_MAX_CHARS,
    PROMPT_MAX_CHARS,
    Agent,
    AvatarService,
    ImportResult,
    agent_label,
)

from ..actions import act, ask, confirm
from ..admin import require_admin
from ..spend_controls import import_go_ahead
from ..text import plain

__all__ = ["show"]

_FLASH = "settings_agents_flash"


def show(service: AvatarService, unlocked: bool) -> None:
    if not unlocked:
        require_admin("Adding, importing, renaming or deleting agents")
    _add(service, unlocked)
    _import(service, unlocked)
    _rename_or_delete(service, unlocked)
    if flash := st.session_state.pop(_FLASH, None):
        st.success(plain(flash), icon=":material/check_circle:")


def _add(service: AvatarService, unlocked: bool) -> None:
    st.subheader("Add an agent")
    with st.form("settings_add_agent", clear_on_submit=True):
        name_col, display_col = st.columns(2)
        new_name = name_col.text_input("Name", key="settings_add_name",
                                       help="Slug: lowercase letters, digits, '-' or '_'")
        new_display = display_col.text_input("Display name", key="settings_add_display")
        new_type = st.selectbox("Type", AGENT_TYPES, index=AGENT_TYPES.index("other"),
                                key="settings_add_type")
        new_description = st.text_area("Description", key="settings_add_description",
                                       max_chars=DESCRIPTION_MAX_CHARS)
        new_prompt = st.text_area("Avatar prompt (optional)", key="settings_add_prompt",
                                  max_chars=PROMPT_MAX_CHARS,
                                  help="Seed prompt for the default avatar")
        new_system = st.checkbox("System agent (purple ring)", key="settings_add_system")
        if st.form_submit_button("Add agent", disabled=not unlocked):
            added = act(lambda: service.agents.register(
                new_name.strip(), new_display, new_type, new_description, new_prompt or None,
                new_system))
            if added is not None:
                st.success(plain(f"Added {added.display_name} ({added.name})."))


def _import(service: AvatarService, unlocked: bool) -> None:
    st.subheader("Import from CSV, JSON or a zip with pictures")
    st.caption("Columns: name, display_name, type, description, avatar_prompt, is_system. "
               "JSON: a list of objects (the output of GET /api/agents works). A .zip holds "
               "that file and a picture per agent named NAME.png, NAME.jpg or NAME.webp, each "
               "installed as that agent's default avatar.")
    upload = st.file_uploader("Agents file", type=["csv", "json", "zip"],
                              key="settings_import_file", disabled=not unlocked)
    pressed = upload is not None and st.button("Import", key="settings_import",
                                                disabled=not unlocked)
    if upload is not None and import_go_ahead(service, upload.name, upload.getvalue(), pressed):
        result = act(lambda: service.import_agents(upload.name, upload.getvalue()))
        if result is not None:
            _imported(result)


def _imported(result: ImportResult) -> None:
    if result.created:
        st.success(plain(f"Imported {len(result.created)} agent(s): "
                         f"{', '.join(result.created)}"))
    if result.errors:
        st.error(f"{len(result.errors)} row(s) were not imported:")
        st.dataframe([{"row": e.row, "name": e.name, "problem": e.detail}
                      for e in result.errors], hide_index=True, width="stretch")
    if not result.created and not result.errors:
        st.info("The file has no rows.")


def _rename_or_delete(service: AvatarService, unlocked: bool) -> None:
    st.subheader("Rename or delete")
    agents = service.agents.list()
    if not agents:
        st.caption("No agents yet.")
        return
    by_name = {a.name: a for a in agents}
    picked = st.selectbox("Agent", list(by_name), key="settings_edit_agent",
                          format_func=lambda n: agent_label(by_name[n]))
    with st.form("settings_rename"):
        rename_to = st.text_input("New name", key="settings_rename_to",
                                  help="Avatars, history and activity follow the agent")
        display_to = st.text_input("New display name (optional)",
                                   key="settings_rename_display")
        if st.form_submit_button("Rename", disabled=not unlocked):
            act(lambda: service.agents.update(picked, new_name=rename_to.strip() or None,
                                             display_name=display_to.strip() or None),
                _FLASH, lambda renamed: f"Renamed {picked} to {renamed.name} "
                                        f"({renamed.display_name}).",
                forget=("settings_edit_agent",))
    _delete(service, by_name[picked], unlocked)


def _delete(service: AvatarService, agent: Agent, unlocked: bool) -> None:
    if st.button("Delete agent…", key="settings_delete", disabled=not unlocked):
        ask("settings_confirm_delete", agent.name)
    question = (f"Delete **{plain(agent.display_name)}** ({plain(agent.name)}) with its "
                "avatars, history and activity? This cannot be undone.")
    if confirm("settings_confirm_delete", question, "Yes, delete", subject=agent.name,
               buttons="settings_delete"):
        act(lambda: service.delete_agent(agent.name), _FLASH, f"Deleted {agent.name}.",
            forget=("settings_edit_agent",))
