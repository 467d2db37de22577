"""Money on the Settings page: the daily budget, cancelling a running job, and the price of a
zip import asked about before it is spent.

The page calls each with one line; the decisions (what a budget of $0 means, where the budget
comes from, what an import costs) are the service's.
"""

from __future__ import annotations

import streamlit as st

from avatar_core import AvatarError, AvatarService, Job

from .actions import act, ask, confirm
from .spend import CONFIRM_ABOVE_USD, spend_rows
from .text import plain

__all__ = ["budget_panel", "cancel_button", "import_go_ahead"]

_SOURCES = {"settings": "saved in Settings", "environment": "from AVATARS_DAILY_BUDGET_USD",
            "none": "no budget set"}
_CONFIRM_IMPORT = "settings_confirm_import"


def budget_panel(service: AvatarService, unlocked: bool) -> None:
    """Spend today and over 30 days; the budget, where it comes from, and (for an admin) a
    form to save one and a button that clears a saved one back to the environment's."""
    st.subheader("Daily budget")
    spend = service.budget.summary()
    limit = spend.limit
    of_limit = f" of ${limit:,.2f} ({_SOURCES[spend.source]})" if limit is not None else \
        " (no budget set)"
    st.markdown(f"Spent today: **{plain(f'${spend.spent_today:,.2f}')}**{plain(of_limit)}")
    st.dataframe(spend_rows(spend), hide_index=True, width="stretch")
    if not unlocked:
        return
    with st.form("settings_budget_form"):
        new_limit = st.number_input("Daily budget in USD ($0: nothing paid goes out)",
                                    min_value=0.0, value=limit, step=1.0,
                                    placeholder="no budget", key="settings_budget")
        if st.form_submit_button("Save budget"):
            if new_limit is None:  # an empty field is not $0: nothing to save
                st.warning("Enter an amount to save a budget.")
            else:
                act(lambda: service.set_daily_budget(new_limit), "settings_budget_flash",
                    "Budget saved: it applies at once, on every replica.")
    if spend.source == "settings":
        environment = (f"${spend.environment_limit:,.2f}" if spend.environment_limit is not None
                       else "none")
        if st.button(f"Use the environment's budget ({environment})",
                     key="settings_budget_clear", icon=":material/undo:"):
            act(lambda: service.set_daily_budget(None), "settings_budget_flash",
                "The saved budget is cleared: AVATARS_DAILY_BUDGET_USD applies again.")
    if flash := st.session_state.pop("settings_budget_flash", None):
        st.success(flash, icon=":material/check_circle:")


def cancel_button(service: AvatarService, job: Job) -> None:
    """Cancel a running job: items not started never are; those being drawn are kept."""
    if not st.button("Cancel job", key=f"settings_cancel_job_{job.id}",
                     icon=":material/cancel:"):
        return
    if act(lambda: service.job_control.cancel(job.id)) is not None:
        st.toast(f"Job #{job.id} cancelled: the agents not started yet are skipped.",
                 icon=":material/cancel:")
        st.rerun()


def import_go_ahead(service: AvatarService, filename: str, data: bytes, pressed: bool) -> bool:
    """True when the import may run now: pressed and at most $1 of emotion calls, or above
    that and the person said yes to the price."""
    if pressed:
        try:
            cost = service.import_cost(filename, data)
        except AvatarError:
            return True  # the import itself reports what is wrong with the file
        if cost.estimated_usd <= CONFIRM_ABOVE_USD:
            st.session_state.pop(_CONFIRM_IMPORT, None)
            return True
        ask(_CONFIRM_IMPORT, (filename, cost.pictures, cost.emotions, cost.estimated_usd))
    pending = st.session_state.get(_CONFIRM_IMPORT)
    if not pending or pending[0] != filename:
        return False
    _name, pictures, emotions, usd = pending
    question = plain(f"The {pictures} pictures queue {emotions} emotion images with Gemini: "
                     f"about ${usd:,.2f}. Go ahead?")
    return confirm(_CONFIRM_IMPORT, question, "Yes, import", subject=pending,
                   buttons="settings_import")
