"""One generation per agent at a time, so an agent always ends with one consistent version.

Held across replicas on PostgreSQL (an advisory lock per agent id) and across this process's
threads everywhere: generations, restores and deletes of one agent queue behind it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..storage.cluster import ClusterLock, LockSpace

__all__ = ["AgentLocks"]


class AgentLocks:
    """A lock per agent id."""

    def __init__(self, cluster: ClusterLock) -> None:
        self.cluster = cluster

    @contextmanager
    def hold(self, agent_id: int) -> Iterator[None]:
        with self.cluster.hold(LockSpace.AGENT, agent_id):
            yield
