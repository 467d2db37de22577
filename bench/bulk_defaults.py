"""Bulk default avatars against the local protocol server with latency and a per-minute quota.

For each quota: the wall time of the bulk job at AVATARS_CONCURRENCY=4, the floor
max(N / quota, N × latency / concurrency), the ratio to the floor, 429s seen, failures, and the
speed-up over the same job run one at a time (concurrency 1) in the same run. With
``--replicas 2`` the job also runs on two replicas (two processes sharing a PostgreSQL database
that the bench starts) at the last quota: AVATARS_CONCURRENCY bounds both together, so it should
take no longer than one replica and see no more 429s.

    python bench/bulk_defaults.py [--agents 60] [--latency 0.5] [--quotas 600,120] [--replicas 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import ROOT, gemini_service

from tests.gemini_server import GeminiStub

CONCURRENCY = 4


def run_job(agents: int, latency: float, quota: int, concurrency: int,
            database_url: str = "", helpers: int = 0) -> tuple[float, int, int]:
    """(wall seconds, failures, 429s) for one bulk job on a fresh database and a fresh quota;
    ``helpers`` more replicas (processes) share the work through ``database_url``."""
    with GeminiStub(latency_s=latency, quota_per_min=quota, quota_mode="rate") as stub:
        service = gemini_service(stub.url, concurrency, database_url=database_url)
        others = [replica(stub.url, concurrency, database_url) for _ in range(helpers)]
        try:
            for i in range(agents):
                service.agents.register(f"agent-{i:03d}", f"Agent {i}", "other")
            started = time.perf_counter()
            job = service.generate_defaults(wait=True)
            wall = time.perf_counter() - started
        finally:
            for other in others:
                other.kill()
                other.wait(timeout=30)
            service.work.shutdown()  # emotions would follow; this measures the faces only
            service.close()
        assert job.total == agents
        return wall, job.failed, stub.rate_limited


def replica(stub_url: str, concurrency: int, database_url: str) -> subprocess.Popen[str]:
    """Another replica in its own process: a started service that works until killed."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--replica", stub_url, str(concurrency), database_url],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def serve_as_replica(stub_url: str, concurrency: int, database_url: str) -> None:
    gemini_service(stub_url, concurrency, database_url=database_url)
    print("ready", flush=True)
    while True:
        time.sleep(1)


def fresh_database() -> tuple[str, object]:
    """A PostgreSQL cluster of the test suite's kind, and a database on it."""
    import sqlalchemy as sa

    from tests.postgres_server import PostgresServer

    server = PostgresServer()
    engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    name = f"bulk_{int(time.time() * 1000)}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}", server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--quotas", default="600,120")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--replica", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replica:
        serve_as_replica(args.replica[0], int(args.replica[1]), args.replica[2])
        return
    lines = []
    quotas = [int(q) for q in args.quotas.split(",")]
    single: dict[int, tuple[float, int]] = {}
    for quota in quotas:
        floor = max(args.agents / (quota / 60.0), args.agents * args.latency / CONCURRENCY)
        sequential, _, _ = run_job(args.agents, args.latency, quota, 1)
        wall, failures, limited = run_job(args.agents, args.latency, quota, CONCURRENCY)
        single[quota] = (wall, limited)
        print(f"quota {quota}/min: concurrent {wall:.2f}s  sequential {sequential:.2f}s  "
              f"floor {floor:.2f}s  429s {limited}  failures {failures}", flush=True)
        lines.append(
            f"bulk_defaults: quota={quota} wall_s={wall:.2f} floor_s={floor:.2f} "
            f"ratio={wall / floor:.2f} failures={failures} rate_limited={limited} "
            f"speedup={sequential / wall:.2f}")
    if args.replicas > 1:
        quota = quotas[-1]
        floor = max(args.agents / (quota / 60.0), args.agents * args.latency / CONCURRENCY)
        database_url, server = fresh_database()
        try:
            wall, failures, limited = run_job(args.agents, args.latency, quota, CONCURRENCY,
                                              database_url, helpers=args.replicas - 1)
        finally:
            server.stop()  # type: ignore[attr-defined]
        print(f"quota {quota}/min, {args.replicas} replicas on PostgreSQL: {wall:.2f}s  "
              f"floor {floor:.2f}s  429s {limited} (one replica: {single[quota][1]})  "
              f"failures {failures}", flush=True)
        lines.append(
            f"bulk_defaults: replicas={args.replicas} quota={quota} wall_s={wall:.2f} "
            f"floor_s={floor:.2f} ratio={wall / floor:.2f} failures={failures} "
            f"rate_limited={limited} one_replica_rate_limited={single[quota][1]}")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
