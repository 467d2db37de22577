"""The job and budget endpoints are in the OpenAPI document (with their answers' schemas and
error statuses) and in the README's API table."""

from __future__ import annotations

from pathlib import Path

import pytest

from avatar_api import create_api

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
OPERATIONS = [  # (path in the document, method, error statuses, README's spelling)
    ("/jobs", "get", {"401", "403", "422"}, "`/api/jobs`"),
    ("/jobs/{job_id}/cancel", "post", {"401", "403", "404", "409"}, "`/api/jobs/{id}/cancel`"),
    ("/spend", "get", {"401", "403"}, "`/api/spend`"),
    ("/budget", "put", {"401", "403", "422"}, "`/api/budget`"),
]


@pytest.mark.parametrize(("path", "method", "errors", "readme"), OPERATIONS)
def test_declared_in_the_document_and_the_readme(path, method, errors, readme):
    document = create_api(lambda: None).openapi()
    operation = document["paths"][path][method]
    answers = operation["responses"]
    assert errors <= set(answers)
    schema = answers["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].startswith("#/components/schemas/")
    assert answers["409" if "409" in errors else "401"]["content"]["application/json"][
        "schema"]["$ref"].endswith("/ErrorBody")
    assert readme in README


def test_the_job_answer_declares_agents_and_the_import_its_price():
    schemas = create_api(lambda: None).openapi()["components"]["schemas"]
    assert "agents" in schemas["JobOut"]["required"]
    assert {"emotions_queued", "estimated_usd"} <= set(schemas["ImportOut"]["required"])
    assert "cancelled" in schemas["JobStatus"]["enum"]
