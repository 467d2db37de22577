"""Register many agents from a CSV or JSON file, reporting each refused row on its own.

A file is read whole, then registered row by row through ``Agents.register``, so an import
validates exactly like the API and a bad row never stops the good ones. Columns (CSV
header or JSON keys): ``name`` (required), ``display_name``, ``type``, ``description``,
``avatar_prompt``, ``is_system`` (true/false, yes/no, 1/0). JSON is a list of objects or
``{"agents": [...]}``. Other columns are ignored, so the API's own ``GET /api/agents`` output
imports as is.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..domain.agents import Agents
from ..foundation.errors import AvatarError, BadRequest
from ..foundation.limits import IMPORT_MAX_ROWS
from ..foundation.models import quote

__all__ = ["FIELDS", "ImportCost", "ImportResult", "RowError", "import_agents", "parse_agent_file"]

FIELDS: tuple[str, ...] = (
    "name", "display_name", "type", "description", "avatar_prompt", "is_system",
)
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


@dataclass(frozen=True)
class RowError:
    """Row ``row`` (1-based, data rows only) was not imported because of ``detail``."""

    row: int
    name: str
    detail: str


@dataclass(frozen=True)
class ImportResult:
    """Names registered, the rows refused with why, and the paid emotion calls the installed
    pictures queued (eight per picture with Gemini) with their estimated price."""

    created: list[str]
    errors: list[RowError]
    emotions_queued: int = 0
    estimated_usd: float = 0.0


@dataclass(frozen=True)
class ImportCost:
    """What importing a file would spend: pictures to install, their emotion calls, USD."""

    pictures: int
    emotions: int
    estimated_usd: float


def parse_agent_file(filename: str, data: bytes) -> list[dict[str, Any]]:
    """Rows of a ``.csv`` or ``.json`` file; raises ``BadRequest`` for an unreadable file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("The file is not UTF-8 text") from None
    if filename.lower().endswith(".json"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"Not valid JSON: {exc.msg} (line {exc.lineno})") from None
        except RecursionError:
            raise BadRequest("Not valid JSON for an import: nested too deeply") from None
        if isinstance(loaded, Mapping) and isinstance(loaded.get("agents"), list):
            loaded = loaded["agents"]
        if not isinstance(loaded, list):
            raise BadRequest('JSON must be a list of agents or {"agents": [...]}')
        rows: Sequence[Mapping[str, Any]] = [
            item if isinstance(item, Mapping) else {"_invalid": item} for item in loaded]
    elif filename.lower().endswith(".csv"):
        rows = _csv_rows(text)
    else:
        raise BadRequest("Upload a .csv or .json file")
    if len(rows) > IMPORT_MAX_ROWS:
        raise BadRequest(f"At most {IMPORT_MAX_ROWS} agents per import; this file has {len(rows)}")
    return [dict(row) for row in rows]


def _csv_rows(text: str) -> list[dict[str, Any]]:
    """The rows of a CSV with a ``name`` column; ``BadRequest`` for one ``csv`` cannot read
    (a field over its 128 KB limit, a NUL byte)."""
    try:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "name" not in [f.strip() for f in reader.fieldnames]:
            raise BadRequest("The CSV needs a header row with at least a 'name' column")
        return [{(k or "").strip(): v for k, v in row.items()} for row in reader]
    except csv.Error as exc:
        raise BadRequest(f"Not a readable CSV file: {exc}") from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadRequest(f"is_system must be true or false, not {quote(str(value))}")


def import_agents(agents: Agents, rows: Sequence[Mapping[str, Any]]) -> ImportResult:
    """Register every row; rows that fail (bad name, taken, unknown type…) become ``RowError``s."""
    created: list[str] = []
    errors: list[RowError] = []
    for number, row in enumerate(rows, start=1):
        name = _text(row.get("name"))
        try:
            if "_invalid" in row:
                raise BadRequest("Each agent must be an object with at least a name")
            agents.register(
                name,
                display_name=_text(row.get("display_name")) or name,
                type=_text(row.get("type")) or "other",
                description=_text(row.get("description")),
                avatar_prompt=_text(row.get("avatar_prompt")) or None,
                is_system=_flag(row.get("is_system")),
            )
        except AvatarError as exc:
            errors.append(RowError(number, name, exc.detail))
        else:
            created.append(name)
    return ImportResult(created, errors)
