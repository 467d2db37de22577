"""The real server (`streamlit run app.py`) in a subprocess on a free loopback port.

Shared by the server test and the browser tests: a clean environment (no keys or AVATARS_*
settings from the machine), a log file to show when something goes wrong, and small HTTP
helpers that never raise on 4xx/5xx.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["LiveServer", "free_port", "request"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, lower-cased headers, body) from 127.0.0.1:``port``; a JSON body when given."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        sent = {**(headers or {})}
        if payload is not None:
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return (response.status, {k.lower(): v for k, v in response.getheaders()},
                response.read())
    finally:
        connection.close()


class LiveServer:
    """``streamlit run app.py`` with ``env`` on top of a cleaned environment."""

    def __init__(self, data_dir: Path, log_path: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        clean = {key: value for key, value in os.environ.items()
                 if not key.startswith(("AVATARS_", "GEMINI_", "GOOGLE_"))}
        clean.update({"AVATARS_DATA_DIR": str(data_dir), "AVATARS_PROVIDER": "builtin",
                      "AVATARS_DEMO": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
                      **env})
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.headless", "true"],
            cwd=ROOT, env=clean, stdout=self.log, stderr=subprocess.STDOUT)

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """(status, lower-cased headers, body); a JSON body when ``body`` is given."""
        return request(self.port, method, path, body, headers)

    def get(self, path: str) -> tuple[int, bytes]:
        status, _, body = self.request("GET", path)
        return status, body

    def get_json(self, path: str) -> Any:
        status, body = self.get(path)
        assert status == 200, f"GET {path} → {status}: {body[:300]!r}"
        return json.loads(body)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_for(self, what: str, predicate: Callable[[], bool], deadline: float) -> None:
        """Poll ``predicate`` until ``deadline`` (monotonic); fail with the server's log."""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited early:\n{self.output()}")
            try:
                if predicate():
                    return
            except (OSError, AssertionError, ValueError):
                pass
            time.sleep(0.3)
        raise AssertionError(f"server: {what} not reached in time\n{self.output()}")

    def wait_healthy(self, timeout: float) -> None:
        self.wait_for("health", lambda: self.get("/_stcore/health")[0] == 200,
                      time.monotonic() + timeout)

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; the exit code, or None if it was killed."""
        try:
            if self.process.poll() is not None:
                return self.process.returncode
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                return None
        finally:
            self.log.close()
        return self.process.returncode
