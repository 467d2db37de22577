"""Agent Detail: the avatar cycling through its emotions, the eight variants, its activity,
Generate (from a prompt or a picture), Regenerate, Remove, the version history and API URLs."""

import streamlit as st

from avatar_core import PROMPT_MAX_CHARS, agent_label, quote, urls
from avatar_ui import cycle, dashboard, detail
from avatar_ui.actions import act, ask, confirm
from avatar_ui.admin import admin_unlocked, require_admin
from avatar_ui.avatars import face_stack_html
from avatar_ui.frame import browser_timezone, is_dark
from avatar_ui.service import get_service
from avatar_ui.text import plain
from avatar_ui.uploads import check_upload

service = get_service()
st.title("Agent Detail")

agents = {agent.name: agent for agent in service.agents.list()}
if not agents:
    st.info("No agents yet. Add one in Settings → Agents, or register it through the API.")
    st.page_link("app_pages/settings.py", label="Open Settings", icon=":material/settings:")
    st.stop()

# ?agent=NAME opens one agent; the picker writes its choice back to the URL.
wanted = st.query_params.get("agent")
if wanted and wanted not in agents:
    st.warning(f"Agent {plain(quote(wanted))} not found; showing another one.")
elif wanted and wanted != st.session_state.get("detail_synced"):
    st.session_state["detail_agent"] = wanted
name = st.selectbox("Agent", list(agents), format_func=lambda n: agent_label(agents[n]),
                    key="detail_agent")
st.query_params["agent"] = name
st.session_state["detail_synced"] = name
agent = agents[name]
unlocked = admin_unlocked()

if flash := st.session_state.pop("detail_flash", None):
    st.success(plain(flash), icon=":material/check_circle:")


@st.dialog("Generate avatar", width="large", on_dismiss=detail.close_dialog)
def generate_dialog(name: str) -> None:
    version = service.current_version(name)
    current = (version.identity_prompt if version else "") or agents[name].avatar_prompt or ""
    prompt = st.text_area("Identity prompt", value=current, max_chars=PROMPT_MAX_CHARS,
                          height=120, key="detail_gen_prompt",
                          placeholder="e.g. a calm brass robot with a violet visor",
                          help="Who the avatar is. Framing, background and lighting are added.")
    upload = st.file_uploader("Reference image (optional)",
                              type=["png", "jpg", "jpeg", "webp", "gif"], key="detail_gen_ref",
                              help="Style and colours to start from, or the avatar itself; "
                              "up to 10 MB.")
    # Checked before anything shows it: a refused file gets our message, never a preview.
    checked = check_upload(upload, "detail_gen_checked")
    if checked is not None and not checked.ok:
        st.error(f"This picture cannot be used: {plain(checked.error)}",
                 icon=":material/warning:")
    elif checked is not None and checked.preview:
        st.image(checked.preview, caption="Your picture, as it will be used", width=160)
    usable = checked is None or checked.ok
    generate_col, use_col = st.columns(2)
    if generate_col.button("Generate from it" if checked else "Generate", type="primary",
                           key="detail_gen_submit", icon=":material/auto_awesome:",
                           disabled=not usable, width="stretch"):
        reference = checked.data if checked is not None else None
        act(lambda: service.generate(name, prompt, reference=reference), "detail_flash",
            "New avatar generated; emotions follow shortly.",
            spinner="Generating… (up to about 20 s)", forget=("detail_dialog_for",))
    if checked is not None and checked.ok and use_col.button(
            "Use this picture", key="detail_gen_use", icon=":material/image:", width="stretch",
            help="The picture becomes the avatar itself, as it is"):
        data = checked.data or b""
        act(lambda: service.install_picture(name, data), "detail_flash",
            "Your picture is the avatar now.", forget=("detail_dialog_for",))


dialog_open = st.session_state.get("detail_dialog_for") == name
emotions = service.emotions(name)
face_col, info_col = st.columns([2, 3], gap="large")

with face_col:
    # The next variant every 30 s; nothing moves while the dialog is open.
    shown = cycle.cycle_emotion(name, emotions, paused=dialog_open) if agent.has_avatar else None
    url = urls.emotion_url(emotions, shown) if shown else urls.avatar_url(agent)
    caption = shown or ("base avatar" if agent.has_avatar else "no avatar yet")
    st.html(face_stack_html(agent.name, agent.display_name, agent.is_system, url,
                            cycle.face_change(name, url), size=256,
                            alt=f"{agent.display_name}, {caption}", caption=caption))
    if agent.has_avatar and not emotions.unavailable:
        st.button("Next emotion", key="detail_next", icon=":material/skip_next:",
                  on_click=cycle.next_emotion, args=(name,),
                  disabled=len(emotions.emotions) < 2,
                  help="Show the next emotion now; the 30 s cycle carries on from it")

with info_col:
    st.subheader(plain(agent.display_name))
    st.caption(plain(f"{agent.name} · {agent.type}"
                     + (" · system agent" if agent.is_system else "")))
    if agent.description:
        st.markdown(plain(agent.description))
    current = service.current_version(name)
    if current is not None and unlocked:  # prompts are for editors (and demo mode)
        kind = "default avatar" if current.is_default else "custom avatar"
        st.markdown(f"**Identity prompt** ({kind}):")
        st.text(current.identity_prompt)
        if current.refined_prompt:
            st.markdown("**Refined prompt** (what the image model was given):")
            st.text(current.refined_prompt)
    elif current is None:
        st.caption("No avatar yet: generate one, or fill in defaults from Settings.")

    if not unlocked:
        require_admin("Changing the avatar")
    buttons = st.columns(3)
    if buttons[0].button("Generate…", type="primary", key="detail_generate",
                         disabled=not unlocked, width="stretch"):
        st.session_state["detail_dialog_for"] = name
        dialog_open = True
    if buttons[1].button("Regenerate", key="detail_regenerate", width="stretch",
                         disabled=not unlocked or not agent.has_avatar,
                         help="A fresh variation of the current avatar"):
        act(lambda: service.regenerate(name), "detail_flash", "Fresh variation generated.",
            spinner="Making a fresh variation…")
    if buttons[2].button("Remove", key="detail_remove", width="stretch",
                         disabled=not unlocked or not agent.has_avatar):
        ask("detail_confirm_remove", name)
    if confirm("detail_confirm_remove", f"Remove the avatar of {plain(agent.display_name)}? It "
               "stays in the version history and can be restored.", "Yes, remove",
               subject=name, buttons="detail_remove"):
        act(lambda: service.remove_avatar(name), "detail_flash", "Avatar removed.")

    if current is not None:
        with st.expander("Reference image"):
            st.html(detail.reference_html(agent, current))
            st.markdown(f"[Open the full-quality reference]"
                        f"({urls.reference_url(name, current.reference_blob)})")

if dialog_open:
    generate_dialog(name)

# --- the eight emotion variants ---------------------------------------------------------------
if agent.has_avatar:
    st.subheader("Emotions")
    if emotions.unavailable:
        st.info(plain(emotions.unavailable), icon=":material/info:")
    else:
        st.caption(detail.strip_caption(emotions))
        tiles = detail.strip_tiles(emotions)
        for column, tile in zip(st.columns(len(tiles)), tiles, strict=True):
            with column:
                st.html(detail.emotion_tile_html(agent, emotions, tile.emotion, tile.state))
                if tile.state == "ready":
                    st.button(tile.emotion, key=f"detail_show_{tile.emotion}",
                              on_click=cycle.show_emotion,
                              args=(name, emotions.emotions, tile.emotion),
                              help=f"Show {tile.emotion} large")
                elif tile.reason is None:
                    st.caption(f"{tile.emotion}: pending")
                else:
                    st.caption(f"{tile.emotion} failed: **{tile.reason.value}** — "
                               f"{tile.reason.hint}")
                    if unlocked and st.button("Retry", key=f"detail_retry_{tile.emotion}",
                                              help=f"Draw {tile.emotion} again"):
                        act(lambda e=tile.emotion: service.retry_emotion(name, e),
                            "detail_flash", f"Drawing {tile.emotion} again.")

# --- its activity -----------------------------------------------------------------------------
st.subheader(f"Activity · last {dashboard.AGENT_WINDOW}")
tz_name = browser_timezone()
activity = dashboard.agent_activity(name, tz_name)
if activity.rows:
    st.caption(f"Success rate: {activity.rows[0].summary}")
st.html(dashboard.agent_activity_html(name, is_dark(), tz_name))

# --- version history --------------------------------------------------------------------------
st.subheader("Version history")
versions = service.versions(name)
if not versions:
    st.caption("No versions yet.")
for version in versions:
    when = version.created_at.strftime("%Y-%m-%d %H:%M")
    thumb, text, action = st.columns([1, 8, 2], vertical_alignment="center")
    thumb.html(detail.version_thumb_html(agent, version))
    marker = "**current** · " if version.current else ""
    default = " · default" if version.is_default else ""
    text.markdown(f"{marker}#{version.id} · {when} UTC · {plain(version.provider)} "
                  f"({plain(version.model)}){default}"
                  + (f"  \n{plain(version.identity_prompt)}" if unlocked else ""))
    if not version.current and action.button("Restore", key=f"detail_restore_{version.id}",
                                             disabled=not unlocked):
        act(lambda v=version.id: service.restore(name, v), "detail_flash",
            f"Version #{version.id} restored.")

# --- API --------------------------------------------------------------------------------------
st.subheader("API URLs")
st.caption("Public image URLs of this avatar, for the agent platform and scripts (copy button "
           "at the top right).")
st.code(detail.api_urls_text(agent), language=None, wrap_lines=True)  # no scrolling box
