"""Settings → Default avatars: what a run would do and cost, starting it (asking first when
it costs money), its progress and result, and the daily budget."""

from __future__ import annotations

import streamlit as st

from avatar_core import AvatarService, DefaultsPlan, FailureReason, Job, failures_text

from ..actions import act, ask, confirm
from ..admin import require_admin
from ..dashboard import refresh_data
from ..spend import cost_text, needs_confirmation
from ..spend_controls import budget_panel, cancel_button
from ..text import plain

__all__ = ["show"]

_MODES = {"calls": "One call each (minutes)", "batch": "Batch API (half the price, within 24 h)"}


def show(service: AvatarService, unlocked: bool) -> None:
    st.subheader("Default avatars")
    st.caption("Gives every agent without a custom avatar a robot/android face from its prompt, "
               "description or type. Custom avatars are never touched.")
    batch = service.providers.supports_batch() and st.radio(
        "How", list(_MODES), horizontal=True, key="settings_mode",
        format_func=_MODES.get) == "batch"
    plan = act(lambda: service.work.bulk.plan(batch=batch), refresh=False)
    if plan is not None:
        st.markdown(f"**{len(plan.agents)} agents** will get a face: **{plan.images} images** "
                    f"(1 + 8 emotions each) · {plain(cost_text(plan))}")
    job = service.latest_defaults_job()
    running = job is not None and not job.finished
    if unlocked and plan is not None:
        started = _start(service, plan, batch, running)
        if started is not None:
            job, running = started, not started.finished
    elif not unlocked:
        require_admin("Generating default avatars")
    if job is not None:
        if running:
            st.fragment(run_every=1.5)(_show_job)(service, job.id, True, unlocked)
        else:
            _show_job(service, job.id, False, unlocked)
    budget_panel(service, unlocked)


def _start(service: AvatarService, plan: DefaultsPlan, batch: bool, running: bool) -> Job | None:
    """The start button (and the question first, when the run costs money): the started job."""
    start = st.button("Generate default avatars", type="primary", key="settings_defaults",
                      disabled=running or not plan.agents, icon=":material/smart_toy:")
    if start and needs_confirmation(plan):
        ask("settings_confirm_defaults")
    question = plain(f"This spends about ${plan.estimated_usd:,.2f}. Go ahead?")
    confirmed = confirm("settings_confirm_defaults", question, "Yes, generate",
                        buttons="settings_defaults")
    if (start and not needs_confirmation(plan)) or confirmed:
        return act(lambda: service.generate_defaults(batch=batch))
    return None


def _show_job(service: AvatarService, job_id: int, polling: bool, unlocked: bool) -> None:
    current = service.job_control.get(job_id)
    if current.paused_reason:
        st.info(plain(f"Paused: {current.paused_reason}. Resumes by itself at "
                      f"{current.resumes_at:%Y-%m-%d %H:%M} UTC, or when the budget is "
                      "raised."), icon=":material/pause_circle:")
    if not current.finished:
        fraction = current.done / current.total if current.total else 0.0
        st.progress(fraction, text=f"Working: {current.done} / {current.total} agents · "
                    f"failed by reason: {failures_text(current)}")
        if unlocked:
            cancel_button(service, current)
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
