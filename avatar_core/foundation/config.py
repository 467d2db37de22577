"""One Settings object: the only reader of the environment and `.streamlit/secrets.toml`.

Every option is one row of ``OPTIONS`` (name, default, help), so the Settings page can render
them and tests can build a ``Settings`` from a plain mapping. Secrets never appear in a repr or
in ``describe()``; credentials inside URLs are masked there too.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

__all__ = [
    "DEFAULT_BATCH_POLL_S",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_GEMINI_MODEL",
    "DEFAULT_GEMINI_TEXT_MODEL",
    "DEFAULT_GEMINI_TIMEOUT_S",
    "DEFAULT_LEASE_S",
    "OPTIONS",
    "PROVIDER_CHOICES",
    "Option",
    "ProviderChoice",
    "Settings",
    "mask_url",
]

ProviderChoice = Literal["auto", "gemini", "builtin"]

DEFAULT_GEMINI_MODEL = "gemini-2.5-flash-image"
DEFAULT_GEMINI_TEXT_MODEL = "gemini-2.5-flash"
DEFAULT_GEMINI_TIMEOUT_S = 120.0
DEFAULT_CONCURRENCY = 4
DEFAULT_LEASE_S = 30.0
DEFAULT_BATCH_POLL_S = 30.0
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
    Option("AVATARS_BLOB_URL", "", "Where images live: empty = the data dir; "
           "s3://bucket/prefix = an S3-compatible store."),
    Option("AWS_ENDPOINT_URL", "", "The S3 endpoint (for stores other than AWS)."),
    Option("AWS_DEFAULT_REGION", "", "The S3 region."),
    Option("AVATARS_ADMIN_TOKEN", "", "Admin bearer token; empty = demo mode.", secret=True),
    Option("AVATARS_SECRET_KEY", "", "Encrypts the Gemini key saved in Settings; empty = a "
           "key file in the data dir.", secret=True),
    Option("AVATARS_PROVIDER", "auto", "auto (Gemini when a key is set) | gemini | builtin."),
    Option("GEMINI_API_KEY", "", "Gemini key (GOOGLE_API_KEY also read).", secret=True),
    Option("GOOGLE_GEMINI_BASE_URL", "", "The SDK's own endpoint override (proxies, tests)."),
    Option("AVATARS_GEMINI_MODEL", DEFAULT_GEMINI_MODEL, "Gemini image model."),
    Option("AVATARS_GEMINI_TEXT_MODEL", DEFAULT_GEMINI_TEXT_MODEL,
           "Gemini text model that refines short prompts."),
    Option("AVATARS_REFINE_PROMPT", "on", "on | off: refine identity prompts first (Gemini)."),
    Option("AVATARS_CONCURRENCY", str(DEFAULT_CONCURRENCY),
           "Provider calls in flight at once, across all replicas."),
    Option("AVATARS_GEMINI_TIMEOUT_S", str(int(DEFAULT_GEMINI_TIMEOUT_S)), "Provider timeout."),
    Option("AVATARS_DAILY_BUDGET_USD", "", "Provider spend allowed per UTC day; empty = none."),
    Option("AVATARS_PRICE_PER_IMAGE_USD", "", "Overrides the known model's list price."),
    Option("AVATARS_BATCH_POLL_S", str(int(DEFAULT_BATCH_POLL_S)),
           "How often a batch-mode job asks the provider for its results."),
    Option("AVATARS_LEASE_S", str(int(DEFAULT_LEASE_S)),
           "How long a claim on a background item lasts without a heartbeat."),
    Option("AVATARS_DEMO", "1", "Seed demo agents on an empty database."),
)

_FALSE = {"0", "false", "no", "off", ""}
# The password runs to the next "@" and may hold "/" (SQLAlchemy's own URL rule).
_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@\s]*@",
                          re.IGNORECASE)
_SECRET_QUERY = re.compile(r"(?P<name>[?&;](?:[a-z0-9_.-]*(?:password|passwd|secret|token|key)"
                           r"|pass|pwd)=)[^&;#\s]*", re.IGNORECASE)


def mask_url(url: str) -> str:
    """``scheme://user:secret@host`` → ``scheme://user:•••@host``, and a secret in the query
    string (``?password=…``, ``&sslpassword=…``, ``?token=…``) → ``•••``; other text
    unchanged."""
    masked = _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:•••@", url)
    return _SECRET_QUERY.sub(lambda m: f"{m['name']}•••", masked)


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; build with ``Settings.load()`` or ``Settings.from_mapping()``."""

    data_dir: Path
    database_url: str
    admin_token: str | None = field(repr=False)
    provider: ProviderChoice
    gemini_api_key: str | None = field(repr=False)
    gemini_base_url: str | None
    gemini_model: str
    concurrency: int
    gemini_timeout_s: float
    demo: bool
    lease_s: float = DEFAULT_LEASE_S
    blob_url: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    gemini_text_model: str = DEFAULT_GEMINI_TEXT_MODEL
    refine_prompt: bool = True
    daily_budget_usd: float | None = None
    price_per_image_usd: float | None = None
    batch_poll_s: float = DEFAULT_BATCH_POLL_S

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
        provider = get("AVATARS_PROVIDER").lower() or "auto"
        if provider not in PROVIDER_CHOICES:
            raise ValueError(
                f"AVATARS_PROVIDER must be one of {PROVIDER_CHOICES}, not {provider[:40]!r}")
        key = get("GEMINI_API_KEY") or str(values.get("GOOGLE_API_KEY", "")).strip()
        return cls(
            data_dir=data_dir,
            database_url=get("AVATARS_DATABASE_URL") or f"sqlite:///{data_dir / 'avatars.db'}",
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
            blob_url=get("AVATARS_BLOB_URL"),
            s3_endpoint_url=get("AWS_ENDPOINT_URL") or None,
            s3_region=get("AWS_DEFAULT_REGION") or None,
            secret_key=get("AVATARS_SECRET_KEY") or None,
            gemini_text_model=get("AVATARS_GEMINI_TEXT_MODEL") or DEFAULT_GEMINI_TEXT_MODEL,
            refine_prompt=get("AVATARS_REFINE_PROMPT").lower() not in _FALSE,
            daily_budget_usd=_money(get("AVATARS_DAILY_BUDGET_USD")),
            price_per_image_usd=_money(get("AVATARS_PRICE_PER_IMAGE_USD")),
            batch_poll_s=max(0.05, _float(get("AVATARS_BATCH_POLL_S"), DEFAULT_BATCH_POLL_S)),
        )

    def describe(self) -> list[dict[str, str]]:
        """Rows for the Settings page: name, value (secrets as set/not set, URLs masked), help."""
        shown = {
            "AVATARS_DATA_DIR": str(self.data_dir),
            "AVATARS_DATABASE_URL": mask_url(self.database_url),
            "AVATARS_BLOB_URL": mask_url(self.blob_url) or "(files in the data dir)",
            "AWS_ENDPOINT_URL": mask_url(self.s3_endpoint_url or "") or "(AWS default)",
            "AWS_DEFAULT_REGION": self.s3_region or "(default)",
            "AVATARS_ADMIN_TOKEN": "set" if self.admin_token else "not set (demo mode)",
            "AVATARS_SECRET_KEY": "set" if self.secret_key else "not set (key file)",
            "AVATARS_PROVIDER": self.provider,
            "GEMINI_API_KEY": "set" if self.gemini_api_key else "not set",
            "GOOGLE_GEMINI_BASE_URL": mask_url(self.gemini_base_url or "") or "(SDK default)",
            "AVATARS_GEMINI_MODEL": self.gemini_model,
            "AVATARS_GEMINI_TEXT_MODEL": self.gemini_text_model,
            "AVATARS_REFINE_PROMPT": "on" if self.refine_prompt else "off",
            "AVATARS_CONCURRENCY": str(self.concurrency),
            "AVATARS_GEMINI_TIMEOUT_S": f"{self.gemini_timeout_s:g}",
            "AVATARS_DAILY_BUDGET_USD": _dollars(self.daily_budget_usd, "no budget"),
            "AVATARS_PRICE_PER_IMAGE_USD": _dollars(self.price_per_image_usd, "list price"),
            "AVATARS_BATCH_POLL_S": f"{self.batch_poll_s:g}",
            "AVATARS_LEASE_S": f"{self.lease_s:g}",
            "AVATARS_DEMO": "on" if self.demo else "off",
        }
        return [{"name": o.name, "value": shown[o.name], "help": o.help} for o in OPTIONS]


def _dollars(value: float | None, otherwise: str) -> str:
    return otherwise if value is None else f"${value:,.4g}"


def _money(text: str) -> float | None:
    """A non-negative amount of dollars, or None when unset or unreadable."""
    value = _float(text.lstrip("$"), -1.0) if text else -1.0
    return value if value >= 0 else None


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
