"""Zip imports whose headers lie: members are read in chunks and their real output counted, so
a bomb is refused naming the member while memory stays near the size of the upload."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from avatar_core.foundation.errors import BadRequest
from avatar_core.work import bundle
from avatar_core.work.bundle import read_bundle
from tests import corpus
from tests.api_server import ApiServer
from tests.conftest import ADMIN

MB = 1024 * 1024


def zip_of(members: dict[str, bytes | int], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``members``; an ``int`` stands for that many zero bytes, written in chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("agents.csv", b"name\natlas\n")
        for name, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(name, content, compress_type=method)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            with archive.open(info, "w") as member:
                for _ in range(content // MB):
                    member.write(bytes(MB))
    return out.getvalue()


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with ``name``'s uncompressed size rewritten to ``size`` in both of its headers
    (the local file header and the central directory record): a lying index."""
    edited = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo(name).header_offset
    struct.pack_into("<I", edited, offset + 22, size)
    record = edited.find(b"PK\x01\x02")
    while record >= 0:
        (length,) = struct.unpack_from("<H", edited, record + 28)
        if edited[record + 46:record + 46 + length] == name.encode():
            struct.pack_into("<I", edited, record + 24, size)
            return bytes(edited)
        record = edited.find(b"PK\x01\x02", record + 4)
    raise AssertionError(f"no central directory record for {name}")


def peak_while(action: Callable[[], object]) -> tuple[int, BaseException | None]:
    """(peak bytes Python allocated during ``action``, what it raised)."""
    tracemalloc.start()
    try:
        action()
    except BaseException as exc:  # returned to the test to look at
        raised: BaseException | None = exc
    else:
        raised = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak, raised


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2],
                         ids=["deflate", "bzip2"])
def test_a_member_that_lies_about_its_size_is_refused_within_a_small_multiple_of_the_upload(
        method: int) -> None:
    upload = declare_size(zip_of({"atlas.png": 64 * MB}, method), "atlas.png", 10)
    assert len(upload) < MB  # 64 MB of zeros packs to kilobytes
    peak, raised = peak_while(lambda: read_bundle(upload))
    assert isinstance(raised, BadRequest), raised
    assert "atlas.png" in raised.detail
    assert peak < 4 * len(upload) + 512 * 1024, (peak, len(upload))


def test_only_stored_and_deflated_members_are_read() -> None:
    for method in (zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        upload = zip_of({"atlas.png": corpus.png()}, method)
        with pytest.raises(BadRequest, match=r"atlas\.png.*only stored and deflated"):
            read_bundle(upload)
    stored = read_bundle(zip_of({"atlas.png": corpus.png()}, zipfile.ZIP_STORED))
    assert stored.pictures["atlas"] == corpus.png()


def test_real_output_is_counted_against_the_members_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "_MAX_MEMBER_BYTES", 2 * MB)  # the cap, small for the test
    big_agents_file = b"name\n" + b"atlas\n" * (MB // 2)  # 3 MB, honestly declared
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("agents.csv", big_agents_file)
    with pytest.raises(BadRequest, match=r"agents\.csv.*more than 2 MB"):
        read_bundle(out.getvalue())
    lying = declare_size(zip_of({"atlas.png": 3 * MB}), "atlas.png", MB)
    with pytest.raises(BadRequest, match=r"atlas\.png"):
        read_bundle(lying)


def test_the_running_total_stops_an_archive_of_many_honest_members(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "_MAX_TOTAL_BYTES", 5 * MB)
    members: dict[str, bytes | int] = {f"agent{n}.png": 2 * MB for n in range(3)}
    upload = zip_of(members)
    # The index says 6 MB and is refused from it; with the index lying, the count stops it.
    with pytest.raises(BadRequest, match="unpacks to more than 5 MB"):
        read_bundle(upload)
    lying = upload
    for name in members:
        lying = declare_size(lying, name, 1)
    with pytest.raises(BadRequest, match="agent"):
        read_bundle(lying)


def test_the_member_count_is_capped_before_zipfile_reads_the_index(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "_MAX_MEMBERS", 20)
    upload = zip_of({f"x{n}.txt": b"" for n in range(25)}, zipfile.ZIP_STORED)
    with pytest.raises(BadRequest, match="more than 20 files"):
        read_bundle(upload)


def multipart(filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "zip-limits-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/zip\r\n\r\n").encode()
    return body + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


def test_a_zip_bomb_is_refused_by_a_real_server_whose_peak_memory_barely_moves(
        tmp_path: Path) -> None:
    bomb = declare_size(zip_of({"atlas.png": 1024 * MB}), "atlas.png", 10)
    assert len(bomb) < 2 * MB
    body, boundary = multipart("team.zip", bomb)
    server = ApiServer(tmp_path / "data", tmp_path / "server.log", AVATARS_ADMIN_TOKEN=ADMIN)
    try:
        before = peak_rss_bytes(server.process.pid)
        answer = server.request("POST", "/agents/import", body, {
            "Authorization": f"Bearer {ADMIN}",
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        after = peak_rss_bytes(server.process.pid)
        agents = server.request("GET", "/agents").json()
    finally:
        server.stop()
    assert 400 <= answer.status < 500, answer.body
    assert "atlas.png" in str(answer.json())
    assert after - before < 150 * MB, (before, after)
    assert agents == []
