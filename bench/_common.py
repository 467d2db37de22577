"""Shared set-up for benchmarks: repo root on sys.path, a throwaway data dir, a service."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from avatar_core.foundation.config import Settings  # noqa: E402
from avatar_core.service import AvatarService  # noqa: E402


def gemini_service(stub_url: str, concurrency: int, data_dir: Path | None = None,
                   database_url: str = "") -> AvatarService:
    """A started service on a fresh SQLite file (or ``database_url``), talking to the local
    protocol server."""
    directory = data_dir or Path(tempfile.mkdtemp(prefix="aa-bench-"))
    return AvatarService(Settings.from_mapping({
        "AVATARS_DATA_DIR": str(directory), "AVATARS_DEMO": "0", "AVATARS_PROVIDER": "gemini",
        "GEMINI_API_KEY": "bench-key", "GOOGLE_GEMINI_BASE_URL": stub_url,
        "AVATARS_CONCURRENCY": str(concurrency), "AVATARS_GEMINI_TIMEOUT_S": "30",
        "AVATARS_REFINE_PROMPT": "off",  # image calls only: refinement is measured on its own
        "AVATARS_DATABASE_URL": database_url,
    })).start()
