"""Image blobs in an S3-compatible object store, so that several replicas share one set of images.

Same contract as ``LocalBlobStore`` (see ``blobs.BlobStore``), keyed the same way:
``<prefix>/<first two hex>/<sha256>.<ext>``. Equal bytes get equal keys, so two replicas writing
the same image at once write the same object, and a write is skipped when the object exists.

Every write is one PutObject (never multipart): S3 makes an object visible only once its whole
body has arrived, so a crash leaves either nothing or the whole image — there are no temp files
to sweep. Credentials come from boto3's standard chain (environment, shared files, instance or
container roles) and never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from ..foundation.errors import Unavailable
from .blobs import blob_name, check_blob_name, is_blob_name, media_type_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["DEFAULT_S3_CONFIG", "ObjectStoreError", "S3BlobStore"]

# Short connect timeout (a dead endpoint should fail a request, not hang a page); reads get longer
# for 10 MB references on a slow link. Standard retries back off on throttling and 5xx.
DEFAULT_S3_CONFIG = Config(
    connect_timeout=5,
    read_timeout=30,
    retries={"max_attempts": 4, "mode": "standard"},
    max_pool_connections=32,  # one client serves every thread of the replica
    # Many S3-compatible servers reject the newer default CRC trailers; put() sends Content-MD5.
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)
# Blob names are content addresses: an object never changes once written.
IMMUTABLE = "public, max-age=31536000, immutable"
_T = TypeVar("_T")
_MISSING_KEY = frozenset({"NoSuchKey", "NotFound", "404"})
_MISSING_BUCKET = frozenset({"NoSuchBucket"})
_REFUSED = frozenset({
    "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
    "ExpiredToken", "InvalidClientTokenId", "Forbidden", "403",
})


class ObjectStoreError(Unavailable):
    """The object store is missing, unreachable or refuses our credentials."""


class S3BlobStore:
    """Content-addressed image objects under ``prefix`` in ``bucket``."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, client: Any = None) -> None:
        if not bucket or "/" in bucket:
            raise ValueError(f"not an S3 bucket name: {bucket[:80]!r}")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._key_prefix = f"{self.prefix}/" if self.prefix else ""
        self._client: S3Client = client if client is not None else _make_client(endpoint_url,
                                                                                region)
        self._bucket_seen = False

    @classmethod
    def from_url(cls, url: str, *, endpoint_url: str | None = None,
                 region: str | None = None) -> S3BlobStore:
        """The store an ``s3://bucket/prefix`` URL (``AVATARS_BLOB_URL``) names."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("a blob URL must look like s3://bucket/prefix")
        if "@" in parts.netloc:  # never echo it: what precedes the @ would be a secret
            raise ValueError("credentials do not belong in the blob URL: use AWS_ACCESS_KEY_ID "
                             "and AWS_SECRET_ACCESS_KEY, a profile or a role")
        return cls(parts.netloc, parts.path, endpoint_url=endpoint_url, region=region)

    @property
    def endpoint(self) -> str:
        """Where the client sends requests (user info stripped, should a URL carry any)."""
        return _without_userinfo(str(self._client.meta.endpoint_url))

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r}, " \
               f"endpoint={self.endpoint!r})"

    def key(self, name: str) -> str:
        """The object key of blob ``name``; refuses anything that is not a blob name."""
        check_blob_name(name)
        return f"{self._key_prefix}{name[:2]}/{name}"

    def put(self, data: bytes, ext: str) -> str:
        name = blob_name(data, ext)
        key = self.key(name)
        if self._head(key):
            return name
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        self._call("write", lambda: self._client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=media_type_of(name),
            ContentMD5=md5, CacheControl=IMMUTABLE))
        return name

    def read(self, name: str) -> bytes:
        key = self.key(name)

        def get() -> bytes:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()

        return self._call("read", get)

    def exists(self, name: str) -> bool:
        return self._head(self.key(name))

    def delete(self, name: str) -> None:
        key = self.key(name)
        # S3 answers a delete of a missing key with success: idempotent as the protocol asks.
        self._call("delete", lambda: self._client.delete_object(Bucket=self.bucket, Key=key))

    def names(self, older_than_s: float = 0.0) -> Iterator[str]:
        """Blob names under the prefix; the age filter compares the store's LastModified clock
        with ours, so keep ``older_than_s`` well above any clock skew (minutes, not seconds)."""
        cutoff = time.time() - older_than_s
        self._check_bucket()
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key_prefix)
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    name = self._name_of(item["Key"])
                    if name is None:
                        continue
                    if older_than_s <= 0 or item["LastModified"].timestamp() < cutoff:
                        yield name
        except (ClientError, BotoCoreError) as exc:
            raise self._error(exc, "list") from exc

    def sweep_temp_files(self) -> int:
        """Always 0: an object appears only once its single PutObject completed, so a crash
        cannot leave a partial write behind (no multipart uploads are ever started)."""
        return 0

    # --- internals ----------------------------------------------------------------------

    def _name_of(self, key: str) -> str | None:
        """The blob name a listed key holds, or None for a key that is not ``<xx>/<name>``
        directly under our prefix (another prefix's blobs, stray objects)."""
        shard, _, name = key[len(self._key_prefix):].partition("/")
        if is_blob_name(name) and shard == name[:2]:
            return name
        return None

    def _head(self, key: str) -> bool:
        self._check_bucket()
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if _code(exc) in _MISSING_KEY:
                return False
            raise self._error(exc, "look-up") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "look-up") from exc
        return True

    def _check_bucket(self) -> None:
        """Once per store: a HEAD of a missing bucket answers a bare 404, exactly like a missing
        key, so without this a misspelt bucket would look like an empty one."""
        if self._bucket_seen:
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) in _MISSING_KEY | _MISSING_BUCKET:
                raise ObjectStoreError(f"S3 bucket {self.bucket!r} does not exist at "
                                       f"{self.endpoint}") from exc
            raise self._error(exc, "bucket check") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "bucket check") from exc
        self._bucket_seen = True

    def _call(self, action: str, request: Callable[[], _T]) -> _T:
        """Run one request; NoSuchKey becomes FileNotFoundError, every other failure one
        ObjectStoreError that names the bucket and endpoint (never a credential)."""
        self._check_bucket()
        try:
            return request()
        except ClientError as exc:
            if _code(exc) in _MISSING_KEY:
                raise FileNotFoundError(f"no such blob in {self._location()}") from exc
            raise self._error(exc, action) from exc
        except BotoCoreError as exc:
            raise self._error(exc, action) from exc

    def _error(self, exc: Exception, action: str) -> ObjectStoreError:
        where = f"bucket {self.bucket!r} at {self.endpoint}"
        if isinstance(exc, ClientError):
            code = _code(exc)
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in _MISSING_BUCKET:
                return ObjectStoreError(f"S3 bucket {self.bucket!r} does not exist at "
                                        f"{self.endpoint}")
            if code in _REFUSED or status == 403:
                return ObjectStoreError(f"S3 refused the credentials for {where} ({code}); "
                                        "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")
            return ObjectStoreError(f"S3 {action} failed for {where}: {code} (HTTP {status})")
        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return ObjectStoreError(f"no S3 credentials for {where}: set AWS_ACCESS_KEY_ID and "
                                    "AWS_SECRET_ACCESS_KEY, or use a profile or a role")
        if isinstance(exc, ConnectionError):
            return ObjectStoreError(f"S3 endpoint unreachable for {where} "
                                    f"({type(exc).__name__})")
        return ObjectStoreError(f"S3 {action} failed for {where} ({type(exc).__name__})")

    def _location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def _make_client(endpoint_url: str | None, region: str | None) -> S3Client:
    """One client per store: clients are thread-safe, sessions are not (so none is kept)."""
    session = boto3.session.Session(region_name=region)
    client = session.client("s3", endpoint_url=endpoint_url, config=DEFAULT_S3_CONFIG)
    host = urlsplit(str(client.meta.endpoint_url)).hostname or ""
    if host == "amazonaws.com" or host.endswith(".amazonaws.com"):
        return client
    # An S3-compatible server (SeaweedFS, MinIO, Ceph, ...), named directly or through
    # AWS_ENDPOINT_URL: they address buckets by path, not by a per-bucket host name.
    path_style = DEFAULT_S3_CONFIG.merge(Config(s3={"addressing_style": "path"}))
    return session.client("s3", endpoint_url=endpoint_url, config=path_style)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()
