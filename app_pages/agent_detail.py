"""Agent Detail: the avatar cycling through its emotions, Generate, Regenerate, Remove, history."""

import streamlit as st

from avatar_core.domain import urls
from avatar_core.domain.emotions import emotion_at
from avatar_core.domain.tiles import agent_label
from avatar_core.foundation.limits import PROMPT_MAX_CHARS
from avatar_ui.actions import act
from avatar_ui.admin import admin_unlocked, require_admin
from avatar_ui.avatars import avatar_html
from avatar_ui.cycle import emotion_tick
from avatar_ui.service import get_service

service = get_service()
st.title("Agent Detail")

agents = {agent.name: agent for agent in service.list_agents()}
if not agents:
    st.info("No agents yet. Add one in Settings → Agents, or register it through the API.")
    st.page_link("app_pages/settings.py", label="Open Settings", icon=":material/settings:")
    st.stop()

# ?agent=NAME opens one agent; the picker writes its choice back to the URL.
wanted = st.query_params.get("agent")
if wanted and wanted not in agents:
    st.warning(f"Agent {wanted!r} not found; showing another one.")
elif wanted and wanted != st.session_state.get("detail_synced"):
    st.session_state["detail_agent"] = wanted
name = st.selectbox("Agent", list(agents), format_func=lambda n: agent_label(agents[n]),
                    key="detail_agent")
st.query_params["agent"] = name
st.session_state["detail_synced"] = name
agent = agents[name]
unlocked = admin_unlocked()

if flash := st.session_state.pop("detail_flash", None):
    st.success(flash, icon=":material/check_circle:")


def close_generate_dialog() -> None:
    st.session_state.pop("detail_dialog_for", None)


@st.dialog("Generate avatar", width="large", on_dismiss=close_generate_dialog)
def generate_dialog(name: str) -> None:
    current = service.identity(name)["identity_prompt"] or agents[name].avatar_prompt or ""
    prompt = st.text_area("Identity prompt", value=current, max_chars=PROMPT_MAX_CHARS,
                          height=120, key="detail_gen_prompt",
                          placeholder="e.g. a calm brass robot with a violet visor",
                          help="Who the avatar is. Framing, background and lighting are added.")
    upload = st.file_uploader("Reference image (optional)",
                              type=["png", "jpg", "jpeg", "webp", "gif"], key="detail_gen_ref",
                              help="Style and colours to start from; up to 10 MB.")
    if upload is not None:
        st.image(upload.getvalue(), caption="Reference preview", width=160)
    if st.button("Generate", type="primary", key="detail_gen_submit",
                 icon=":material/auto_awesome:"):
        reference = upload.getvalue() if upload is not None else None
        act(lambda: service.generate(name, prompt, reference=reference), "detail_flash",
               "New avatar generated; emotions follow shortly.",
               spinner="Generating… (up to about 20 s)", forget=("detail_dialog_for",))


dialog_open = st.session_state.get("detail_dialog_for") == name
face_col, info_col = st.columns([2, 3], gap="large")

with face_col:
    emotions = service.emotions(name)
    # Every 30 s the page reruns and shows the next available emotion; while the dialog is open
    # the timer is left out so a rerun never interrupts typing.
    tick = 0 if dialog_open else emotion_tick(key="detail_refresh")
    shown = emotion_at(tick, emotions.emotions) if agent.has_avatar else None
    url = urls.emotion_url(emotions, shown) if shown else urls.avatar_url(agent)
    caption = shown or ("base avatar" if agent.has_avatar else "no avatar yet")
    st.html(avatar_html(agent.name, agent.display_name, agent.is_system, url, size=256,
                        alt=f"{agent.display_name}, {caption}", caption=caption))
    if agent.has_avatar:
        st.caption(f"Emotions ready: {len(emotions.emotions)}/8"
                   + (f" · pending: {', '.join(emotions.pending)}" if emotions.pending else ""))
        for failed in emotions.failed:
            st.caption(f":material/warning: {failed['emotion']} failed: {failed['reason']}")

with info_col:
    st.subheader(agent.display_name)
    st.caption(f"`{agent.name}` · {agent.type}" + (" · system agent" if agent.is_system else ""))
    if agent.description:
        st.write(agent.description)
    identity = service.identity(name)
    if identity["has_avatar"]:
        kind = "default avatar" if identity["is_default"] else "custom avatar"
        st.markdown(f"**Identity prompt** ({kind}):")
        st.text(identity["identity_prompt"])
    else:
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
        st.session_state["detail_confirm_remove"] = name

    if st.session_state.get("detail_confirm_remove") == name:
        st.warning(f"Remove the avatar of {agent.display_name}? It stays in the version "
                   "history and can be restored.")
        yes, no = st.columns(2)
        if yes.button("Yes, remove", type="primary", key="detail_remove_yes"):
            st.session_state.pop("detail_confirm_remove", None)
            act(lambda: service.remove_avatar(name), "detail_flash", "Avatar removed.")
        if no.button("Cancel", key="detail_remove_no"):
            st.session_state.pop("detail_confirm_remove", None)
            st.rerun()

    current = service.current_version(name)
    if current is not None:
        link = urls.reference_url(name, current.reference_blob)
        with st.expander("Reference image"):
            st.html(f'<a href="{link}" target="_blank">'
                    f'<img src="{link}" width="160" height="160" alt="reference image" '
                    'style="border-radius:8px"></a>')
            st.markdown(f"[Open the full-quality reference]({link})")

if dialog_open:
    generate_dialog(name)

st.subheader("Version history")
versions = service.versions(name)
if not versions:
    st.caption("No versions yet.")
for version in versions:
    when = version.created_at.strftime("%Y-%m-%d %H:%M")
    text, action = st.columns([5, 1], vertical_alignment="center")
    marker = "**current** · " if version.current else ""
    default = " · default" if version.is_default else ""
    text.markdown(f"{marker}#{version.id} · {when} UTC · {version.provider} "
                  f"({version.model}){default}  \n{version.identity_prompt}")
    if not version.current and action.button("Restore", key=f"detail_restore_{version.id}",
                                             disabled=not unlocked):
        act(lambda v=version.id: service.restore(name, v), "detail_flash",
               f"Version #{version.id} restored.")
