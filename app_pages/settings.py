"""Settings: admin lock, AI keys, provider, default avatars, agents, API tokens, configuration."""

import streamlit as st

from avatar_core import (
    AGENT_TYPES,
    DEMO_NO_TOKENS,
    DESCRIPTION_MAX_CHARS,
    KEY_SAVED,
    PROMPT_MAX_CHARS,
    PROVIDER_CHOICES,
    AvatarError,
    FailureReason,
    agent_label,
    cost_text,
    failures_text,
    needs_confirmation,
    quote,
    spend_rows,
)
from avatar_ui.actions import act, show_error
from avatar_ui.admin import admin_unlocked, lock_admin, require_admin, unlock_admin
from avatar_ui.dashboard import refresh_data
from avatar_ui.service import get_service
from avatar_ui.text import plain

service = get_service()
st.title("Settings")

# --- admin lock -------------------------------------------------------------------------------
if not service.tokens.demo_mode:
    if admin_unlocked():
        lock_text, lock_button = st.columns([4, 1], vertical_alignment="center")
        lock_text.success("Admin unlocked for this session.", icon=":material/lock_open:")
        if lock_button.button("Lock", key="settings_lock"):
            lock_admin()
            st.rerun()
    else:
        with st.form("settings_unlock", clear_on_submit=True):
            st.markdown(":material/lock: **Admin actions are locked.** Enter the admin token "
                        "(`AVATARS_ADMIN_TOKEN`) to unlock them for this session.")
            token = st.text_input("Admin token", type="password", key="settings_unlock_token")
            if st.form_submit_button("Unlock"):
                if unlock_admin(token):
                    st.rerun()
                st.error("That is not the admin token.")
unlocked = admin_unlocked()

keys_tab, defaults_tab, agents_tab, tokens_tab, config_tab = st.tabs(
    ["AI keys", "Default avatars", "Agents", "API tokens", "Configuration"])

# --- AI keys and provider ---------------------------------------------------------------------
with keys_tab:
    st.subheader("Gemini API key")
    masked, source = service.masked_key(), service.key_source()
    if problem := service.saved_key_problem():
        st.warning(problem, icon=":material/key_off:")
    if masked:
        st.markdown(f"Current key: `{masked}` ({source})")
    else:
        st.markdown("No key configured: avatars come from the built-in offline renderer.")
    if unlocked:
        with st.form("settings_key_form", clear_on_submit=True):
            new_key = st.text_input("New Gemini API key", type="password", key="settings_key",
                                    help="Stored in the database; overrides GEMINI_API_KEY. "
                                    "Never shown again.")
            if st.form_submit_button("Save key"):
                act(lambda: service.save_gemini_key(new_key), "settings_flash", "Key saved.")
        test_col, remove_col = st.columns(2)
        if test_col.button("Test key", key="settings_key_test", disabled=not masked,
                           help="One real, small generation with the configured key"):
            with st.spinner("Asking Gemini for a test image…"):
                ok, message = service.test_gemini_key()
            (st.success if ok else st.error)(plain(message))
        if remove_col.button("Remove saved key", key="settings_key_remove",
                             disabled=source != KEY_SAVED,
                             help="The environment's key, if any, cannot be removed here"):
            service.remove_gemini_key()
            st.session_state["settings_flash"] = "Saved key removed."
            st.rerun()
    else:
        require_admin("Changing the key")
    if flash := st.session_state.pop("settings_flash", None):
        st.success(flash, icon=":material/check_circle:")

    st.subheader("Provider")
    labels = {"auto": "Auto (Gemini when a key is set)", "gemini": "Gemini",
              "builtin": "Built-in offline renderer"}
    current = service.provider_choice()
    choice = st.radio("Image provider", PROVIDER_CHOICES, index=PROVIDER_CHOICES.index(current),
                      format_func=labels.__getitem__, horizontal=True, key="settings_provider",
                      disabled=not unlocked)
    if unlocked and choice != current:
        service.set_provider_choice(choice)
    st.markdown(f"Active now: **{plain(service.active_provider_label())}**")

# --- default avatars --------------------------------------------------------------------------
with defaults_tab:
    st.subheader("Default avatars")
    st.caption("Gives every agent without a custom avatar a robot/android face from its prompt, "
               "description or type. Custom avatars are never touched.")
    job = service.latest_defaults_job()
    running = job is not None and not job.finished
    batch = False
    if service.active_provider_label().startswith("gemini"):
        batch = st.radio("How", ["calls", "batch"], horizontal=True, key="settings_mode",
                         format_func={"calls": "One call each (minutes)",
                                      "batch": "Batch API (half the price, within 24 h)"}.get
                         ) == "batch"
    try:
        plan = service.defaults_plan(batch=batch)
    except AvatarError as exc:
        show_error(exc)
        plan = None
    if plan is not None:
        st.markdown(f"**{len(plan.agents)} agents** will get a face: **{plan.images} images** "
                    f"(1 + 8 emotions each) · {plain(cost_text(plan))}")
    if unlocked and plan is not None:
        start = st.button("Generate default avatars", type="primary", key="settings_defaults",
                          disabled=running or not plan.agents, icon=":material/smart_toy:")
        if start and needs_confirmation(plan):
            st.session_state["settings_confirm_defaults"] = True
        elif start:
            st.session_state["settings_start_defaults"] = True
        if st.session_state.get("settings_confirm_defaults"):
            st.warning(plain(f"This spends about ${plan.estimated_usd:,.2f}. Go ahead?"))
            yes, no = st.columns(2)
            if yes.button("Yes, generate", type="primary", key="settings_defaults_yes"):
                st.session_state["settings_start_defaults"] = True
                st.session_state.pop("settings_confirm_defaults", None)
            if no.button("Cancel", key="settings_defaults_no"):
                st.session_state.pop("settings_confirm_defaults", None)
                st.rerun()
        if st.session_state.pop("settings_start_defaults", False):
            try:
                job = service.generate_defaults(batch=batch)
            except AvatarError as exc:
                show_error(exc)
            else:
                running = not job.finished
    elif not unlocked:
        require_admin("Generating default avatars")

    def show_job(job_id: int, polling: bool) -> None:
        current = service.job(job_id)
        if current.paused_reason:
            st.info(plain(f"Paused: {current.paused_reason}. Resumes by itself at "
                          f"{current.resumes_at:%Y-%m-%d %H:%M} UTC, or when the budget is "
                          "raised."), icon=":material/pause_circle:")
        if not current.finished:
            fraction = current.done / current.total if current.total else 0.0
            st.progress(fraction, text=f"Working: {current.done} / {current.total} agents · "
                        f"failed by reason: {failures_text(current)}")
            return
        if polling:  # finished while we watched: redraw the whole page (button, avatars)
            refresh_data()
            st.rerun()
        ended = f"{current.finished_at:%Y-%m-%d %H:%M} UTC" if current.finished_at else ""
        st.markdown(f"**Last run** (job #{current.id}, {ended}): {plain(current.summary)}")
        generated, failed, skipped = st.columns(3)
        generated.metric("Generated", current.generated)
        failed.metric("Failed", current.failed)
        skipped.metric("Skipped", current.skipped)
        if current.errors:
            st.markdown(f"Failures by reason: {failures_text(current)}")
            st.dataframe(
                [{"agent": e.agent, "reason": e.reason, "hint": FailureReason(e.reason).hint,
                  "message": e.message} for e in current.errors],
                hide_index=True, width="stretch")

    if job is not None:
        if running:
            st.fragment(run_every=1.5)(show_job)(job.id, True)
        else:
            show_job(job.id, False)

    st.subheader("Daily budget")
    spend = service.spend()
    limit = spend.limit
    of_limit = f" of ${limit:,.2f}" if limit is not None else " (no budget set)"
    st.markdown(f"Spent today: **{plain(f'${spend.spent_today:,.2f}')}**{plain(of_limit)}")
    st.dataframe(spend_rows(spend), hide_index=True, width="stretch")
    if unlocked:
        with st.form("settings_budget_form"):
            new_limit = st.number_input("Daily budget in USD (0 = no budget)", min_value=0.0,
                                        value=float(limit or 0.0), step=1.0,
                                        key="settings_budget")
            if st.form_submit_button("Save budget"):
                act(lambda: service.set_daily_budget(new_limit or None), "settings_budget_flash",
                    "Budget saved: it applies at once, on every replica.")
    if flash := st.session_state.pop("settings_budget_flash", None):
        st.success(flash, icon=":material/check_circle:")

# --- agents -----------------------------------------------------------------------------------
with agents_tab:
    agents = service.list_agents()
    if not unlocked:
        require_admin("Adding, importing, renaming or deleting agents")
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
            try:
                added = service.register_agent(
                    new_name.strip(), new_display, new_type, new_description,
                    new_prompt or None, new_system)
            except AvatarError as exc:
                show_error(exc)
            else:
                refresh_data()
                st.success(plain(f"Added {added.display_name} ({added.name})."))
                agents = service.list_agents()

    st.subheader("Import from CSV, JSON or a zip with pictures")
    st.caption("Columns: name, display_name, type, description, avatar_prompt, is_system. "
               "JSON: a list of objects (the output of GET /api/agents works). A .zip holds "
               "that file and a picture per agent named NAME.png, NAME.jpg or NAME.webp, each "
               "installed as that agent's default avatar.")
    upload = st.file_uploader("Agents file", type=["csv", "json", "zip"],
                              key="settings_import_file", disabled=not unlocked)
    if upload is not None and st.button("Import", key="settings_import", disabled=not unlocked):
        try:
            result = service.import_agents(upload.name, upload.getvalue())
        except AvatarError as exc:
            show_error(exc)
        else:
            refresh_data()
            agents = service.list_agents()
            if result.created:
                st.success(plain(f"Imported {len(result.created)} agent(s): "
                                 f"{', '.join(result.created)}"))
            if result.errors:
                st.error(f"{len(result.errors)} row(s) were not imported:")
                st.dataframe([{"row": e.row, "name": e.name, "problem": e.detail}
                              for e in result.errors], hide_index=True, width="stretch")
            if not result.created and not result.errors:
                st.info("The file has no rows.")

    st.subheader("Rename or delete")
    if not agents:
        st.caption("No agents yet.")
    else:
        by_name = {a.name: a for a in agents}
        picked = st.selectbox("Agent", list(by_name), key="settings_edit_agent",
                              format_func=lambda n: agent_label(by_name[n]))
        with st.form("settings_rename"):
            rename_to = st.text_input("New name", key="settings_rename_to",
                                      help="Avatars, history and activity follow the agent")
            display_to = st.text_input("New display name (optional)",
                                       key="settings_rename_display")
            if st.form_submit_button("Rename", disabled=not unlocked):
                act(lambda: service.update_agent(picked, new_name=rename_to.strip() or None,
                                                    display_name=display_to.strip() or None),
                       "settings_agents_flash",
                       lambda renamed: f"Renamed {picked} to {renamed.name} "
                                       f"({renamed.display_name}).",
                       forget=("settings_edit_agent",))
        if st.button("Delete agent…", key="settings_delete", disabled=not unlocked):
            st.session_state["settings_confirm_delete"] = picked
        if st.session_state.get("settings_confirm_delete") == picked:
            st.warning(f"Delete **{plain(by_name[picked].display_name)}** ({plain(picked)}) "
                       "with its avatars, history and activity? This cannot be undone.")
            yes, no = st.columns(2)
            if yes.button("Yes, delete", type="primary", key="settings_delete_yes"):
                st.session_state.pop("settings_confirm_delete", None)
                act(lambda: service.delete_agent(picked), "settings_agents_flash",
                       f"Deleted {picked}.", forget=("settings_edit_agent",))
            if no.button("Cancel", key="settings_delete_no"):
                st.session_state.pop("settings_confirm_delete", None)
                st.rerun()
    if flash := st.session_state.pop("settings_agents_flash", None):
        st.success(plain(flash), icon=":material/check_circle:")

# --- API tokens -------------------------------------------------------------------------------
with tokens_tab:
    st.subheader("API tokens")
    if service.tokens.demo_mode:
        st.info(DEMO_NO_TOKENS, icon=":material/key_off:")
    elif require_admin("Managing API tokens"):
        with st.form("settings_token_form", clear_on_submit=True):
            token_name = st.text_input("Token name", key="settings_token_name",
                                       placeholder="e.g. agent-platform")
            if st.form_submit_button("Create editor token"):
                try:
                    info, secret = service.tokens.create(token_name)
                except AvatarError as exc:
                    show_error(exc)
                else:
                    st.success(f"Token {plain(quote(info.name))} created. Copy it now: it is "
                               "shown only once.")
                    st.code(secret, language=None)
        tokens = service.tokens.list()
        if tokens:
            st.dataframe([{"id": t.id, "name": t.name, "role": t.role,
                           "created": f"{t.created_at:%Y-%m-%d %H:%M}",
                           "status": "revoked" if t.revoked else "active"} for t in tokens],
                         hide_index=True, width="stretch")
            active = {t.id: t for t in tokens if not t.revoked}
            if active:
                revoke_id = st.selectbox("Token to revoke", list(active), key="settings_revoke_id",
                                         format_func=lambda i: f"#{i} {active[i].name}")
                if st.button("Revoke", key="settings_revoke"):
                    try:
                        service.tokens.revoke(revoke_id)
                    except AvatarError as exc:
                        show_error(exc)
                    else:
                        st.rerun()
        else:
            st.caption("No editor tokens yet.")

# --- configuration ----------------------------------------------------------------------------
with config_tab:
    st.subheader("Configuration")
    st.caption("From the environment or .streamlit/secrets.toml; secrets are never shown and "
               "passwords in URLs are masked.")
    if require_admin("Seeing the configuration"):
        st.dataframe(service.settings.describe(), hide_index=True, width="stretch")
