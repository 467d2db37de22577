"""Which blob store a deployment uses, chosen by ``AVATARS_BLOB_URL``.

Empty: files under the data directory (one machine). ``s3://bucket/prefix``: any S3-compatible
store, the endpoint from ``AWS_ENDPOINT_URL``, credentials and region the standard AWS way.
"""

from __future__ import annotations

from ..foundation.config import Settings
from ..foundation.errors import BadRequest
from .blobs import BlobStore, LocalBlobStore
from .s3_blobs import S3BlobStore

__all__ = ["open_blob_store"]


def open_blob_store(settings: Settings) -> BlobStore:
    url = settings.blob_url.strip()
    if not url:
        return LocalBlobStore(settings.data_dir / "blobs")
    if url.startswith("s3://"):
        return S3BlobStore.from_url(url, endpoint_url=settings.s3_endpoint_url,
                                    region=settings.s3_region)
    raise BadRequest("AVATARS_BLOB_URL must be empty (files in the data dir) or "
                     "s3://bucket/prefix")
