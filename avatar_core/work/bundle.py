"""Agents with their pictures: a ``.zip`` holding the agents file and ``<name>.png|jpg|webp``.

The answer to "a fresh install has agents and nobody has a key yet": each picture becomes its
agent's *default* avatar, so "Generate default avatars" may still replace it later. A zip is
untrusted input, and a zip's index may lie:

- a name that climbs out of the archive is refused; members are read by their base name only
  (no paths reach the file system);
- the number of members is counted from the central directory's raw records before
  ``zipfile`` builds an object for each;
- only STORED and DEFLATE members are read (bzip2 and LZMA inflate without a bound per read);
- each member is read in chunks and its *real* output counted against its own cap and a
  running total for the archive, so reading stops at the cap and never allocates past it,
  whatever sizes the headers declare; a member over a cap, or whose bytes disagree with its
  header, is a 400 naming it;
- a picture declared over the upload cap is refused on its row while the agent still imports.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
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
_MAX_MEMBER_BYTES = MAX_UPLOAD_BYTES
"""Uncompressed bytes of one member (a picture, or the agents file)."""
_MAX_TOTAL_BYTES = 3 * MAX_UPLOAD_BYTES
"""Uncompressed bytes of the whole archive: pictures barely compress, so an honest zip
unpacks to about its own size (itself at most an upload)."""
_CHUNK_BYTES = 64 * 1024
_READABLE = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})

InstallPicture = Callable[[str, bytes], object]


@dataclass(frozen=True)
class Bundle:
    """What a zip holds: the agents file and the pictures by agent name."""

    agents_filename: str
    agents_data: bytes
    pictures: dict[str, bytes]


def read_bundle(data: bytes) -> Bundle:
    """The agents file and the pictures of a zip; ``BadRequest`` for anything unusable."""
    _check_member_count(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, struct.error):
        raise BadRequest("The file is not a valid .zip archive") from None
    with archive:
        members = _checked_members(archive)
        listed = [m for m in members if PurePosixPath(m.filename).suffix.lower() in _AGENT_FILES]
        if len(listed) != 1:
            raise BadRequest("The zip must hold exactly one agents file (.csv or .json); "
                             f"it holds {len(listed)}")
        budget = _Budget(_MAX_TOTAL_BYTES)
        agents_file = listed[0]
        agents_data = _read(archive, agents_file, budget)
        pictures = {}
        for member in members:
            path = PurePosixPath(member.filename)
            if path.suffix.lower() in PICTURE_SUFFIXES and member.file_size <= _MAX_MEMBER_BYTES:
                pictures[path.stem] = _read(archive, member, budget)
            elif path.suffix.lower() in PICTURE_SUFFIXES:
                pictures[path.stem] = b""  # too big: refused on its row, like any bad picture
        return Bundle(PurePosixPath(agents_file.filename).name, agents_data, pictures)


def _checked_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's files, once no name is unsafe, no method unreadable and the index's
    total is within the cap (the real output is counted again while reading)."""
    unsafe = [m.filename for m in archive.infolist() if _leaves_the_archive(m.filename)]
    if unsafe:
        raise BadRequest(f"The zip holds an unsafe path, {quote(unsafe[0])}: every name "
                         "must stay inside the archive (no '..', no absolute paths)")
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > _MAX_MEMBERS:
        raise BadRequest(f"The zip holds {len(members)} files; at most {_MAX_MEMBERS}")
    for member in members:
        if member.compress_type not in _READABLE:
            raise BadRequest(f"Could not unpack {quote(member.filename)}: only stored and "
                             "deflated members are accepted")
    if sum(m.file_size for m in members) > _MAX_TOTAL_BYTES:
        raise BadRequest(f"The zip unpacks to more than {_size(_MAX_TOTAL_BYTES)}")
    return members


def _check_member_count(data: bytes) -> None:
    """Refuse a central directory of more records than ``_MAX_MEMBERS`` before ``zipfile``
    makes an object of each (a 10 MB upload could hold 200 000 of them)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return  # not a zip: ``zipfile`` says so
    size, offset = struct.unpack_from("<II", data, end + 12)
    position, records = offset, 0
    while position + 46 <= min(offset + size, len(data)):
        if data[position:position + 4] != b"PK\x01\x02":
            return  # an offset ``zipfile`` corrects or refuses on its own
        name, extra, comment = struct.unpack_from("<HHH", data, position + 28)
        position += 46 + name + extra + comment
        records += 1
        if records > _MAX_MEMBERS:
            raise BadRequest(f"The zip holds more than {_MAX_MEMBERS} files")


class _Budget:
    """Uncompressed bytes the archive may still unpack to."""

    def __init__(self, total: int) -> None:
        self.left = total


def _leaves_the_archive(name: str) -> bool:
    """A "zip slip" name: absolute, a drive, or climbing out with ``..`` (either separator).

    Nothing here unpacks to disk, but such a name is never an honest export: it is refused
    rather than quietly read by its base name.
    """
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


def _read(archive: zipfile.ZipFile, member: zipfile.ZipInfo, budget: _Budget) -> bytes:
    """The member's bytes, read in chunks and counted: a 400 naming it as soon as its real
    output passes its own cap or the archive's running total."""
    cap = min(_MAX_MEMBER_BYTES, budget.left)
    out = bytearray()
    try:
        with archive.open(member) as stream:
            while chunk := stream.read(min(_CHUNK_BYTES, cap + 1 - len(out))):
                out += chunk
                if len(out) > cap:
                    raise BadRequest(f"Could not unpack {quote(member.filename)}: it unpacks "
                                     f"to more than {_size(cap)}")
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError,
            ValueError, struct.error, zlib.error) as exc:
        raise BadRequest(f"Could not unpack {quote(member.filename)}: "
                         f"{type(exc).__name__}") from None
    budget.left -= len(out)
    return bytes(out)


def _size(limit: int) -> str:
    return f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit} bytes"


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
