"""Bulk default avatars against the local protocol server with latency and a per-minute quota.

For each quota: the wall time of the bulk job at AVATARS_CONCURRENCY=4, the floor
max(N / quota, N × latency / concurrency), the ratio to the floor, 429s seen, failures, and the
speed-up over the same job run one at a time (concurrency 1) in the same run. With
``--replicas 2`` the job also runs on two replicas (two processes sharing a PostgreSQL database
that the bench starts) at the last quota: AVATARS_CONCURRENCY bounds both together, so it should
take no longer than one replica and see no more 429s; that run also counts pool timeouts
(``QueuePool limit`` in any replica's log) and repeated provider calls (a request let through
the quota that repeats an earlier one: the same face or emotion paid twice), both 0 when locks
hold no pooled connection and results are committed only under a lease still held. With
``--emotions`` it waits for every new face's emotions too.

    python bench/bulk_defaults.py [--agents 60] [--latency 0.5] [--quotas 600,120] [--replicas 2]
                                  [--concurrency 4] [--emotions]
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, gemini_service

from tests.gemini_server import GeminiStub

CONCURRENCY = 4
POOL_TIMEOUT = "QueuePool limit"  # SQLAlchemy's message when no pooled connection came in time


class _PoolTimeouts(logging.Handler):
    """Counts log records (with their tracebacks) that report a pool timeout."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info)
                                      if record.exc_info else "")
        self.count += POOL_TIMEOUT in text


def run_job(agents: int, latency: float, quota: int, concurrency: int,
            database_url: str = "", helpers: int = 0,
            emotions: bool = False) -> tuple[float, int, int, int, int]:
    """(wall seconds, failures, 429s, pool timeouts, repeated calls) for one bulk job on a
    fresh database and a fresh quota; ``helpers`` more replicas (processes) share the work
    through ``database_url``; with ``emotions`` the new faces' emotions are waited for too."""
    timeouts = _PoolTimeouts()
    logging.getLogger().addHandler(timeouts)
    logs = Path(tempfile.mkdtemp(prefix="aa-bench-logs-"))
    shared = Path(tempfile.mkdtemp(prefix="aa-bench-"))  # one blob directory for all replicas
    with GeminiStub(latency_s=latency, quota_per_min=quota, quota_mode="rate") as stub:
        service = gemini_service(stub.url, concurrency, shared, database_url=database_url)
        others = [replica(stub.url, concurrency, database_url, shared, logs / f"replica-{n}.log")
                  for n in range(helpers)]
        try:
            for i in range(agents):
                service.agents.register(f"agent-{i:03d}", f"Agent {i}", "other")
            started = time.perf_counter()
            job = service.generate_defaults(wait=True)
            if emotions:
                _wait_for_emotions(service, agents)
            wall = time.perf_counter() - started
        finally:
            for other in others:
                other.kill()
                other.wait(timeout=30)
            service.work.shutdown()  # emotions would follow; this measures the faces only
            service.close()
            logging.getLogger().removeHandler(timeouts)
        assert job.total == agents
        pool_timeouts = timeouts.count + sum(
            log.read_text(errors="replace").count(POOL_TIMEOUT) for log in logs.glob("*.log"))
        return wall, job.failed, stub.rate_limited, pool_timeouts, stub.repeated_calls


def _wait_for_emotions(service: object, agents: int) -> None:
    from avatar_core.domain.emotions import EMOTIONS
    from avatar_core.service import AvatarService

    assert isinstance(service, AvatarService)
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        sets = [service.emotions(f"agent-{i:03d}") for i in range(agents)]
        ready = sum(len(s.emotions) for s in sets)
        failed = sum(len(s.failed) for s in sets)
        if ready + failed >= agents * len(EMOTIONS):
            return
        reasons = sorted({f["reason"] for s in sets for f in s.failed})
        print(f"  emotions: {ready} ready, {failed} failed {reasons}", file=sys.stderr,
              flush=True)
        time.sleep(5)
    raise TimeoutError("emotions did not finish within 30 minutes")


def replica(stub_url: str, concurrency: int, database_url: str, data_dir: Path,
            log: Path) -> subprocess.Popen[str]:
    """Another replica in its own process: a started service that works until killed; its
    log (stderr) goes to ``log``."""
    with log.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, __file__, "--replica", stub_url, str(concurrency), database_url,
             str(data_dir)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def serve_as_replica(stub_url: str, concurrency: int, database_url: str,
                     data_dir: str) -> None:
    gemini_service(stub_url, concurrency, Path(data_dir), database_url=database_url)
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
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--emotions", action="store_true",
                        help="the replicas run also waits for every new face's emotions")
    parser.add_argument("--replicas-only", action="store_true",
                        help="skip the one-replica runs (their figures are not printed)")
    parser.add_argument("--replica", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replica:
        serve_as_replica(args.replica[0], int(args.replica[1]), args.replica[2], args.replica[3])
        return
    lines = []
    quotas = [int(q) for q in args.quotas.split(",")]
    single: dict[int, tuple[float, int]] = {}
    concurrency = args.concurrency
    for quota in [] if args.replicas_only else quotas:
        floor = max(args.agents / (quota / 60.0), args.agents * args.latency / concurrency)
        sequential, *_ = run_job(args.agents, args.latency, quota, 1)
        wall, failures, limited, _, _ = run_job(args.agents, args.latency, quota, concurrency)
        single[quota] = (wall, limited)
        print(f"quota {quota}/min: concurrent {wall:.2f}s  sequential {sequential:.2f}s  "
              f"floor {floor:.2f}s  429s {limited}  failures {failures}", flush=True)
        lines.append(
            f"bulk_defaults: quota={quota} wall_s={wall:.2f} floor_s={floor:.2f} "
            f"ratio={wall / floor:.2f} failures={failures} rate_limited={limited} "
            f"speedup={sequential / wall:.2f}")
    if args.replicas > 1:
        quota = quotas[-1]
        floor = max(args.agents / (quota / 60.0), args.agents * args.latency / concurrency)
        database_url, server = fresh_database()
        try:
            wall, failures, limited, pool_timeouts, repeated = run_job(
                args.agents, args.latency, quota, concurrency, database_url,
                helpers=args.replicas - 1, emotions=args.emotions)
        finally:
            server.stop()  # type: ignore[attr-defined]
        one = single.get(quota, (0.0, -1))[1]
        print(f"quota {quota}/min, {args.replicas} replicas on PostgreSQL at concurrency "
              f"{concurrency}: {wall:.2f}s  floor {floor:.2f}s  429s {limited} (one replica: "
              f"{one})  failures {failures}  pool timeouts {pool_timeouts}  duplicate provider "
              f"calls {repeated}", flush=True)
        lines.append(
            f"bulk_defaults: replicas={args.replicas} concurrency={concurrency} quota={quota} "
            f"emotions={args.emotions} wall_s={wall:.2f} floor_s={floor:.2f} "
            f"ratio={wall / floor:.2f} failures={failures} rate_limited={limited} "
            f"one_replica_rate_limited={one} pool_timeouts={pool_timeouts} "
            f"duplicate_provider_calls={repeated}")
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
