"""One Settings object: the only reader of the environment and `.streamlit/secrets.toml`.

Every option is one row of ``OPTIONS`` (name, default, help), so the Settings page can render
them and tests can build a ``Settings`` from a plain mapping.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_GEMINI_MODEL",
    "DEFAULT_GEMINI_TIMEOUT_S",
    "DEFAULT_LEASE_S",
    "OPTIONS",
    "PROVIDER_CHOICES",
    "Option",
    "ProviderChoice",
    "Settings",
]

ProviderChoice = Literal["auto", "gemini", "builtin"]

DEFAULT_GEMINI_MODEL = "gemini-2.5-flash-image"
DEFAULT_GEMINI_TIMEOUT_S = 120.0
DEFAULT_CONCURRENCY = 4
DEFAULT_LEASE_S = 30.0
PROVIDER_CHOICES: tuple[ProviderChoice, ...] = ("auto", "gemini", "builtin")


@dataclass(frozen=True)
class Option:
    name: str
    default: str
    help: str
    secret: bool = False


OPTIONS: tuple[Option, ...] = (
    Option("AVATARS_DATA_DIR", "./data", "Where the SQLite file and image files live."),
    Option("AVATARS_DATABASE_URL", "", "SQLAlchemy URL; empty = SQLite file in the data dir."),
    Option("AVATARS_ADMIN_TOKEN", "", "Admin bearer token; empty = demo mode.", secret=True),
    Option("AVATARS_PROVIDER", "auto", "auto (Gemini when a key is set) | gemini | builtin."),
    Option("GEMINI_API_KEY", "", "Gemini key (GOOGLE_API_KEY also read).", secret=True),
    Option("GOOGLE_GEMINI_BASE_URL", "", "The SDK's own endpoint override (proxies, tests)."),
    Option("AVATARS_GEMINI_MODEL", DEFAULT_GEMINI_MODEL, "Gemini image model."),
    Option("AVATARS_CONCURRENCY", str(DEFAULT_CONCURRENCY), "Parallel background generations."),
    Option("AVATARS_GEMINI_TIMEOUT_S", str(int(DEFAULT_GEMINI_TIMEOUT_S)), "Provider timeout."),
    Option("AVATARS_DEMO", "1", "Seed demo agents on an empty database."),
    Option("AVATARS_LEASE_S", str(int(DEFAULT_LEASE_S)),
           "How long a claim on a background item lasts without a heartbeat."),
)

_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build with ``Settings.load()`` or ``Settings.from_mapping()``."""

    data_dir: Path
    database_url: str
    admin_token: str | None
    provider: ProviderChoice
    gemini_api_key: str | None
    gemini_base_url: str | None
    gemini_model: str
    concurrency: int
    gemini_timeout_s: float
    demo: bool
    lease_s: float = DEFAULT_LEASE_S

    @classmethod
    def load(cls, secrets_path: Path | None = None) -> Settings:
        """Environment first, then `.streamlit/secrets.toml` (top-level keys), then defaults."""
        merged: dict[str, str] = {}
        path = secrets_path or Path(".streamlit/secrets.toml")
        if path.is_file():
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError):
                data = {}
            merged.update({k: str(v) for k, v in data.items() if not isinstance(v, dict)})
        merged.update(os.environ)
        return cls.from_mapping(merged)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        def get(name: str) -> str:
            for option in OPTIONS:
                if option.name == name:
                    return str(values.get(name, option.default)).strip()
            raise KeyError(name)

        data_dir = Path(get("AVATARS_DATA_DIR") or "./data").expanduser()
        database_url = get("AVATARS_DATABASE_URL") or f"sqlite:///{data_dir / 'avatars.db'}"
        provider = get("AVATARS_PROVIDER").lower() or "auto"
        if provider not in PROVIDER_CHOICES:
            raise ValueError(
                f"AVATARS_PROVIDER must be one of {PROVIDER_CHOICES}, not {provider!r}")
        key = get("GEMINI_API_KEY") or str(values.get("GOOGLE_API_KEY", "")).strip()
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            admin_token=get("AVATARS_ADMIN_TOKEN") or None,
            provider=provider,
            gemini_api_key=key or None,
            gemini_base_url=get("GOOGLE_GEMINI_BASE_URL") or None,
            gemini_model=get("AVATARS_GEMINI_MODEL") or DEFAULT_GEMINI_MODEL,
            concurrency=max(1, _int(get("AVATARS_CONCURRENCY"), DEFAULT_CONCURRENCY)),
            gemini_timeout_s=max(
                1.0, _float(get("AVATARS_GEMINI_TIMEOUT_S"), DEFAULT_GEMINI_TIMEOUT_S)),
            demo=get("AVATARS_DEMO").lower() not in _FALSE,
            lease_s=max(2.0, _float(get("AVATARS_LEASE_S"), DEFAULT_LEASE_S)),
        )

    def describe(self) -> list[dict[str, str]]:
        """Rows for the Settings page: name, value (secrets masked), help."""
        shown = {
            "AVATARS_DATA_DIR": str(self.data_dir),
            "AVATARS_DATABASE_URL": self.database_url,
            "AVATARS_ADMIN_TOKEN": "set" if self.admin_token else "not set (demo mode)",
            "AVATARS_PROVIDER": self.provider,
            "GEMINI_API_KEY": "set" if self.gemini_api_key else "not set",
            "GOOGLE_GEMINI_BASE_URL": self.gemini_base_url or "(SDK default)",
            "AVATARS_GEMINI_MODEL": self.gemini_model,
            "AVATARS_CONCURRENCY": str(self.concurrency),
            "AVATARS_GEMINI_TIMEOUT_S": f"{self.gemini_timeout_s:g}",
            "AVATARS_DEMO": "on" if self.demo else "off",
            "AVATARS_LEASE_S": f"{self.lease_s:g}",
        }
        return [{"name": o.name, "value": shown[o.name], "help": o.help} for o in OPTIONS]


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default


def _float(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default
