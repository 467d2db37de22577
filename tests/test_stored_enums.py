"""Stored states read back whole: a value another version wrote is kept, never a crash."""

from __future__ import annotations

import pytest

from avatar_core.foundation.errors import FailureReason
from avatar_core.foundation.models import JobMode, ProviderName


@pytest.mark.parametrize("enum", [FailureReason, JobMode, ProviderName])
def test_an_unknown_stored_value_is_kept(enum):
    known = len(enum)
    found = enum("from_a_newer_release")
    assert found == "from_a_newer_release" and found.value == "from_a_newer_release"
    assert found.name == "FROM_A_NEWER_RELEASE"
    assert len(enum) == known  # the known values stay the enum's members


def test_known_values_are_the_members():
    assert JobMode("batch") is JobMode.BATCH
    assert ProviderName("gemini") is ProviderName.GEMINI
    assert f"{ProviderName.BUILTIN} (offline)" == "builtin (offline)"
