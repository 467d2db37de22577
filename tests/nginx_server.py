"""Debian's nginx running deploy/nginx.conf on a free loopback port, and small upstreams for it.

``NginxServer(upstreams)`` renders the deploy template (the one deployments use) into a temp
prefix and runs ``nginx -p PREFIX -c nginx.conf`` in the foreground, stopped by pid.
``EchoUpstream(name)`` is a tiny ASGI app under uvicorn in a subprocess that answers every path,
``/_stcore/stream`` websocket included, with its own name — so a test can see which replica
nginx chose.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from deploy.render_nginx import prepare_prefix, render_nginx_conf
from tests.live_server import ROOT, free_port

__all__ = ["EchoUpstream", "NginxServer", "echo_app", "nginx_binary"]

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if found is None:
        raise RuntimeError("nginx is not installed: sudo apt-get install nginx "
                           "(./scripts/test installs it when run as root)")
    return found


class _Process:
    """A subprocess in its own process group with a log file; stop() by pid, TERM then KILL."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def _spawn(self, command: list[str], log_path: Path, **options: Any) -> None:
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True, **options)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "<no log>"

    def _wait_answering(self, port: int, what: str, timeout: float = START_TIMEOUT_S) -> None:
        """Until an HTTP GET / on ``port`` gets any answer (nginx: even a 502 is an answer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{what} exited with {self.process.returncode}:\n"
                                   f"{self.output()}")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            try:
                connection.request("GET", "/")
                connection.getresponse().read()
                return
            except OSError:
                time.sleep(0.1)
            finally:
                connection.close()
        raise RuntimeError(f"{what} did not answer on port {port} in time:\n{self.output()}")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        _signal_group(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()


class NginxServer(_Process):
    """nginx in front of ``upstreams`` (ports on 127.0.0.1); ``base`` is its URL."""

    def __init__(self, upstreams: list[int]) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="aa-nginx-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        prepare_prefix(self.root)
        (self.root / "nginx.conf").write_text(render_nginx_conf(
            f"127.0.0.1:{self.port}", [f"127.0.0.1:{port}" for port in upstreams], self.root))
        self.error_log = self.root / "logs" / "error.log"
        self._spawn([nginx_binary(), "-p", str(self.root), "-c", "nginx.conf",
                     "-e", str(self.error_log),  # not /var/log/nginx, even before the config
                     "-g", f"daemon off; pid {self.root / 'nginx.pid'};"],
                    self.root / "nginx.out")
        try:
            self._wait_answering(self.port, "nginx")
        except BaseException:
            self.stop()
            raise

    def output(self) -> str:
        """What nginx said: its stdout/stderr and the error log (both short in a test)."""
        log = self.error_log.read_text(errors="replace") if self.error_log.exists() else ""
        return f"{super().output()}\n--- error.log ---\n{log[-4000:]}"

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> NginxServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


class EchoUpstream(_Process):
    """``uvicorn tests.nginx_server:echo_app`` on a free port, answering as ``name``."""

    def __init__(self, name: str, log_dir: Path) -> None:
        self.name = name
        self.port = free_port()
        env = {**os.environ, "AA_UPSTREAM_NAME": name}
        self._spawn([sys.executable, "-m", "uvicorn", "--factory", "tests.nginx_server:echo_app",
                     "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
                     "--ws", "websockets"],
                    log_dir / f"upstream-{name}.log", cwd=ROOT, env=env)
        try:
            self._wait_answering(self.port, f"upstream {name}")
        except BaseException:
            self.stop()
            raise


def echo_app() -> Any:
    """Every HTTP path answers {upstream, method, path, received}; the websocket at
    /_stcore/stream greets with the upstream's name and echoes messages prefixed by it."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket

    name = os.environ["AA_UPSTREAM_NAME"]

    async def answer(request: Request) -> JSONResponse:
        received = 0
        async for chunk in request.stream():
            received += len(chunk)
        return JSONResponse({"upstream": name, "method": request.method,
                             "path": request.url.path, "received": received})

    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(name)
        while True:
            message = await websocket.receive_text()
            await websocket.send_text(f"{name}:{message}")

    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[WebSocketRoute("/_stcore/stream", stream),
                             Route("/{path:path}", answer, methods=methods)])


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pid, signum)
