"""Dashboard render time (AppTest): 20 agents / 2 000 activities vs 200 agents / 20 000.

Run: ``.venv/bin/python bench/dashboard.py [--runs 5]``. Each size gets its own SQLite file;
agents are registered through the service, activities come from ``demo.scale_activities`` (7 days)
and are bulk-inserted. A render is one ``AppTest.run()`` of ``app.py`` on the Dashboard with the
7 d window (every activity in play): a warm-up first, then the median of ``--runs`` reruns — the
cost of a rerun (another viewer, a theme switch, the pager) with the page's caches warm. The cold
figure (every dashboard cache cleared before each run: database read, pandas shaping, HTML) is
printed too. The dashboard pages rows, 50 agents at a time, so the HTML stays bounded.
The last line is the one the README quotes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from avatar_core import runtime  # noqa: E402
from avatar_ui.dashboard import refresh_data  # noqa: E402
from bench.fleet import scale_activities  # noqa: E402

SIZES = ((20, 2_000), (200, 20_000))


def seed(n_agents: int, n_activities: int) -> None:
    service = runtime.shared_service()
    names = [f"agent-{i:03d}" for i in range(n_agents)]
    for index, name in enumerate(names):
        service.register_agent(name, f"Agent {index:03d}", is_system=index % 25 == 0)
    service.record_activities(scale_activities(names, datetime.now(UTC), n_activities))


def render_times(runs: int, window: str, cold: bool) -> list[float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.segmented_control(key="dash_window").set_value(window)
    at.run()  # warm-up (fills the data cache)
    assert not at.exception, at.exception
    times = []
    for _ in range(runs):
        if cold:
            refresh_data()  # drop agents, activity frame, shaped timeline and HTML
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    rows = at.get("html")[0].proto.body.count('class="aa-row"')
    assert rows > 0
    return times


def measure(n_agents: int, n_activities: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="aa-bench-") as data_dir:
        os.environ.update(AVATARS_DATA_DIR=data_dir, AVATARS_DEMO="0",
                          AVATARS_PROVIDER="builtin", AVATARS_CONCURRENCY="1")
        os.environ.pop("AVATARS_ADMIN_TOKEN", None)
        runtime.reset_shared_service()
        st.cache_resource.clear()
        st.cache_data.clear()
        seed(n_agents, n_activities)
        result = {
            "warm_7d": statistics.median(render_times(runs, "7 d", cold=False)),
            "warm_24h": statistics.median(render_times(runs, "24 h", cold=False)),
            "cold_7d": statistics.median(render_times(runs, "7 d", cold=True)),
            "cold_24h": statistics.median(render_times(runs, "24 h", cold=True)),
        }
        runtime.reset_shared_service()
        st.cache_resource.clear()
        st.cache_data.clear()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results = {}
    for n_agents, n_activities in SIZES:
        results[n_agents] = figures = measure(n_agents, n_activities, args.runs)
        print(f"{n_agents:>4} agents / {n_activities:>6} activities: "
              f"7 d {figures['warm_7d']:.3f} s · 24 h {figures['warm_24h']:.3f} s · "
              f"7 d cold cache {figures['cold_7d']:.3f} s · 24 h cold cache "
              f"{figures['cold_24h']:.3f} s (median of {args.runs})")
    small_warm, large_warm = (results[n]["warm_7d"] for n, _ in SIZES)
    cold_24h = results[SIZES[1][0]]["cold_24h"] / results[SIZES[0][0]]["cold_24h"]
    print(f"warm-cache ratio (7 d): {large_warm / small_warm:.2f} · cold-cache ratio (24 h): "
          f"{cold_24h:.2f} · headline below: the worst case, 7 d window with every cache cleared")
    small, large = (results[n]["cold_7d"] for n, _ in SIZES)
    print(f"dashboard: small_s={small:.3f} large_s={large:.3f} ratio={large / small:.2f}")

if __name__ == "__main__":
    main()
