"""Serving avatars: GET /api/agents/{name}/avatar (200 and 304) vs a plain Starlette FileResponse.

Run: ``.venv/bin/python bench/serve.py [--seconds 3] [--clients 16] [--cluster]``. With
``--cluster`` the service runs as one replica of several would: PostgreSQL and an S3 store
(SeaweedFS), both started by the bench, the cache-epoch watcher running. One avatar is generated
with the built-in provider into a temp data dir; then two uvicorn servers run in subprocesses on
free loopback ports: ours (``create_api`` over a service with that avatar hot in memory) and the
baseline (a Starlette route answering ``FileResponse`` on the same display WebP file). A load
generator in this process (raw asyncio streams, HTTP/1.1 keep-alive, ``--clients`` connections)
drives each case for ``--seconds`` after a short warm-up and records per-request latency.

The ``?size=48`` cases (WebP and AVIF by ``Accept``, both made and hot) are compared with a
FileResponse of the 48 px WebP's own bytes. Both servers share one HTTP stack (uvicorn as
installed), so the ratio compares what our route does per request with what FileResponse does.
On a 2-core machine the client and the server each get about one core; the client's own cost
bounds the absolute figures. The last two lines are the ones the README quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENT = "atlas"


# --- the two servers (run in subprocesses) --------------------------------------------------


def settings(data_dir: str) -> dict[str, str]:
    """The service's settings: a SQLite file, or the cluster's (``--cluster``, via the env)."""
    extra = json.loads(os.environ.get("AVATARS_BENCH_SETTINGS", "{}"))
    return {"AVATARS_DATA_DIR": data_dir, "AVATARS_DEMO": "0", "AVATARS_PROVIDER": "builtin",
            **extra}


def serve(kind: str, port: int, data_dir: str) -> None:
    import uvicorn

    from avatar_core.foundation.config import Settings
    from avatar_core.foundation.renditions import ImageFormat
    from avatar_core.service import AvatarService
    from avatar_core.work.serving import Ask

    service = AvatarService(Settings.from_mapping(settings(data_dir)))
    service.start(resume=False)
    if kind == "ours":
        from avatar_api import create_api

        service.images.avatar(AGENT)  # warm: the dashboard has asked for it before
        for fmt in (ImageFormat.WEBP, ImageFormat.AVIF):  # and for its 48 px renditions
            assert not service.serving.avatar(AGENT, Ask(48, fmt)).provisional
        app = create_api(lambda: service)
    else:
        from starlette.applications import Starlette
        from starlette.responses import FileResponse
        from starlette.routing import Route

        version = service.current_version(AGENT)
        assert version is not None
        path = Path(data_dir) / "baseline.webp"  # the same bytes as a plain local file
        path.write_bytes(service.blobs.read(version.display_blob))
        small = Path(data_dir) / "baseline-48.webp"  # the 48 px WebP rendition's bytes
        small.write_bytes(service.serving.avatar(AGENT, Ask(48, ImageFormat.WEBP)).data)

        async def avatar(_request: object) -> FileResponse:
            return FileResponse(path, media_type="image/webp")

        async def avatar_48(_request: object) -> FileResponse:
            return FileResponse(small, media_type="image/webp")

        app = Starlette(routes=[Route("/avatar", avatar), Route("/avatar-48", avatar_48)])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(kind: str, data_dir: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port),
                                "--data", data_dir], cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{kind} server did not start")


# --- the load generator ---------------------------------------------------------------------


async def _client(port: int, request: bytes, expect: int, stop_at: float,
                  latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    clock = time.perf_counter
    try:
        while clock() < stop_at:
            began = clock()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            if status != expect:
                raise SystemExit(f"expected {expect}, got {head.decode(errors='replace')}")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(clock() - began)
    finally:
        writer.close()


async def _load(port: int, request: bytes, expect: int, clients: int,
                seconds: float) -> list[float]:
    latencies: list[float] = []
    await asyncio.gather(*(_client(port, request, expect, time.perf_counter() + seconds, [])
                           for _ in range(clients)))  # warm-up
    await asyncio.gather(*(_client(port, request, expect, time.perf_counter() + seconds,
                                   latencies) for _ in range(clients)))
    return latencies


def measure(port: int, path: str, expect: int, clients: int, seconds: float,
            headers: str = "") -> dict[str, float]:
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}\r\n").encode()
    latencies = asyncio.run(_load(port, request, expect, clients, seconds))
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def prepare(data_dir: str) -> tuple[str, str, int]:
    """One generated avatar; returns (versioned URL path, ETag, size in bytes)."""
    from avatar_core.domain import urls
    from avatar_core.foundation.config import Settings
    from avatar_core.service import AvatarService

    service = AvatarService(Settings.from_mapping(settings(data_dir)))
    service.start()
    service.agents.register(AGENT)
    service.generate(AGENT, "a friendly brass robot with a monocle")
    deadline = time.monotonic() + 600  # its emotions, then its renditions (AVIF among them)
    while not (service.work.idle() and not service.serving.rows.pending()):
        if time.monotonic() > deadline:
            raise SystemExit("renditions not made in 600 s")
        time.sleep(0.1)
    image = service.images.avatar(AGENT)
    url = urls.avatar_url(service.agents.get(AGENT))
    service.close()
    assert url is not None
    return url, f'"{image.digest}"', len(image.data)


def start_cluster(stack: contextlib.ExitStack) -> dict[str, str]:
    """PostgreSQL and SeaweedFS for the bench (the test suite's own servers); their settings."""
    import sqlalchemy as sa

    from tests.postgres_server import PostgresServer
    from tests.s3_server import S3Server

    postgres = PostgresServer()
    stack.callback(postgres.stop)
    s3 = stack.enter_context(S3Server())
    os.environ.update(s3.env(), AWS_EC2_METADATA_DISABLED="true")
    engine = sa.create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text('CREATE DATABASE "serve_bench"'))
    engine.dispose()
    return {"AVATARS_DATABASE_URL": postgres.url.rsplit("/", 1)[0] + "/serve_bench",
            "AVATARS_BLOB_URL": f"s3://{s3.create_bucket('serve-bench')}/avatars",
            "AWS_ENDPOINT_URL": s3.endpoint, "AWS_DEFAULT_REGION": "us-east-1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--cluster", action="store_true",
                        help="serve as one replica: PostgreSQL + S3 (SeaweedFS)")
    parser.add_argument("--serve", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port, args.data)
        return

    with contextlib.ExitStack() as stack:
        if args.cluster:
            os.environ.update(AVATARS_BENCH_SETTINGS=json.dumps(start_cluster(stack)))
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="avatars-bench-"))
        url, etag, size = prepare(data_dir)
        ours, ours_port = start("ours", data_dir)
        base, base_port = start("baseline", data_dir)
        try:
            api_path = url.removeprefix("/api")
            with urllib.request.urlopen(f"http://127.0.0.1:{ours_port}{api_path}") as check:
                assert check.read()[:4] == b"RIFF"
            rows = {
                "baseline FileResponse 200": measure(base_port, "/avatar", 200, args.clients,
                                                     args.seconds),
                "ours GET avatar 200": measure(ours_port, api_path, 200, args.clients,
                                               args.seconds),
                "ours GET avatar 304": measure(ours_port, api_path, 304, args.clients,
                                               args.seconds, f"If-None-Match: {etag}\r\n"),
                "baseline 48 px FileResponse": measure(base_port, "/avatar-48", 200,
                                                       args.clients, args.seconds),
                "ours ?size=48 WebP 200": measure(ours_port, f"{api_path}&size=48", 200,
                                                  args.clients, args.seconds,
                                                  "Accept: image/webp,*/*\r\n"),
                "ours ?size=48 AVIF 200": measure(ours_port, f"{api_path}&size=48", 200,
                                                  args.clients, args.seconds,
                                                  "Accept: image/avif,image/webp,*/*\r\n"),
            }
        finally:
            for process in (ours, base):
                process.terminate()
                process.wait(timeout=10)

    where = "PostgreSQL + S3 (SeaweedFS)" if args.cluster else "SQLite + local files"
    print(f"avatar: {size} bytes WebP from {where}; {args.clients} clients, "
          f"{args.seconds:g} s per case, loopback, {os.cpu_count()} cores")
    print(f"{'case':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for label, row in rows.items():
        print(f"{label:<28}{row['rps']:>10.0f}{row['p50_ms']:>10.2f}{row['p99_ms']:>10.2f}")
    baseline = rows["baseline FileResponse 200"]["rps"]
    ok = rows["ours GET avatar 200"]
    notmod = rows["ours GET avatar 304"]
    print(f"serve: ok_rps={ok['rps']:.0f} notmod_rps={notmod['rps']:.0f} "
          f"baseline_rps={baseline:.0f} ok_ratio={ok['rps'] / baseline:.2f} "
          f"notmod_ratio={notmod['rps'] / baseline:.2f} "
          f"p99_ms={max(ok['p99_ms'], notmod['p99_ms']):.2f}")
    small = rows["baseline 48 px FileResponse"]["rps"]
    print(f"serve_48: webp_rps={rows['ours ?size=48 WebP 200']['rps']:.0f} "
          f"avif_rps={rows['ours ?size=48 AVIF 200']['rps']:.0f} baseline_rps={small:.0f} "
          f"webp_ratio={rows['ours ?size=48 WebP 200']['rps'] / small:.2f} "
          f"avif_ratio={rows['ours ?size=48 AVIF 200']['rps'] / small:.2f}")


if __name__ == "__main__":
    main()
