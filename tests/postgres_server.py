"""A throwaway PostgreSQL cluster (Debian's postgresql package) for storage tests.

Runs ``initdb`` and ``postgres`` from /usr/lib/postgresql/*/bin in a fresh temp directory on a
free loopback port; as root it runs them as the ``postgres`` user (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.live_server import free_port

__all__ = ["PostgresServer", "postgres_bin"]


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """Start with ``PostgresServer()``, use ``.url``, stop with ``.stop()``."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed: sudo apt-get install postgresql")
        self.root = Path(tempfile.mkdtemp(prefix="aa-pg-"))
        self.port = free_port()
        data = self.root / "data"
        as_postgres = os.geteuid() == 0
        prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
        if as_postgres:
            shutil.chown(self.root, "postgres")
        user = "postgres" if as_postgres else os.environ.get("USER", "postgres")
        subprocess.run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", user,
                        "--auth=trust", "-E", "UTF8", "--no-sync"],
                       check=True, capture_output=True)
        self.log = self.root / "postgres.log"
        self.process = subprocess.Popen(
            [*prefix, str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port),
             "-h", "127.0.0.1", "-k", str(self.root), "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.url = f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/postgres"
        self._wait_ready(bin_dir, user)

    def _wait_ready(self, bin_dir: Path, user: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p",
                                    str(self.port), "-U", user], capture_output=True)
            if ready.returncode == 0:
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("PostgreSQL did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)
