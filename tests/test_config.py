"""Settings: one declaration per option, and a start that refuses what it cannot use.

Every bad value is refused with its variable, its value (secrets masked) and what it accepts;
all problems come in one message; the secrets file is read as Streamlit writes it; the README
table is the declarations'; a real ``streamlit run app.py`` exits non-zero with the message.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from avatar_core.foundation.config import ConfigError, Settings, readme_table
from tests.live_server import free_port

REPO = Path(__file__).resolve().parent.parent
TOKEN = "a-long-enough-admin-token-0123"
MAKE_A_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def refusal(values: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        Settings.from_mapping(values)
    return str(caught.value)


# --- every bad value, refused by name ------------------------------------------------------

BAD = [
    ("AVATARS_DAILY_BUDGET_USD", "10 USD", "'10 USD': accepts US dollars ≥ 0"),
    ("AVATARS_DAILY_BUDGET_USD", "1,000", "'1,000': accepts US dollars ≥ 0"),
    ("AVATARS_DAILY_BUDGET_USD", "$1,000", "'$1,000': accepts US dollars ≥ 0"),
    ("AVATARS_DAILY_BUDGET_USD", "-5", "'-5': accepts US dollars ≥ 0"),
    ("AVATARS_DAILY_BUDGET_USD", "nan", "'nan': accepts US dollars ≥ 0"),
    ("AVATARS_DAILY_BUDGET_USD", "inf", "'inf': accepts US dollars ≥ 0"),
    ("AVATARS_PRICE_PER_IMAGE_USD", "0", "'0': accepts US dollars > 0"),
    ("AVATARS_PRICE_PER_IMAGE_USD", "-0.01", "'-0.01': accepts US dollars > 0"),
    ("AVATARS_PRICE_PER_IMAGE_USD", "inf", "'inf': accepts US dollars > 0"),
    ("AVATARS_CONCURRENCY", "four", "'four': accepts a whole number from 1 to 64"),
    ("AVATARS_CONCURRENCY", "0", "'0': accepts a whole number from 1 to 64"),
    ("AVATARS_CONCURRENCY", "65", "'65': accepts a whole number from 1 to 64"),
    ("AVATARS_CONCURRENCY", "2.5", "'2.5': accepts a whole number from 1 to 64"),
    ("AVATARS_LEASE_S", "inf", "'inf': accepts seconds from 5 to 600"),
    ("AVATARS_LEASE_S", "3", "'3': accepts seconds from 5 to 600"),
    ("AVATARS_LEASE_S", "601", "'601': accepts seconds from 5 to 600"),
    ("AVATARS_GEMINI_TIMEOUT_S", "-1", "'-1': accepts seconds from 1 to 600"),
    ("AVATARS_GEMINI_TIMEOUT_S", "0.5", "'0.5': accepts seconds from 1 to 600"),
    ("AVATARS_GEMINI_TIMEOUT_S", "nan", "'nan': accepts seconds from 1 to 600"),
    ("AVATARS_BATCH_POLL_S", "inf", "'inf': accepts seconds from 0.05 to 3600"),
    ("AVATARS_BATCH_POLL_S", "0.01", "'0.01': accepts seconds from 0.05 to 3600"),
    ("AVATARS_BATCH_POLL_S", "soon", "'soon': accepts seconds from 0.05 to 3600"),
    ("AVATARS_DEMO", "maybe", "'maybe': accepts on or off (1/0, true/false, yes/no)"),
    ("AVATARS_REFINE_PROMPT", "2", "'2': accepts on or off (1/0, true/false, yes/no)"),
    ("AVATARS_PROVIDER", "openai", "'openai': accepts auto, gemini or builtin"),
    ("AVATARS_GEMINI_MODEL", "gemini 3", "'gemini 3': accepts auto or a model name"),
]


@pytest.mark.parametrize("name, value, expected", BAD)
def test_a_bad_value_is_refused_with_its_name_value_and_what_it_accepts(name, value, expected):
    message = refusal({name: value})
    assert f"- {name}={expected}" in message
    assert message.startswith("Agent Avatars will not start: 1 setting to fix")


GOOD = [
    ("AVATARS_DAILY_BUDGET_USD", "$10.50", "daily_budget_usd", 10.5),
    ("AVATARS_DAILY_BUDGET_USD", "0", "daily_budget_usd", 0.0),
    ("AVATARS_DAILY_BUDGET_USD", " 12 ", "daily_budget_usd", 12.0),
    ("AVATARS_PRICE_PER_IMAGE_USD", "$0.067", "price_per_image_usd", 0.067),
    ("AVATARS_CONCURRENCY", "64", "concurrency", 64),
    ("AVATARS_LEASE_S", "5", "lease_s", 5.0),
    ("AVATARS_BATCH_POLL_S", "0.05", "batch_poll_s", 0.05),
    ("AVATARS_GEMINI_TIMEOUT_S", "600", "gemini_timeout_s", 600.0),
    ("AVATARS_PROVIDER", "Gemini", "provider", "gemini"),
    ("AVATARS_GEMINI_MODEL", "gemini-3-pro-image", "gemini_model", "gemini-3-pro-image"),
]
SWITCHES = {"1": True, "true": True, "Yes": True, "ON": True,
            "0": False, "false": False, "no": False, "Off": False}


@pytest.mark.parametrize("name, value, field, expected", GOOD)
def test_a_good_value_is_read(name, value, field, expected):
    assert getattr(Settings.from_mapping({name: value}), field) == expected


@pytest.mark.parametrize("text, expected", SWITCHES.items())
def test_every_spelling_of_a_switch_is_read(text, expected):
    settings = Settings.from_mapping({"AVATARS_DEMO": text, "AVATARS_REFINE_PROMPT": text})
    assert (settings.demo, settings.refine_prompt) == (expected, expected)


def test_defaults_when_nothing_is_set(tmp_path):
    settings = Settings.from_mapping({"AVATARS_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'avatars.db'}"
    assert (settings.gemini_model, settings.gemini_text_model) == ("auto", "auto")
    assert (settings.concurrency, settings.lease_s, settings.batch_poll_s) == (4, 30.0, 30.0)
    assert settings.admin_token is None and settings.daily_budget_usd is None
    assert settings.demo and settings.refine_prompt and settings.provider == "auto"


def test_a_short_admin_token_is_refused_masked_with_how_to_make_one():
    message = refusal({"AVATARS_ADMIN_TOKEN": "hunter2"})
    assert "- AVATARS_ADMIN_TOKEN=(secret, 7 characters): accepts at least 16 characters" in message
    assert MAKE_A_TOKEN in message
    assert "hunter2" not in message
    assert Settings.from_mapping({"AVATARS_ADMIN_TOKEN": "x" * 16}).admin_token == "x" * 16


def test_a_misspelled_name_is_refused_with_the_closest_declared_one():
    message = refusal({"AVATARS_DAILY_BUDGT_USD": "5", "AVATARS_FROBNICATE": "1",
                       "PATH": "/usr/bin", "STREAMLIT_SERVER_PORT": "1"})
    assert ("- AVATARS_DAILY_BUDGT_USD: is not a setting of Agent Avatars (did you mean "
            "AVATARS_DAILY_BUDGET_USD?)") in message
    assert ("- AVATARS_FROBNICATE: is not a setting of Agent Avatars (see the configuration"
            in message)
    assert "PATH" not in message and "STREAMLIT" not in message  # not ours: none of our business


def test_every_problem_comes_in_one_message():
    values = dict((name, value) for name, value, _ in BAD[::3])
    values["AVATARS_LEASE_S"] = "inf"
    values["AVATARS_DAILY_BUDGT_USD"] = "5"
    message = refusal(values)
    lines = [line for line in message.splitlines() if line.startswith("- ")]
    assert len(lines) == len(values)
    assert message.startswith(f"Agent Avatars will not start: {len(values)} settings to fix")


def test_an_url_password_is_masked_in_a_refusal_too():
    message = refusal({"AVATARS_DATABASE_URL": "postgresql://u:db-pa55word@db/x",
                       "AVATARS_LEASE_S": "1"})
    assert "pa55word" not in message


# --- where values come from: environment, then the secrets file ---------------------------


@pytest.fixture
def secrets_file(tmp_path, monkeypatch) -> Path:
    for name in list(os.environ):
        if name.startswith("AVATARS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AVATARS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "secrets.toml"


def test_the_environment_wins_and_an_empty_value_counts_as_unset(secrets_file, monkeypatch):
    secrets_file.write_text(f'AVATARS_ADMIN_TOKEN = "{TOKEN}"\nAVATARS_CONCURRENCY = 8\n'
                            'AVATARS_DEMO = false\nAVATARS_PROVIDER = "builtin"\n')
    monkeypatch.setenv("AVATARS_ADMIN_TOKEN", "")  # exported empty: the file's token stays
    monkeypatch.setenv("AVATARS_PROVIDER", "gemini")
    settings = Settings.load(secrets_file)
    assert settings.admin_token == TOKEN
    assert (settings.provider, settings.concurrency, settings.demo) == ("gemini", 8, False)


def test_streamlits_own_sections_are_left_alone(secrets_file):
    secrets_file.write_text(f'AVATARS_ADMIN_TOKEN = "{TOKEN}"\n\n[auth]\n'
                            'redirect_uri = "http://localhost:8501/oauth2callback"\n'
                            'cookie_secret = "xyz"\n[connections.db]\nurl = "sqlite://"\n')
    assert Settings.load(secrets_file).admin_token == TOKEN


@pytest.mark.parametrize("text, expected", [
    ('AVATARS_ADMIN_TOKEN = "unterminated\n', "cannot be read as TOML"),
    ("[avatars]\nAVATARS_ADMIN_TOKEN = 'a-long-enough-admin-token'\n",
     "[avatars]: holds AVATARS_ADMIN_TOKEN under a section, where they are not read"),
    ("[auth]\nGEMINI_API_KEY = 'AIza-secret-key-in-a-section'\n",
     "[auth]: holds GEMINI_API_KEY under a section"),
    ("AVATARS_DAILY_BUDGT_USD = 5\n", "did you mean AVATARS_DAILY_BUDGET_USD?"),
    ("AVATARS_CONCURRENCY = [1, 2]\n", "AVATARS_CONCURRENCY: in "),
    ("AVATARS_LEASE_S = 1\n", "AVATARS_LEASE_S='1': accepts seconds from 5 to 600"),
])
def test_a_secrets_file_that_cannot_be_used_is_refused(secrets_file, text, expected):
    secrets_file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Settings.load(secrets_file)
    assert expected in str(caught.value)
    assert "AIza-secret" not in str(caught.value)


def test_a_misspelled_environment_variable_is_refused_at_load(secrets_file, monkeypatch):
    monkeypatch.setenv("AVATARS_CONCURENCY", "8")
    with pytest.raises(ConfigError, match="did you mean AVATARS_CONCURRENCY"):
        Settings.load(secrets_file)


# --- one source for the README and the Settings view ------------------------------------


def test_the_readme_table_is_the_declarations():
    assert readme_table() in (REPO / "README.md").read_text(encoding="utf-8")


def test_describe_shows_every_declared_option_once():
    rows = Settings.from_mapping({"AVATARS_DAILY_BUDGET_USD": "$2.5"}).describe()
    names = [row["name"] for row in rows]
    assert len(names) == len(set(names))
    assert {row["name"] for row in rows} >= {"AVATARS_BATCH_POLL_S", "AVATARS_LEASE_S",
                                             "GOOGLE_API_KEY"}
    shown = {row["name"]: row["value"] for row in rows}
    assert shown["AVATARS_DAILY_BUDGET_USD"] == "$2.5"
    assert shown["AVATARS_GEMINI_MODEL"] == "auto"


# --- a real start --------------------------------------------------------------------------


@pytest.mark.slow
def test_streamlit_run_stops_at_start_naming_every_bad_setting(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVATARS_")}
    env.update({"AVATARS_DATA_DIR": str(tmp_path / "data"), "AVATARS_DEMO": "0",
                "AVATARS_LEASE_S": "inf", "AVATARS_ADMIN_TOKEN": "short",
                "AVATARS_DAILY_BUDGT_USD": "5", "PYTHONPATH": str(REPO)})
    command = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
               "--server.headless", "true", "--server.port", str(free_port()),
               "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert process.returncode == 2, output
    assert "Agent Avatars will not start: 3 settings to fix" in output
    assert "- AVATARS_LEASE_S='inf': accepts seconds from 5 to 600" in output
    assert "did you mean AVATARS_DAILY_BUDGET_USD?" in output
    assert "AVATARS_ADMIN_TOKEN=(secret, 5 characters)" in output and "short" not in output
    assert "Traceback" not in output
    assert not (tmp_path / "data" / "avatars.db").exists()  # nothing was started
