"""S3BlobStore against a real S3 server (SeaweedFS, the session's ``s3_server``).

Credentials reach the store the way they reach it in a deployment: boto3's standard chain reading
AWS_* variables (the machine's own ~/.aws files and the instance metadata service are switched
off, so nothing outside the test can answer for it).
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from avatar_core.storage.blobs import blob_name
from avatar_core.storage.s3_blobs import ObjectStoreError, S3BlobStore
from tests.live_server import free_port
from tests.s3_server import S3Server

pytestmark = pytest.mark.slow

StoreFactory = Callable[..., S3BlobStore]


@pytest.fixture
def aws_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch,
            tmp_path: Path) -> dict[str, str]:
    """The server's credentials in the environment, and no other source of credentials."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        monkeypatch.delenv(name, raising=False)
    env = s3_server.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture(scope="module")
def bucket(s3_server: S3Server) -> str:
    return s3_server.create_bucket(f"blobs-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def make_store(aws_env: dict[str, str], bucket: str) -> StoreFactory:
    """Stores on the module's bucket, each test under its own prefix unless told otherwise."""
    test_prefix = f"t-{uuid.uuid4().hex[:8]}"

    def factory(prefix: str | None = None, **options: Any) -> S3BlobStore:
        options.setdefault("endpoint_url", aws_env["AWS_ENDPOINT_URL"])
        return S3BlobStore(options.pop("bucket", bucket),
                           test_prefix if prefix is None else prefix, **options)

    return factory


@pytest.fixture
def store(make_store: StoreFactory) -> S3BlobStore:
    return make_store()


def image_bytes(tag: str) -> bytes:
    """Distinct payloads (the store never decodes them; names follow the bytes)."""
    return b"RIFF\x00\x00\x00\x00WEBPVP8 " + tag.encode()


def test_put_then_read_round_trips_under_a_content_addressed_key(store, s3_server, bucket):
    data = image_bytes("round trip")
    name = store.put(data, "webp")
    assert name == blob_name(data, "webp")
    assert store.read(name) == data
    assert store.key(name) == f"{store.prefix}/{name[:2]}/{name}"
    head = s3_server.client().head_object(Bucket=bucket, Key=store.key(name))
    assert head["ContentType"] == "image/webp"
    assert head["ContentLength"] == len(data)
    png = store.put(b"\x89PNG fake", "png")
    assert png.endswith(".png")
    assert s3_server.client().head_object(Bucket=bucket, Key=store.key(png))["ContentType"] == \
        "image/png"


def test_put_of_existing_bytes_uploads_nothing(make_store, aws_env):
    from avatar_core.storage.s3_blobs import _make_client

    client = _make_client(aws_env["AWS_ENDPOINT_URL"], None)
    uploads: list[str] = []
    client.meta.events.register("before-call.s3.PutObject",
                                lambda params, **_: uploads.append(params["url_path"]))
    store = make_store(client=client)
    data = image_bytes("idempotent")
    first = store.put(data, "webp")
    second = store.put(data, "webp")
    assert first == second
    assert len(uploads) == 1, uploads
    assert store.read(first) == data


def test_exists_and_delete_are_idempotent(store):
    data = image_bytes("exists")
    name = blob_name(data, "webp")
    assert not store.exists(name)
    store.put(data, "webp")
    assert store.exists(name)
    store.delete(name)
    assert not store.exists(name)
    store.delete(name)  # already gone: nothing happens
    with pytest.raises(FileNotFoundError):
        store.read(name)


def test_read_of_a_missing_blob_is_file_not_found(store):
    with pytest.raises(FileNotFoundError, match=store.prefix):
        store.read(blob_name(b"never stored", "webp"))


def test_names_refuse_anything_that_is_not_a_blob_name(store):
    for bad in ("../etc/passwd", "ab/cd.webp", "0" * 64 + ".svg", ""):
        with pytest.raises(ValueError):
            store.read(bad)
        with pytest.raises(ValueError):
            store.delete(bad)


def test_names_lists_blobs_under_the_prefix_and_filters_by_age(store, s3_server, bucket):
    client = s3_server.client()
    old = store.put(image_bytes("old"), "webp")
    old_modified = client.head_object(Bucket=bucket, Key=store.key(old))["LastModified"]
    gap_s = 4.0  # LastModified has 1 s resolution: leave the filter a wide margin either side
    deadline = time.monotonic() + 30
    while time.time() - old_modified.timestamp() < gap_s:
        assert time.monotonic() < deadline, "the clock did not move on"
        time.sleep(0.1)
    new = store.put(image_bytes("new"), "png")
    new_modified = client.head_object(Bucket=bucket, Key=store.key(new))["LastModified"]
    # Stray objects under the prefix that are not blobs where a blob would be.
    client.put_object(Bucket=bucket, Key=f"{store.prefix}/notes.txt", Body=b"x")
    client.put_object(Bucket=bucket, Key=f"{store.prefix}/zz/{old}", Body=b"wrong shard")

    assert sorted(store.names()) == sorted([old, new])  # each once: the stray copy is not one
    midpoint = (old_modified.timestamp() + new_modified.timestamp()) / 2
    assert set(store.names(older_than_s=time.time() - midpoint)) == {old}
    assert set(store.names(older_than_s=3600)) == set()


def test_prefixes_isolate_stores_sharing_a_bucket(make_store):
    tag = uuid.uuid4().hex[:8]
    first, second = make_store(f"iso-{tag}"), make_store(f"iso-{tag}x")
    whole_bucket = make_store("")
    data = image_bytes("isolated")
    name = first.put(data, "webp")
    assert first.exists(name)
    assert not second.exists(name)
    assert list(second.names()) == []
    assert name not in set(whole_bucket.names())  # its key has the prefix level in front
    second.put(data, "webp")
    second.delete(name)
    assert first.read(name) == data
    assert set(first.names()) == {name}


def test_many_threads_put_at_once_and_names_pages_past_a_thousand(store):
    payloads = [image_bytes(f"thread {i}") for i in range(1050)]
    jobs = payloads + payloads[:200]  # some bytes are put by two threads at the same time
    with ThreadPoolExecutor(max_workers=16) as pool:
        names = list(pool.map(lambda data: store.put(data, "webp"), jobs))
    expected = {blob_name(data, "webp") for data in payloads}
    assert set(names) == expected
    listed = list(store.names())  # list_objects_v2 answers at most 1000 keys a page
    assert len(listed) == len(expected)
    assert set(listed) == expected
    for index in (0, 499, 1049):
        assert store.read(blob_name(payloads[index], "webp")) == payloads[index]


def test_refused_credentials_name_the_bucket_and_endpoint_but_never_the_secret(
        make_store, monkeypatch, aws_env, bucket):
    wrong_secret = "wrong-" + uuid.uuid4().hex
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong_secret)
    store = make_store()
    with pytest.raises(ObjectStoreError) as caught:
        store.put(image_bytes("refused"), "webp")
    message = str(caught.value)
    assert bucket in message
    assert aws_env["AWS_ENDPOINT_URL"] in message
    assert "credentials" in message
    assert caught.value.status == 503
    shown = "".join(traceback.format_exception(caught.value)) + repr(store) + repr(caught.value)
    assert wrong_secret not in shown
    assert aws_env["AWS_SECRET_ACCESS_KEY"] not in shown

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKNOBODY")
    with pytest.raises(ObjectStoreError, match="refused the credentials"):
        make_store().exists(blob_name(b"x", "webp"))


def test_no_credentials_at_all_is_a_clear_error(make_store, monkeypatch, bucket):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ObjectStoreError, match=f"no S3 credentials for bucket '{bucket}'"):
        make_store().read(blob_name(b"x", "webp"))


def test_a_missing_bucket_is_an_error_naming_it_not_an_empty_store(make_store, aws_env):
    missing = f"missing-{uuid.uuid4().hex[:12]}"
    name = blob_name(b"x", "webp")
    for action in (lambda s: s.exists(name), lambda s: s.read(name),
                   lambda s: s.put(b"x", "webp"), lambda s: list(s.names())):
        with pytest.raises(ObjectStoreError) as caught:
            action(make_store(bucket=missing))
        assert f"S3 bucket '{missing}' does not exist at {aws_env['AWS_ENDPOINT_URL']}" == \
            str(caught.value)


def test_an_unreachable_endpoint_is_a_clear_error(make_store, bucket):
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ObjectStoreError, match="unreachable") as caught:
        make_store(endpoint_url=nowhere).exists(blob_name(b"x", "webp"))
    assert bucket in str(caught.value)
    assert nowhere in str(caught.value)


def test_from_url_reads_bucket_and_prefix(aws_env, bucket):
    store = S3BlobStore.from_url(f"s3://{bucket}/avatars/prod/",
                                 endpoint_url=aws_env["AWS_ENDPOINT_URL"])
    assert (store.bucket, store.prefix) == (bucket, "avatars/prod")
    name = store.put(image_bytes("from url"), "webp")
    assert store.key(name).startswith("avatars/prod/")
    assert S3BlobStore.from_url(f"s3://{bucket}").prefix == ""
    assert store.sweep_temp_files() == 0  # a single PutObject leaves nothing partial
    assert repr(store) == (f"S3BlobStore(bucket={bucket!r}, prefix='avatars/prod', "
                           f"endpoint={aws_env['AWS_ENDPOINT_URL']!r})")


def test_from_url_refuses_other_schemes_and_credentials_without_echoing_them():
    for url in ("http://bucket/prefix", "s3:///prefix", "bucket/prefix"):
        with pytest.raises(ValueError, match="s3://bucket/prefix"):
            S3BlobStore.from_url(url)
    with pytest.raises(ValueError) as caught:
        S3BlobStore.from_url("s3://AKID:topsecret@bucket/prefix")
    assert "topsecret" not in str(caught.value)


def test_endpoint_from_the_environment_is_used_with_path_style_addressing(
        aws_env, bucket, monkeypatch):
    """No endpoint_url given: boto3's own AWS_ENDPOINT_URL lookup finds the server, and a host
    name (not an IP, where boto3 would pick path style anyway) still gets path-style keys."""
    by_name = aws_env["AWS_ENDPOINT_URL"].replace("127.0.0.1", "localhost")
    monkeypatch.setenv("AWS_ENDPOINT_URL", by_name)
    store = S3BlobStore(bucket, "from-env")
    assert store.endpoint == by_name
    name = store.put(image_bytes("env endpoint"), "webp")
    assert store.read(name) == image_bytes("env endpoint")
