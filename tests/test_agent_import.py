"""Importing agents from CSV and JSON files, row by row, on a real SQLite service."""

from __future__ import annotations

import json

import pytest

from avatar_core.foundation.errors import BadRequest
from avatar_core.work.agent_import import import_agents, parse_agent_file

CSV = (
    "name,display_name,type,description,avatar_prompt,is_system\n"
    "atlas,Atlas,business-assistant,Closes deals,,no\n"
    "root,Root,other,Keeps order,A purple guardian robot,yes\n"
    "Bad Name,Bad,other,,,\n"
    "nova,,wizard,,,\n"
)


def test_csv_rows_are_registered_and_bad_rows_reported(service):
    result = import_agents(service.agents, parse_agent_file("agents.csv", CSV.encode()))
    assert result.created == ["atlas", "root"]
    assert [(e.row, e.name) for e in result.errors] == [(3, "Bad Name"), (4, "nova")]
    assert "Invalid agent name" in result.errors[0].detail
    assert "Unknown agent type" in result.errors[1].detail
    root = service.agents.get("root")
    assert root.is_system and root.avatar_prompt == "A purple guardian robot"
    assert service.agents.get("atlas").display_name == "Atlas"


def test_json_list_or_object_and_api_output_import(service):
    service.agents.register("atlas", "Atlas")
    exported = [{"name": "nova", "display_name": "Nova", "type": "data-analyst",
                 "description": "", "is_system": False, "avatar_url": None,
                 "has_avatar": False, "is_default_avatar": False},
                {"name": "atlas"}, "not an object"]
    data = json.dumps(exported).encode()
    result = import_agents(service.agents, parse_agent_file("a.json", data))
    assert result.created == ["nova"]
    assert [e.row for e in result.errors] == [2, 3]
    assert "already exists" in result.errors[0].detail
    wrapped = json.dumps({"agents": [{"name": "orion", "is_system": "true"}]}).encode()
    assert import_agents(service.agents, parse_agent_file("b.JSON", wrapped)).created == ["orion"]
    assert service.agents.get("orion").is_system


def test_bad_is_system_value_is_a_row_error(service):
    rows = parse_agent_file("a.csv", b"name,is_system\natlas,maybe\n")
    result = import_agents(service.agents, rows)
    assert not result.created and "is_system" in result.errors[0].detail


@pytest.mark.parametrize("filename, data, message", [
    ("a.txt", b"name\natlas\n", "csv or .json"),
    ("a.csv", b"display_name\nAtlas\n", "'name' column"),
    ("a.csv", b"\xff\xfe\x00", "UTF-8"),
    ("a.json", b"{nope", "Not valid JSON"),
    ("a.json", b'{"name": "atlas"}', "list of agents"),
])
def test_unreadable_files_are_refused(filename, data, message):
    with pytest.raises(BadRequest, match=message):
        parse_agent_file(filename, data)


def test_utf8_bom_csv_from_spreadsheets(service):
    data = "\ufeffname,display_name\nzoe,Zoë\n".encode()
    assert import_agents(service.agents, parse_agent_file("a.csv", data)).created == ["zoe"]
    assert service.agents.get("zoe").display_name == "Zoë"
