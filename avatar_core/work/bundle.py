"""Agents with their pictures: a ``.zip`` holding the agents file and ``<name>.png|jpg|webp``.

The answer to "a fresh install has agents and nobody has a key yet": each picture becomes its
agent's *default* avatar, so "Generate default avatars" may still replace it later. A zip is
untrusted input: a name that climbs out of the archive is refused, members are read by their
base name only (no paths reach the file system), their declared sizes are checked before
anything is decompressed, and a refused picture is reported on its row while the agent itself
still imports.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from ..domain.agents import Agents
from ..foundation.errors import AvatarError, BadRequest
from ..foundation.limits import IMPORT_MAX_ROWS, MAX_UPLOAD_BYTES
from ..foundation.models import quote
from .agent_import import ImportResult, RowError, import_agents, parse_agent_file

__all__ = ["PICTURE_SUFFIXES", "Bundle", "import_file", "pictures_to_install", "read_bundle"]

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
_AGENT_FILES = (".csv", ".json")
_MAX_MEMBERS = IMPORT_MAX_ROWS + 1
_MAX_TOTAL_BYTES = 20 * MAX_UPLOAD_BYTES  # uncompressed: a zip bomb is refused from its index

InstallPicture = Callable[[str, bytes], object]


@dataclass(frozen=True)
class Bundle:
    """What a zip holds: the agents file and the pictures by agent name."""

    agents_filename: str
    agents_data: bytes
    pictures: dict[str, bytes]


def read_bundle(data: bytes) -> Bundle:
    """The agents file and the pictures of a zip; ``BadRequest`` for anything unusable."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BadRequest("The file is not a valid .zip archive") from None
    with archive:
        unsafe = [m.filename for m in archive.infolist() if _leaves_the_archive(m.filename)]
        if unsafe:
            raise BadRequest(f"The zip holds an unsafe path, {quote(unsafe[0])}: every name "
                             "must stay inside the archive (no '..', no absolute paths)")
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > _MAX_MEMBERS:
            raise BadRequest(f"The zip holds {len(members)} files; at most {_MAX_MEMBERS}")
        if sum(m.file_size for m in members) > _MAX_TOTAL_BYTES:
            raise BadRequest("The zip unpacks to more than "
                             f"{_MAX_TOTAL_BYTES // (1024 * 1024)} MB")
        listed = [m for m in members if PurePosixPath(m.filename).suffix.lower() in _AGENT_FILES]
        if len(listed) != 1:
            raise BadRequest("The zip must hold exactly one agents file (.csv or .json); "
                             f"it holds {len(listed)}")
        pictures = {}
        for member in members:
            path = PurePosixPath(member.filename)
            if path.suffix.lower() in PICTURE_SUFFIXES and member.file_size <= MAX_UPLOAD_BYTES:
                pictures[path.stem] = _read(archive, member)
            elif path.suffix.lower() in PICTURE_SUFFIXES:
                pictures[path.stem] = b""  # too big: refused on its row, like any bad picture
        agents_file = listed[0]
        return Bundle(PurePosixPath(agents_file.filename).name, _read(archive, agents_file),
                      pictures)


def _leaves_the_archive(name: str) -> bool:
    """A "zip slip" name: absolute, a drive, or climbing out with ``..`` (either separator).

    Nothing here unpacks to disk, but such a name is never an honest export: it is refused
    rather than quietly read by its base name.
    """
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(member)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise BadRequest(f"Could not unpack {quote(member.filename)}: "
                         f"{type(exc).__name__}") from None


def pictures_to_install(filename: str, data: bytes) -> int:
    """How many pictures importing this file would install (a zip's pictures that name one of
    its agents; a plain agents file has none)."""
    if not filename.lower().endswith(".zip"):
        return 0
    bundle = read_bundle(data)
    names = {str(row.get("name", "")).strip()
             for row in parse_agent_file(bundle.agents_filename, bundle.agents_data)}
    return sum(1 for name, picture in bundle.pictures.items() if picture and name in names)


def import_file(agents: Agents, install: InstallPicture, filename: str,
                data: bytes) -> ImportResult:
    """Import a ``.csv``/``.json`` agents file, or a ``.zip`` of one with pictures."""
    if not filename.lower().endswith(".zip"):
        return import_agents(agents, parse_agent_file(filename, data))
    bundle = read_bundle(data)
    rows = parse_agent_file(bundle.agents_filename, bundle.agents_data)
    result = import_agents(agents, rows)
    row_of = {str(row.get("name", "")).strip(): n for n, row in enumerate(rows, start=1)}
    refused = list(result.errors)
    for name, picture in sorted(bundle.pictures.items()):
        if name not in result.created:
            refused.append(RowError(row_of.get(name, 0), name,
                                    "Picture not used: no agent of that name was imported"))
            continue
        try:
            install(name, picture)
        except AvatarError as exc:
            refused.append(RowError(row_of[name], name, f"Picture refused: {exc.detail}"))
    return replace(result, errors=sorted(refused, key=lambda e: (e.row, e.name)))
