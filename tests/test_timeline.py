from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from avatar_core.domain.activities import COLUMNS, activity_frame
from avatar_core.domain.demo import DEMO_AGENTS, demo_activities
from avatar_core.domain.tiles import RING_AGENT, RING_SYSTEM, TileAgent, initials, initials_color
from avatar_core.domain.timeline import (
    MAX_BARS_PER_ROW,
    MIN_BAR_PCT,
    WINDOWS,
    Timeline,
    build_timeline,
)
from avatar_core.foundation.models import Activity
from avatar_ui.timeline_html import render_timeline_html
from bench.fleet import scale_activities

NOW = datetime(2025, 5, 28, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    return NOW.replace(hour=hh, minute=mm, second=ss)


def act(name, start, end, status="success", kind="chat", summary="did a thing"):
    return {
        "agent_name": name,
        "started_at": start,
        "ended_at": end,
        "kind": kind,
        "status": status,
        "summary": summary,
    }


AGENTS = [
    TileAgent("alpha", "Alpha Bot"),
    TileAgent("beta", "Beta"),
    TileAgent("gamma", "Gamma Ray"),
    TileAgent("delta", "Delta Ledger"),
    TileAgent("epsilon", "Epsilon"),
    TileAgent("zeta-sys", "Zeta", is_system=True),
    TileAgent("quiet", "Quiet One"),
]

# The window is 11:00-12:00.
ROWS = [
    act("alpha", at(11, 15), at(11, 30)),  # 25 % .. 50 %
    act("alpha", at(10, 30), at(11, 6), "error"),  # clipped to 0 % .. 10 %
    act("alpha", at(9, 0), at(10, 0)),  # before the window
    act("beta", at(11, 54), None, "running", "task", "still going"),  # 90 % .. 100 %
    act("gamma", at(11, 30), at(11, 30, 1)),  # one second: minimum width
    act("gamma", at(10, 0), at(10, 30), "error"),  # older failure, outside the window
    act("delta", at(11, 10), at(11, 20)),
    act("delta", at(11, 40), at(11, 45), "error"),  # latest ended run failed
    act("epsilon", at(11, 5), at(11, 8)),
    act("epsilon", at(11, 20), at(11, 21), "cancelled"),
    act("zeta-sys", at(11, 50), at(11, 52), kind="schedule"),
]


@pytest.fixture
def frame():
    return activity_frame(ROWS)


def build(frame, **options):
    options.setdefault("now", NOW)
    options.setdefault("window", HOUR)
    return build_timeline(AGENTS, frame, **options)


def row_of(timeline: Timeline, name: str):
    (row,) = [row for row in timeline.rows if row.agent.name == name]
    return row


# --------------------------------------------------------------------------- activity_frame


def test_activity_frame_columns_and_utc_times(frame):
    assert tuple(frame.columns) == COLUMNS
    assert str(frame["started_at"].dt.tz) == "UTC"
    assert str(frame["ended_at"].dt.tz) == "UTC"
    assert frame["ended_at"].isna().sum() == 1


def test_activity_frame_accepts_activities_and_naive_times():
    naive = datetime(2025, 5, 28, 11, 0)
    objects = [Activity(1, "alpha", naive, naive + HOUR, "chat", "success", "hi")]
    frame = activity_frame(objects)
    assert frame.loc[0, "started_at"] == NOW - HOUR
    assert frame.loc[0, "summary"] == "hi"


def test_activity_frame_of_nothing_still_builds():
    timeline = build_timeline(AGENTS, activity_frame([]), now=NOW, window=HOUR)
    assert len(timeline.rows) == len(AGENTS)
    assert all(row.count == 0 and row.bars == [] for row in timeline.rows)


# --------------------------------------------------------------------------- build_timeline


def test_window_ends_now(frame):
    timeline = build(frame)
    assert timeline.end == NOW
    assert timeline.start == NOW - HOUR
    assert timeline.window == HOUR


def test_bar_positions_for_a_hand_built_case(frame):
    bars = row_of(build(frame), "alpha").bars
    # Sorted by start: the clipped error first, then the success.
    assert [(bar.left_pct, bar.width_pct, bar.status) for bar in bars] == [
        (0.0, 10.0, "error"),
        (25.0, 25.0, "success"),
    ]


def test_activity_before_the_window_is_clipped_at_zero(frame):
    first = row_of(build(frame), "alpha").bars[0]
    assert first.left_pct == 0
    assert "10:30–11:06 (36 min)" in first.title  # the title keeps the real times


def test_tiny_activity_gets_minimum_width(frame):
    (bar,) = row_of(build(frame), "gamma").bars
    assert bar.left_pct == 50.0
    assert bar.width_pct == MIN_BAR_PCT


def test_running_activity_reaches_now(frame):
    row = row_of(build(frame), "beta")
    (bar,) = row.bars
    assert (bar.left_pct, bar.width_pct, bar.status) == (90.0, 10.0, "running")
    assert row.status == "running"
    assert bar.title == "task · running · 11:54–now (6 min) — still going"


def test_bar_title_format(frame):
    bar = row_of(build(frame), "alpha").bars[1]
    assert bar.title == "chat · success · 11:15–11:30 (15 min) — did a thing"


def test_titles_show_the_requested_time_zone(frame):
    plus_two = timezone(timedelta(hours=2))
    bar = row_of(build(frame, tz=plus_two), "alpha").bars[1]
    assert "13:15–13:30" in bar.title


def test_success_rate_counts_ended_runs_in_the_window(frame):
    timeline = build(frame)
    alpha = row_of(timeline, "alpha")
    assert (alpha.success_rate, alpha.count) == (0.5, 2)
    epsilon = row_of(timeline, "epsilon")  # cancelled runs are not judged
    assert (epsilon.success_rate, epsilon.count) == (1.0, 2)
    beta = row_of(timeline, "beta")  # only a running one
    assert (beta.success_rate, beta.count) == (None, 1)
    quiet = row_of(timeline, "quiet")
    assert (quiet.success_rate, quiet.count, quiet.bars) == (None, 0, [])


def test_row_status(frame):
    statuses = {row.agent.name: row.status for row in build(frame).rows}
    assert statuses == {
        "alpha": "idle",  # latest ended run (11:30) succeeded
        "beta": "running",
        "gamma": "idle",  # the failure is older than the latest success
        "delta": "error",
        "epsilon": "idle",  # latest was cancelled: not a failure
        "zeta-sys": "idle",
        "quiet": "idle",
    }


def test_status_looks_beyond_the_window(frame):
    # At 10:45 gamma's latest ended run is the 10:00-10:30 failure.
    timeline = build(frame, now=at(10, 45))
    assert row_of(timeline, "gamma").status == "error"
    assert row_of(timeline, "beta").status == "idle"  # its run has not started yet


def test_name_filter_matches_name_or_display_name(frame):
    assert [row.agent.name for row in build(frame, name_filter="ALP").rows] == ["alpha"]
    assert [row.agent.name for row in build(frame, name_filter=" ledger").rows] == ["delta"]
    assert build(frame, name_filter="nobody").rows == []


def test_status_filter(frame):
    assert [row.agent.name for row in build(frame, status_filter={"running"}).rows] == ["beta"]
    errors = build(frame, status_filter=["error", "running"]).rows
    assert sorted(row.agent.name for row in errors) == ["beta", "delta"]
    assert len(build(frame, status_filter=()).rows) == len(AGENTS)


def test_rows_put_system_agents_first_then_sort_by_display_name(frame):
    names = [row.agent.display_name for row in build(frame).rows]
    assert names == ["Zeta", "Alpha Bot", "Beta", "Delta Ledger", "Epsilon", "Gamma Ray",
                     "Quiet One"]


@pytest.mark.parametrize("label", list(WINDOWS))
def test_ticks_for_every_window(frame, label):
    ticks = build(frame, window=WINDOWS[label]).ticks
    assert 4 <= len(ticks) <= 8
    assert all(0 <= pct <= 100 for pct, _ in ticks)
    assert [pct for pct, _ in ticks] == sorted(pct for pct, _ in ticks)
    pattern = r"[A-Z][a-z]{2} \d{2}" if label == "7 d" else r"\d{2}:\d{2}|[A-Z][a-z]{2} \d{2}"
    assert all(re.fullmatch(pattern, text) for _, text in ticks), ticks


def test_hour_ticks_sit_on_round_times(frame):
    assert build(frame).ticks[:2] == [(0.0, "11:00"), (16.667, "11:10")]


def test_busy_rows_are_merged_to_the_cap():
    names = ["busy"]
    rows = scale_activities(names, NOW, 1000, seed=1)
    timeline = build_timeline(
        [TileAgent("busy", "Busy")], activity_frame(rows), now=NOW, window=WINDOWS["7 d"]
    )
    (row,) = timeline.rows
    assert row.count == 1000
    assert len(row.bars) <= MAX_BARS_PER_ROW
    assert any("activities" in bar.title for bar in row.bars)
    assert row.bars[-1].status == "running"  # the worst status of a bucket wins


def test_demo_data_bars_stay_on_the_track():
    names = [agent.name for agent in DEMO_AGENTS]
    frame = activity_frame(demo_activities(names, NOW))
    agents = [TileAgent(a.name, a.display_name, a.is_system, None, a.type) for a in DEMO_AGENTS]
    for window in WINDOWS.values():
        timeline = build_timeline(agents, frame, now=NOW, window=window)
        assert len(timeline.rows) == 12
        for row in timeline.rows:
            for bar in row.bars:
                assert bar.left_pct >= 0 and bar.left_pct + bar.width_pct <= 100.001
                assert bar.width_pct >= MIN_BAR_PCT


# --------------------------------------------------------------------------- initials


def test_initials():
    assert initials("Ledger Bot") == "LB"
    assert initials("Copysmith") == "CO"
    assert initials("ci-medic") == "CM"
    assert initials("  élan vital ") == "ÉV"
    assert initials("") == "?"


def test_initials_color_is_stable_and_varied():
    assert initials_color("ledger-bot") == initials_color("ledger-bot")
    assert re.fullmatch(r"#[0-9a-f]{6}", initials_color("ledger-bot"))
    assert len({initials_color(agent.name) for agent in DEMO_AGENTS}) >= 4


# --------------------------------------------------------------------------- HTML


def render(agents, rows=(), *, dark=False, detail_url=lambda name: f"/agent?name={name}"):
    timeline = build_timeline(agents, activity_frame(list(rows)), now=NOW, window=HOUR)
    return render_timeline_html(timeline, dark=dark, detail_url=detail_url)


def test_html_escapes_everything_from_data():
    evil = TileAgent(
        "evil",
        "<script>alert('name')</script>",
        avatar_url='https://x.test/a.webp" onerror="alert(1)',
    )
    html = render(
        [evil],
        [act("evil", at(11, 0), at(11, 5), summary="<script>alert('summary')</script>")],
        detail_url=lambda name: f'/agent?name={name}&x="><script>',
    )
    assert "<script" not in html
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#x27;summary&#x27;)&lt;/script&gt;" in html
    assert 'src="https://x.test/a.webp&quot; onerror=&quot;alert(1)?size=72"' in html
    assert 'href="/agent?name=evil&amp;x=&quot;&gt;&lt;script&gt;" target="_self"' in html


def test_html_draws_initials_when_there_is_no_avatar():
    html = render([TileAgent("ledger-bot", "Ledger Bot")])
    assert "<img" not in html
    assert ">LB</div>" in html
    assert initials_color("ledger-bot") in html


def test_html_uses_the_avatar_url_as_an_img():
    html = render([TileAgent("ledger-bot", "Ledger Bot", avatar_url="/api/agents/ledger-bot/a")])
    assert ('<img class="aa-avatar" src="/api/agents/ledger-bot/a?size=72" srcset="'
            '/api/agents/ledger-bot/a?size=72 1x, /api/agents/ledger-bot/a?size=144 2x" '
            'width="72" height="72"') in html


def test_ring_colour_differs_for_system_agents():
    normal = render([TileAgent("worker", "Worker")])
    system = render([TileAgent("orchestrator", "Orchestrator", is_system=True)])
    assert f"border:3px solid {RING_AGENT}" in normal
    assert RING_SYSTEM not in normal.split("</style>", 1)[1]
    assert f"border:3px solid {RING_SYSTEM}" in system


def test_html_has_now_marker_ticks_status_and_rate():
    html = render(
        [TileAgent("alpha", "Alpha")],
        [act("alpha", at(11, 0), at(11, 5)), act("alpha", at(11, 10), at(11, 12), "error")],
    )
    assert html.count("<style>") == 1 and html.startswith("<style>")
    assert ">NOW<" in html
    assert ">11:10<" in html
    assert "50% ok · 2 runs" in html
    assert 'class="aa-dot aa-dot-error"' in html  # the latest run failed
    assert 'class="aa-b aa-error" style="left:16.67%;width:3.33%"' in html


def test_dark_switches_the_theme_class():
    assert 'class="aa-tl aa-dark"' in render([TileAgent("a", "A")], dark=True)
    assert 'class="aa-tl aa-light"' in render([TileAgent("a", "A")], dark=False)


def test_html_says_so_when_nothing_matches():
    assert "No agents match the filters." in render([])


def test_bars_only_for_the_page_but_every_row_keeps_its_figures(frame):
    full = build(frame)
    page = build(frame, bars_for=slice(1, 3))
    assert [r.agent.name for r in page.rows] == [r.agent.name for r in full.rows]
    for index, (paged, whole) in enumerate(zip(page.rows, full.rows, strict=True)):
        assert (paged.status, paged.success_rate, paged.count) == (
            whole.status, whole.success_rate, whole.count)
        assert paged.bars == (whole.bars if index in (1, 2) else [])
    assert any(row.bars for row in full.rows[3:])  # the others did have bars to leave out


def test_narrow_layout_has_its_own_rules_and_minor_ticks(frame):
    html = render_timeline_html(build(frame, window=WINDOWS["24 h"]), dark=False,
                                detail_url=lambda name: f"agent?agent={name}")
    assert "container-type:inline-size" in html and "@container (max-width:640px)" in html
    labels = re.findall(r'<span class="aa-tick( aa-tick-minor)?"', html)
    assert len(labels) >= 4
    assert [bool(minor) for minor in labels] == [i % 2 == 1 for i in range(len(labels))]
    assert "--aa-ticks:linear-gradient" in html  # grid lines drawn inside each narrow track


def test_status_is_never_told_by_colour_alone(frame):
    html = render_timeline_html(build(frame), dark=True, detail_url=lambda name: name)
    for status in ("error", "running", "cancelled"):  # a pattern besides the colour
        rule = re.search(r"\.aa-" + status + r"\{([^}]*)\}", html)
        assert rule and "repeating-linear-gradient" in rule.group(1), status
    for status in ("success", "error", "running", "cancelled"):  # the legend names each
        assert f'<i class="aa-{status}"></i>{status}</span>' in html
    for row in build(frame).rows:  # and each row says its status in words
        assert f'aria-hidden="true"></span>{row.status} · ' in html


def test_own_page_row_names_are_not_links(frame):
    html = render_timeline_html(build(frame), dark=False, detail_url=None)
    assert "<a " not in html and '<span class="aa-name"' in html
