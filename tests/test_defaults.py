"""Default prompts: the agent's own prompt, its description, or a style by type — stable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from avatar_core.domain.defaults import (
    OTHER_STYLES,
    TYPE_STYLES,
    default_fingerprint,
    default_prompt,
)

ROOT = Path(__file__).resolve().parent.parent


def test_the_agents_own_prompt_wins():
    assert default_prompt("a", "A", "desc", "  my robot  ", "code-assistant") == "my robot"


def test_then_name_and_description():
    assert default_prompt("a", "Ledger", "Reconciles", None, "other") == "Ledger: Reconciles"


@pytest.mark.parametrize("kind, words", [
    ("business-assistant", "chrome and navy executive android"),
    ("code-assistant", "matte black with glowing teal circuit traces"),
    ("research-assistant", "brushed silver robot with amber eyes and spectacle frames"),
    ("creative-assistant", "iridescent holographic purple-pink"),
    ("data-analyst", "gunmetal robot with grid lines and green eyes"),
])
def test_then_a_style_by_type(kind, words):
    assert words in default_prompt("x", "X", "", None, kind)
    assert words in TYPE_STYLES[kind]


def test_other_agents_get_one_of_a_dozen_styles_by_name():
    styles = {default_prompt(f"agent-{i}", "A", "", None, "other").split(", ", 1)[1]
              for i in range(200)}
    assert styles <= set(OTHER_STYLES) and len(styles) >= 10 and len(OTHER_STYLES) == 12


def test_styles_are_the_same_in_every_process():
    code = ("from avatar_core.domain.defaults import default_prompt;"
            "print('|'.join(default_prompt(f'n{i}', 'N', '', None, 'other') for i in range(50)))")
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outputs.add(subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                                   capture_output=True, text=True, check=True).stdout)
    here = "|".join(default_prompt(f"n{i}", "N", "", None, "other") for i in range(50))
    assert outputs == {here + "\n"}


def test_fingerprint_changes_with_prompt_and_provider():
    base = default_fingerprint("p", "builtin", "robot-v1")
    assert base == default_fingerprint("p", "builtin", "robot-v1")
    assert base != default_fingerprint("q", "builtin", "robot-v1")
    assert base != default_fingerprint("p", "gemini", "gemini-2.5-flash-image")
