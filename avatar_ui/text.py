"""Data shown as text: the one escape for everything that Streamlit would read as Markdown.

Display names, descriptions, prompts, ``?agent=`` values and error details come from users and
from the API. Streamlit renders most strings as Markdown — links, images, emphasis, headings,
``:material/…:`` icons, ``:red[…]`` colours, ``$…$`` maths — so a planted
``[Session expired — sign in again](https://…)`` would become a real link. Every string from data
goes through ``plain`` before it reaches ``st.markdown``, ``st.caption``, ``st.success`` and the
rest; literal text in our own code does not need it.
"""

from __future__ import annotations

import re

__all__ = ["WORD_JOINER", "plain"]

# CommonMark lets a backslash escape any ASCII punctuation character, and an escaped character
# is always literal; escaping all of them (rather than guessing which ones matter) also covers
# Streamlit's own extensions (":" directives, "$" maths, "~" strikethrough).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# Streamlit also turns bare "https://…", "www.…" and "name@host.tld" into links, and it finds
# them in the text after escapes and character references are resolved, so neither stops it.
# An invisible word joiner (U+2060) on both sides of ":", "." and "@" does ("www⁠.⁠x" is no
# "www." to a linker, "https:⁠//" no scheme, "a@⁠b" no address): the reader sees the same text.
WORD_JOINER = "\u2060"
_JOINED = {char: f"{WORD_JOINER}\\{char}{WORD_JOINER}" for char in ":.@"}
# Line breaks inside a value would start a heading, a list or a quote on the next line.
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def plain(value: object) -> str:
    """``value`` as literal text inside Markdown: every punctuation character escaped, and a
    word joiner around ":", "." and "@" so that no link is made of a bare address either."""
    text = _NEWLINES.sub(" ", str(value))
    return _PUNCTUATION.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group(1)
    return _JOINED.get(char) or "\\" + char
