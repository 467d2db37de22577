"""The low findings of the second hostile review, each with the test that failed before its
fix: masked URLs, confirmations after Lock, import edge cases, concurrent registration, the
key file, older avatars' emotions, bounded decodes, JSON caps, interactive timeouts."""

from __future__ import annotations

import pytest

from avatar_core.foundation.config import mask_url


@pytest.mark.parametrize("url, secret", [
    ("postgresql+psycopg://app:pa/ss?w0rd@db:5432/avatars", "pa/ss?w0rd"),
    ("postgresql://app:s3cr/et@db/avatars", "s3cr/et"),
    ("postgresql://db/avatars?user=app&password=hunter2", "hunter2"),
    ("postgresql://db/avatars?password=hunter2&sslmode=require", "hunter2"),
    ("s3://bucket/prefix?access_key=AKIA123&secret_key=abc/def", "abc/def"),
    ("https://proxy.example/?token=tok123", "tok123"),
])
def test_mask_url_hides_passwords_with_slashes_and_in_query_strings(url: str,
                                                                    secret: str) -> None:
    masked = mask_url(url)
    assert secret not in masked and "•••" in masked


def test_mask_url_leaves_plain_urls_alone() -> None:
    for url in ("sqlite:///data/avatars.db", "https://db.example:5432/avatars?sslmode=require",
                "postgresql://app@db/avatars"):
        assert mask_url(url) == url
