"""avatar_ui.text.plain: data inside Markdown stays the characters it is."""

from __future__ import annotations

import re

import pytest

from avatar_ui.text import WORD_JOINER, plain
from tests.page_helpers import unescaped

PLANTED = [
    "[Session expired — sign in again](https://evil.example/login)",
    "![tracker](https://evil.example/pixel.png)",
    "<https://evil.example> and https://evil.example/bare and www.evil.example",
    "write to help@evil.example",
    ":red[alarm] :material/lock: $x^2$ ~~gone~~ **bold** _it_ `code`",
    "# heading",
    "1. a list",
    "- a list",
    "> a quote",
    "a\\b &#58; &amp; | table |",
]


@pytest.mark.parametrize("text", PLANTED)
def test_every_markdown_form_is_escaped_and_reads_the_same(text: str) -> None:
    escaped = plain(text)
    assert unescaped(escaped) == text
    # nothing Markdown would act on is left: no unescaped punctuation, and no bare address
    # that a linker could find once the escapes are resolved
    assert not re.search(r"[\[\]()*_`~$<>#|!]", re.sub(r"\\.", "", escaped)), escaped
    resolved = re.sub(r"\\(.)", r"\1", escaped)
    assert not re.search(r"://|www\.|\w@\w", resolved), resolved


def test_line_breaks_cannot_start_a_block() -> None:
    assert plain("ok\n# not a heading\r\n- nor a list") == r"ok \# not a heading \- nor a list"


def test_the_joiners_are_invisible_word_joiners_around_addresses_only() -> None:
    assert plain("a.b") == f"a{WORD_JOINER}\\.{WORD_JOINER}b"
    assert WORD_JOINER not in plain("no addresses, here")


def test_plain_words_stay_as_they_are() -> None:
    assert plain("Ledger Bot") == "Ledger Bot"
    assert plain(42) == "42"
