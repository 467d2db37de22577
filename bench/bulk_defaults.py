"""Bulk default avatars against the local protocol server with latency and a per-minute quota.

For each quota: the wall time of the bulk job at AVATARS_CONCURRENCY=4, the floor
max(N / quota, N × latency / concurrency), the ratio to the floor, 429s seen, failures, and the
speed-up over the same job run one at a time (concurrency 1) in the same run.

    python bench/bulk_defaults.py [--agents 60] [--latency 0.5] [--quotas 600,120]
"""

from __future__ import annotations

import argparse
import time

from _common import gemini_service

from tests.gemini_server import GeminiStub

CONCURRENCY = 4


def run_job(agents: int, latency: float, quota: int, concurrency: int) -> tuple[float, int, int]:
    """(wall seconds, failures, 429s) for one bulk job on a fresh database and a fresh quota."""
    with GeminiStub(latency_s=latency, quota_per_min=quota, quota_mode="rate") as stub:
        service = gemini_service(stub.url, concurrency)
        try:
            for i in range(agents):
                service.register_agent(f"agent-{i:03d}", f"Agent {i}", "other")
            started = time.perf_counter()
            job = service.generate_defaults(wait=True)
            wall = time.perf_counter() - started
        finally:
            service.work.shutdown()  # emotions would follow; this measures the faces only
            service.close()
        assert job.total == agents
        return wall, job.failed, stub.rate_limited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--quotas", default="600,120")
    args = parser.parse_args()
    lines = []
    for quota in (int(q) for q in args.quotas.split(",")):
        floor = max(args.agents / (quota / 60.0), args.agents * args.latency / CONCURRENCY)
        sequential, _, _ = run_job(args.agents, args.latency, quota, 1)
        wall, failures, limited = run_job(args.agents, args.latency, quota, CONCURRENCY)
        print(f"quota {quota}/min: concurrent {wall:.2f}s  sequential {sequential:.2f}s  "
              f"floor {floor:.2f}s  429s {limited}  failures {failures}", flush=True)
        lines.append(
            f"bulk_defaults: quota={quota} wall_s={wall:.2f} floor_s={floor:.2f} "
            f"ratio={wall / floor:.2f} failures={failures} rate_limited={limited} "
            f"speedup={sequential / wall:.2f}")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
