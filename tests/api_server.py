"""``create_api`` over a real service, served by uvicorn in a subprocess, and raw HTTP to it.

The body limits are about what a server does with bytes on a socket — answer before reading,
cut a stream at its cap, survive a client that goes away — so they are tested on a real server
with a raw socket, not through an in-process client. The child binds port 0 itself and writes
the port it got to a file (no race for a "free" port); its log (uvicorn's and the product's)
goes to a file the tests read. Stopped by its pid.

Run as ``python -m tests.api_server PORT_FILE`` with the service's settings in the environment.
"""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["ApiServer", "RawAnswer", "head_of", "read_answer", "send_raw"]


class RawAnswer:
    """An HTTP answer read off a socket: status, lower-cased headers, body."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip()
                        for k, _, v in (line.partition(":") for line in lines[1:])}

        self.sent = 0  # body bytes the client got to send before the answer came

    def json(self) -> object:
        return json.loads(self.body)


class ApiServer:
    """Start with ``ApiServer(data_dir, log_path, **settings)``; ``stop()`` ends it by pid."""

    def __init__(self, data_dir: Path, log_path: Path, **env: str) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        port_file = log_path.with_suffix(".port")
        clean = {key: value for key, value in os.environ.items()
                 if not key.startswith(("AVATARS_", "GEMINI_", "GOOGLE_"))}
        clean.update({"AVATARS_DATA_DIR": str(data_dir), "AVATARS_PROVIDER": "builtin",
                      "AVATARS_DEMO": "0", "AVATARS_REFINE_PROMPT": "off", **env})
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.api_server", str(port_file)],
            cwd=ROOT, env=clean, stdout=self._log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port(port_file)
        self._wait_until_healthy()

    def _wait_for_port(self, port_file: Path, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_file.exists() and port_file.read_text().strip():
                return int(port_file.read_text())
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the API server did not start:\n{self.log()}")

    def _wait_until_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.request("GET", "/health").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the API server never answered /health:\n{self.log()}")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=60)

    def request(self, method: str, path: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> RawAnswer:
        """One request with a declared length, on its own connection."""
        head = {"Content-Length": str(len(body)), **(headers or {})}
        with self.connect() as sock:
            return send_raw(sock, method, path, head, [body] if body else [])

    def answer_without_the_body(self, method: str, path: str, headers: dict[str, str],
                                first: bytes = b"") -> RawAnswer:
        """Send the head (and ``first`` bytes of the body), then NOTHING more: an answer can
        only come from a server that decided without reading the rest of the body."""
        with self.connect() as sock:
            sock.sendall(head_of(method, path, headers) + first)
            readable, _, _ = select.select([sock], [], [], 60)
            if not readable:
                raise AssertionError(f"{method} {path}: no answer without the body")
            return read_answer(sock)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def send_raw(sock: socket.socket, method: str, path: str, headers: dict[str, str],
             chunks: Iterable[bytes], *, chunked: bool = False) -> RawAnswer:
    """Send a request piece by piece and stop sending as soon as an answer arrives.

    A server that refuses a body answers before it has read it; a client that keeps writing
    into a socket the server closed would lose that answer to the reset. So before each chunk
    this looks whether the answer is there, and reads it once it is.
    """
    with sock:  # closed here: the answer is read whole (every request says Connection: close)
        sock.sendall(head_of(method, path, {**headers, **(
            {"Transfer-Encoding": "chunked"} if chunked else {})}))
        sent = 0
        for chunk in chunks:
            if _answered(sock):
                break
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        else:
            if chunked and not _answered(sock):
                sock.sendall(b"0\r\n\r\n")
        answer = read_answer(sock)
        answer.sent = sent
        return answer


def head_of(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *(f"{key}: {value}" for key, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _answered(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def read_answer(sock: socket.socket) -> RawAnswer:
    """Read until the server closes the connection (every request here says Connection: close)."""
    return RawAnswer(_read_all(sock))


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while True:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            break
        if not piece:
            break
        data += piece
    return data


def _serve(port_file: Path) -> None:
    import logging

    import uvicorn

    from avatar_api import create_api
    from avatar_core.foundation.config import Settings
    from avatar_core.service import AvatarService

    logging.basicConfig(level=logging.INFO)  # the product's own log lands in the file too
    service = AvatarService(Settings.from_mapping(os.environ)).start()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_api(lambda: service), log_level="info"))
    port_file.write_text(str(sock.getsockname()[1]))
    server.run(sockets=[sock])
    service.close()


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
