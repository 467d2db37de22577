"""One generation per agent at a time, so an agent always ends with one consistent version."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["AgentLocks"]


class AgentLocks:
    """A lock per agent id; generations, restores and deletes of one agent queue behind it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}

    @contextmanager
    def hold(self, agent_id: int) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(agent_id, threading.Lock())
        with lock:
            yield
