"""Reading the secrets file, and the one message that refuses a bad configuration at start.

- **The secrets file**: top-level keys of ``.streamlit/secrets.toml``. A file that does not
  parse is refused (it would silently drop the admin token and open demo mode); so are our own
  keys under a ``[section]``, which Streamlit reads but we would not. Other sections (Streamlit's
  own ``[auth]``, say) are none of our business.
- **Unknown names**: an ``AVATARS_*`` name nobody declared is refused, with the closest declared
  name suggested (a typo would otherwise drop a budget without a word).
- **One message**: every problem at once, each naming the variable, its value (secrets masked,
  URL passwords masked, long values cut) and what it accepts.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ConfigError", "Problem", "mask_url", "read_secrets_file", "shown_value",
           "unknown_names"]

OUR_PREFIX = "AVATARS_"
_SHOWN_CHARS = 60
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
class Problem:
    """One thing wrong with the configuration: where, the value as it may be shown, what fits."""

    name: str
    value: str | None
    accepts: str

    def line(self) -> str:
        shown = "" if self.value is None else f"={self.value}"
        return f"- {self.name}{shown}: {self.accepts}"


class ConfigError(ValueError):
    """The configuration cannot be used; the message lists every problem (never a secret)."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = (f"Agent Avatars will not start: {count} setting{'s' if count != 1 else ''} "
                f"to fix (environment or .streamlit/secrets.toml):")
        super().__init__("\n".join([head, *(p.line() for p in self.problems)]))


def shown_value(raw: str, *, secret: bool = False) -> str:
    """A value as an error may show it: secrets by length only, URL passwords masked, cut."""
    if secret:
        return f"(secret, {len(raw)} character{'s' if len(raw) != 1 else ''})"
    text = mask_url(raw)
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 1] + "…"
    return repr(text)


def read_secrets_file(path: Path, declared: Collection[str]) -> tuple[dict[str, str],
                                                                       list[Problem]]:
    """The file's top-level values as text (empty ones left out), and what is wrong with it."""
    if not path.is_file():
        return {}, []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, [Problem(str(path), None,
                            f"cannot be read as TOML ({exc}); fix it or remove it")]
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for key, value in data.items():
        if isinstance(value, dict):
            ours = sorted(k for k in value if k in declared or k.startswith(OUR_PREFIX))
            if ours:
                problems.append(Problem(
                    f"{path} [{key}]", None,
                    f"holds {', '.join(ours)} under a section, where they are not read; "
                    "move them above the first [section] header"))
            continue
        text = _as_text(value)
        if text is None:
            problems.append(Problem(key, None, f"in {path} must be a string, number or boolean"))
        elif text.strip():
            values[key] = text
    return values, problems


def unknown_names(names: Iterable[str], declared: Collection[str]) -> list[Problem]:
    """A problem for each ``AVATARS_*`` name that is not declared, with the nearest suggestion."""
    ours = sorted(d for d in declared if d.startswith(OUR_PREFIX))
    problems = []
    for name in sorted(set(names)):
        if not name.startswith(OUR_PREFIX) or name in declared:
            continue
        # Compared without the shared prefix, which would make every name look alike.
        suffixes = {d.removeprefix(OUR_PREFIX): d for d in ours}
        close = difflib.get_close_matches(name.removeprefix(OUR_PREFIX), suffixes, n=1,
                                          cutoff=0.6)
        hint = (f"did you mean {suffixes[close[0]]}?" if close
                else "see the configuration table in README")
        problems.append(Problem(name, None, f"is not a setting of Agent Avatars ({hint})"))
    return problems


def _as_text(value: object) -> str | None:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def raw_values(environment: Mapping[str, str], file_values: Mapping[str, str],
               declared: Collection[str]) -> dict[str, str]:
    """What each declared name was given as text: the environment first, empty = unset."""
    merged = {k: v for k, v in file_values.items() if k in declared}
    merged.update({k: v for k, v in environment.items() if k in declared and v.strip()})
    return merged
