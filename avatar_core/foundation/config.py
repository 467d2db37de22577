"""One Settings object: the only reader of the environment and `.streamlit/secrets.toml`.

Every option is ONE typed declaration below (``pydantic-settings``, as the FastAPI template
does): its variable name, type, default, bounds, what it accepts and what it means. The README
configuration table (``readme_table``), the Settings → Configuration view (``describe``) and the
refusal at start all come from it; to add an option, add one field.

- **Where values come from**: the environment, then top-level keys of the secrets file, then
  the default. An empty value counts as unset.
- **A bad value stops the start**: ``load`` and ``from_mapping`` raise ``ConfigError`` naming
  every bad variable, its value (secrets masked) and what it accepts — never a silent default.
- **Secrets never show**: not in a repr, an error or ``describe()``; URL passwords are masked.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .config_check import (
    ConfigError,
    Problem,
    mask_url,
    raw_values,
    read_secrets_file,
    shown_value,
    unknown_names,
)

__all__ = [
    "ADMIN_TOKEN_MIN_CHARS",
    "AUTO_MODEL",
    "DEFAULT_BATCH_POLL_S",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_GEMINI_MODEL",
    "DEFAULT_GEMINI_TEXT_MODEL",
    "DEFAULT_GEMINI_TIMEOUT_S",
    "DEFAULT_LEASE_S",
    "OPTIONS",
    "PROVIDER_CHOICES",
    "ConfigError",
    "Option",
    "ProviderChoice",
    "Settings",
    "mask_url",
    "readme_table",
]

ProviderChoice = Literal["auto", "gemini", "builtin"]
PROVIDER_CHOICES: tuple[ProviderChoice, ...] = ("auto", "gemini", "builtin")
AUTO_MODEL = "auto"
DEFAULT_GEMINI_MODEL = AUTO_MODEL
DEFAULT_GEMINI_TEXT_MODEL = AUTO_MODEL
DEFAULT_GEMINI_TIMEOUT_S = 120.0
DEFAULT_CONCURRENCY = 4
DEFAULT_LEASE_S = 30.0
DEFAULT_BATCH_POLL_S = 30.0
ADMIN_TOKEN_MIN_CHARS = 16
MAKE_A_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
_SECRETS_FILE = Path(".streamlit/secrets.toml")

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"0", "false", "no", "off"})
_AMOUNT = re.compile(r"^\$?\s*(\d+(\.\d*)?|\.\d+)$")
_MODEL_NAME = r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,99}$"


def _switch(value: Any) -> Any:
    """1/0, true/false, yes/no, on/off (any case); anything else is refused."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _ON or text in _OFF:
        return text in _ON
    raise ValueError("not a switch")


def _amount(value: Any) -> Any:
    """Plain dollars, a ``$`` in front allowed: ``10``, ``$10.50``. Not ``10 USD``, ``1,000``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    match = _AMOUNT.match(str(value).strip())
    if match is None:
        raise ValueError("not an amount")
    return float(match[1])


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _path(value: Any) -> Any:
    return Path(value).expanduser() if isinstance(value, str | Path) else value


Switch = Annotated[bool, BeforeValidator(_switch)]
Dollars = Annotated[float, BeforeValidator(_amount)]
Provider = Annotated[ProviderChoice, BeforeValidator(_lower)]
DataDir = Annotated[Path, BeforeValidator(_path)]


@dataclass(frozen=True)
class Doc:
    """What a declaration says beyond its type: what it accepts, how it is shown."""

    name: str
    meaning: str
    accepts: str
    default: str
    unset: str
    secret: bool
    url: bool


def _default_text(default: Any) -> str:
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, float) and math.isfinite(default):
        return f"`{default:g}`"
    return f"`{default}`" if default not in (None, "") else "—"


_DOCS: dict[str, Doc] = {}


def option(name: str, default: Any, meaning: str, *, accepts: str, shown_default: str = "",
           unset: str = "not set", secret: bool = False, url: bool = False,
           **bounds: Any) -> Any:
    """One declaration: the pydantic field for ``name`` and its documentation."""
    _DOCS[name] = Doc(name, meaning, accepts, shown_default or _default_text(default),
                      unset, secret, url)
    return Field(default, validation_alias=name, description=meaning, repr=not secret,
                 **bounds)


class Settings(BaseSettings):
    """Resolved configuration; build with ``Settings.load()`` or ``Settings.from_mapping()``."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=True,
                                      env_ignore_empty=True, str_strip_whitespace=True,
                                      hide_input_in_errors=True)

    data_dir: DataDir = option(
        "AVATARS_DATA_DIR", Path("./data"), "SQLite file, image files, the key file",
        accepts="a directory path", shown_default="`./data`")
    database_url: str = option(
        "AVATARS_DATABASE_URL", "", "any SQLAlchemy URL; `postgresql+psycopg://…` for several "
        "replicas", accepts="an SQLAlchemy URL", shown_default="SQLite in the data dir",
        url=True)
    blob_url: str = option(
        "AVATARS_BLOB_URL", "", "`s3://bucket/prefix`: images in any S3-compatible store",
        accepts="empty or s3://bucket/prefix", shown_default="files in the data dir",
        unset="(files in the data dir)", url=True)
    s3_endpoint_url: str | None = option(
        "AWS_ENDPOINT_URL", None, "the S3 endpoint (stores other than AWS); credentials the "
        "standard AWS way (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, profiles, roles)",
        accepts="a URL", shown_default="AWS", unset="(AWS default)", url=True)
    s3_region: str | None = option(
        "AWS_DEFAULT_REGION", None, "the S3 region", accepts="a region name",
        shown_default="AWS", unset="(default)")
    admin_token: str | None = option(
        "AVATARS_ADMIN_TOKEN", None, "admin bearer token; unset = demo mode (UI admin actions "
        "open, API writes refused with 401, no editor tokens)",
        accepts=f"at least {ADMIN_TOKEN_MIN_CHARS} characters; make one with "
                f"`{MAKE_A_TOKEN}`", shown_default="—", unset="not set (demo mode)",
        secret=True, min_length=ADMIN_TOKEN_MIN_CHARS)
    secret_key: str | None = option(
        "AVATARS_SECRET_KEY", None, "encrypts the Gemini key saved in Settings (AES-256-GCM); "
        "without it an owner-only `secret.key` in the data dir; replicas share one",
        accepts="any text", shown_default="key file", unset="not set (key file)", secret=True)
    provider: Provider = option(
        "AVATARS_PROVIDER", "auto", "`auto` (Gemini when a key is configured, else built-in), "
        "`gemini`, `builtin`", accepts="auto, gemini or builtin")
    gemini_api_key: str | None = option(
        "GEMINI_API_KEY", None, "Gemini key; a key saved in Settings → AI keys overrides it",
        accepts="an API key", shown_default="—", secret=True)
    google_api_key: str | None = option(
        "GOOGLE_API_KEY", None, "read when `GEMINI_API_KEY` is not set", accepts="an API key",
        shown_default="—", secret=True)
    gemini_base_url: str | None = option(
        "GOOGLE_GEMINI_BASE_URL", None, "the SDK's own endpoint override (proxies, tests)",
        accepts="a URL", shown_default="SDK default", unset="(SDK default)", url=True)
    gemini_model: str = option(
        "AVATARS_GEMINI_MODEL", DEFAULT_GEMINI_MODEL, "image model; `auto` = the first of the "
        "preferred models the key's model list offers (below); a named one the key cannot use "
        "is `not_configured`", accepts="auto or a model name", pattern=_MODEL_NAME)
    gemini_text_model: str = option(
        "AVATARS_GEMINI_TEXT_MODEL", DEFAULT_GEMINI_TEXT_MODEL, "text model that refines "
        "prompts; `auto` as for the image model", accepts="auto or a model name",
        pattern=_MODEL_NAME)
    refine_prompt: Switch = option(
        "AVATARS_REFINE_PROMPT", True, "with Gemini, expand the identity prompt first (below)",
        accepts="on or off (1/0, true/false, yes/no)")
    concurrency: int = option(
        "AVATARS_CONCURRENCY", DEFAULT_CONCURRENCY, "provider calls in flight at once — across "
        "all replicas together (adapts down on 429s)", accepts="a whole number from 1 to 64",
        ge=1, le=64)
    gemini_timeout_s: float = option(
        "AVATARS_GEMINI_TIMEOUT_S", DEFAULT_GEMINI_TIMEOUT_S, "per-call timeout in seconds "
        "(the SDK has none by default)", accepts="seconds from 1 to 600",
        ge=1, le=600, allow_inf_nan=False)
    daily_budget_usd: Dollars | None = option(
        "AVATARS_DAILY_BUDGET_USD", None, "provider spend allowed per UTC day; also settable "
        "in Settings", accepts="US dollars ≥ 0, like 10 or $10.50 (no currency name, no "
        "commas)", shown_default="no budget", unset="no budget", ge=0, allow_inf_nan=False)
    price_per_image_usd: Dollars | None = option(
        "AVATARS_PRICE_PER_IMAGE_USD", None, "overrides the model's list price",
        accepts="US dollars > 0, like 0.067 or $0.067", shown_default="list price",
        unset="list price", gt=0, allow_inf_nan=False)
    batch_poll_s: float = option(
        "AVATARS_BATCH_POLL_S", DEFAULT_BATCH_POLL_S, "how often a batch-mode job asks for its "
        "results", accepts="seconds from 0.05 to 3600", ge=0.05, le=3600, allow_inf_nan=False)
    lease_s: float = option(
        "AVATARS_LEASE_S", DEFAULT_LEASE_S, "how long a replica's claim on a background item "
        "lasts without a heartbeat", accepts="seconds from 5 to 600",
        ge=5, le=600, allow_inf_nan=False)
    demo: Switch = option(
        "AVATARS_DEMO", True, "seed demo agents on an empty database",
        accepts="on or off (1/0, true/false, yes/no)")

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins; ``load`` passes the secrets file's values as init values.
        return env_settings, init_settings

    @model_validator(mode="before")
    @classmethod
    def _derived(cls, data: Any) -> Any:
        """The SQLite URL in the data dir when none is given; GOOGLE_API_KEY as a fallback."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if not str(data.get("AVATARS_DATABASE_URL") or "").strip():
            data_dir = Path(str(data.get("AVATARS_DATA_DIR") or "./data").strip()).expanduser()
            data["AVATARS_DATABASE_URL"] = f"sqlite:///{data_dir / 'avatars.db'}"
        if not data.get("GEMINI_API_KEY") and data.get("GOOGLE_API_KEY"):
            data["GEMINI_API_KEY"] = data["GOOGLE_API_KEY"]
        return data

    @classmethod
    def load(cls, secrets_path: Path | None = None) -> Settings:
        """Environment first, then `.streamlit/secrets.toml` (top-level keys), then defaults.

        Raises ConfigError naming every problem at once."""
        path = secrets_path or _SECRETS_FILE
        file_values, problems = read_secrets_file(path, _DOCS)
        problems += unknown_names([*os.environ, *file_values], _DOCS)
        raw = raw_values(os.environ, file_values, _DOCS)
        declared: dict[str, Any] = {k: v for k, v in file_values.items() if k in _DOCS}
        return cls._checked(lambda: cls(**declared), raw, problems)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        """Settings from a plain mapping only (tests, tools); the same checks as ``load``."""
        text = {k: str(v) for k, v in values.items() if v is not None}
        raw = raw_values(text, {}, _DOCS)
        problems = unknown_names(text, _DOCS)
        return cls._checked(lambda: cls.model_validate(raw), raw, problems)

    @classmethod
    def _checked(cls, build: Callable[[], Settings], raw: Mapping[str, str],
                 problems: list[Problem]) -> Settings:
        try:
            settings: Settings = build()
        except ValidationError as exc:
            names = dict.fromkeys(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise ConfigError([*problems, *(_problem(name, raw) for name in names)]) from None
        if problems:
            raise ConfigError(problems)
        return settings

    def describe(self) -> list[dict[str, str]]:
        """Rows for the Settings page: name, value (secrets as set/not set, URLs masked), help."""
        rows = []
        for field_name, field in type(self).model_fields.items():
            doc = _DOCS[str(field.validation_alias)]
            rows.append({"name": doc.name, "value": _shown(getattr(self, field_name), doc),
                         "help": doc.meaning})
        return rows


def _problem(name: str, raw: Mapping[str, str]) -> Problem:
    doc = _DOCS.get(name)
    if doc is None:
        return Problem(name, None, "is not valid")
    value = raw.get(name)
    shown = None if value is None else shown_value(value, secret=doc.secret)
    return Problem(name, shown, f"accepts {doc.accepts}")


def _shown(value: Any, doc: Doc) -> str:
    if doc.secret:
        return "set" if value else doc.unset
    if value is None or value == "":
        return doc.unset
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"${value:,.4g}" if "USD" in doc.name else f"{value:g}"
    return mask_url(str(value)) if doc.url else str(value)


@dataclass(frozen=True)
class Option:
    """A declared option as a plain row (name, default, help, secret)."""

    name: str
    default: str
    help: str
    secret: bool = False


OPTIONS: tuple[Option, ...] = tuple(Option(d.name, d.default, d.meaning, d.secret)
                                    for d in _DOCS.values())


def readme_table() -> str:
    """The README's configuration table, generated from the declarations."""
    lines = ["| variable | default | accepts | meaning |", "|---|---|---|---|"]
    for doc in _DOCS.values():
        accepts = doc.accepts.replace("|", "\\|")
        lines.append(f"| `{doc.name}` | {doc.default} | {accepts} | {doc.meaning} |")
    return "\n".join(lines)
