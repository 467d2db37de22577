"""Dashboard render time (AppTest): 20 agents / 2 000 activities vs 200 agents / 20 000, and the
fleet size the dashboard is built for, 1 000 agents / 200 000 activities, with its peak memory.

Run: ``.venv/bin/python bench/dashboard.py [--runs 5] [--no-fleet]``. Each size gets its own
SQLite file; agents are registered through the service, activities come from
``bench.fleet.scale_activities`` (7 days) and are bulk-inserted. A render is one
``AppTest.run()`` of ``app.py`` on the Dashboard with the 7 d window (every activity in play):

- warm: a rerun with the page's caches warm (another viewer, a theme switch, the pager);
- cold: every derived cache dropped before each run (``refresh_data``: agents, shaped timeline,
  HTML) — what the live dashboard pays after its cache expires or a write. Activity comes from
  the process's ``ActivityFeed``, which keeps the week in memory and reads only rows newer than
  it holds (none here), so this is the shaping and drawing at each size;
- first view: the feed emptied too, so the week is read from the database once (the cost of
  the first viewer after a server start, and of a delete or rename).

Every figure is a median of ``--runs`` and is compared only with the small case measured in the
same run. The last line is the one the README quotes; the line before it, the fleet.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from avatar_core import runtime  # noqa: E402
from avatar_ui.dashboard import activity_feed, refresh_data  # noqa: E402
from bench.fleet import scale_activities  # noqa: E402

SIZES = ((20, 2_000), (200, 20_000))
FLEET = (1_000, 200_000)


def seed(n_agents: int, n_activities: int) -> None:
    service = runtime.shared_service()
    names = [f"agent-{i:04d}" for i in range(n_agents)]
    for index, name in enumerate(names):
        service.agents.register(name, f"Agent {index:04d}", is_system=index % 25 == 0)
    service.record_activities(scale_activities(names, datetime.now(UTC), n_activities))


def _forget_everything() -> None:
    refresh_data()
    activity_feed.clear()  # the next read fills the feed from the database


def opened(window: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.radio(key="dash_window").set_value(window)
    at.run()  # warm-up (fills the caches)
    assert not at.exception, at.exception
    return at


def render_times(at: AppTest, runs: int, before: Callable[[], None] | None) -> list[float]:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    assert at.get("html")[0].proto.body.count('class="aa-row"') > 0
    return times


def peak_memory_mib(at: AppTest) -> float:
    """Peak Python allocations (numpy's included) of one first-view render, in MiB."""
    _forget_everything()
    tracemalloc.start()
    try:
        at.run()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(n_agents: int, n_activities: int, runs: int, memory: bool = False
            ) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="aa-bench-") as data_dir:
        os.environ.update(AVATARS_DATA_DIR=data_dir, AVATARS_DEMO="0",
                          AVATARS_PROVIDER="builtin", AVATARS_CONCURRENCY="1")
        os.environ.pop("AVATARS_ADMIN_TOKEN", None)
        runtime.reset_shared_service()
        st.cache_resource.clear()
        st.cache_data.clear()
        seed(n_agents, n_activities)
        week, day = opened("7 d"), opened("24 h")
        result = {
            "warm_7d": statistics.median(render_times(week, runs, None)),
            "warm_24h": statistics.median(render_times(day, runs, None)),
            "cold_7d": statistics.median(render_times(week, runs, refresh_data)),
            "cold_24h": statistics.median(render_times(day, runs, refresh_data)),
            "first_7d": statistics.median(render_times(week, runs, _forget_everything)),
        }
        if memory:
            result["peak_mib"] = peak_memory_mib(week)
        runtime.reset_shared_service()
        st.cache_resource.clear()
        st.cache_data.clear()
    return result


def line(n_agents: int, n_activities: int, figures: dict[str, float], runs: int) -> str:
    return (f"{n_agents:>5} agents / {n_activities:>7} activities: "
            f"7 d {figures['warm_7d']:.3f} s · 24 h {figures['warm_24h']:.3f} s · "
            f"7 d cold {figures['cold_7d']:.3f} s · 24 h cold {figures['cold_24h']:.3f} s · "
            f"7 d first view {figures['first_7d']:.3f} s (median of {runs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-fleet", action="store_true",
                        help="skip the 1 000-agent / 200 000-activity case")
    args = parser.parse_args()
    results = {}
    for n_agents, n_activities in SIZES:
        results[n_agents] = measure(n_agents, n_activities, args.runs)
        print(line(n_agents, n_activities, results[n_agents], args.runs), flush=True)
    small, large = (results[n] for n, _ in SIZES)
    if not args.no_fleet:
        fleet = measure(*FLEET, args.runs, memory=True)
        print(line(*FLEET, fleet, args.runs))
    print(f"warm-cache ratio (7 d): {large['warm_7d'] / small['warm_7d']:.2f} · cold (24 h): "
          f"{large['cold_24h'] / small['cold_24h']:.2f} · first view (7 d): "
          f"{large['first_7d'] / small['first_7d']:.2f} · headline below: 7 d, every cache "
          "dropped but the activity feed")
    if not args.no_fleet:
        print(f"fleet: agents={FLEET[0]} activities={FLEET[1]} cold_s={fleet['cold_7d']:.3f} "
              f"first_view_s={fleet['first_7d']:.3f} peak_mib={fleet['peak_mib']:.0f} "
              f"ratio_to_small={fleet['cold_7d'] / small['cold_7d']:.2f}")
    print(f"dashboard: small_s={small['cold_7d']:.3f} large_s={large['cold_7d']:.3f} "
          f"ratio={large['cold_7d'] / small['cold_7d']:.2f}")


if __name__ == "__main__":
    main()
