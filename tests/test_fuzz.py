"""Property-based fuzzing of every operation of the OpenAPI document with Schemathesis.

One real service (SQLite file, built-in renderer) serves ``create_api``; Schemathesis loads
``/openapi.json`` from it and generates requests for every operation — the document's
examples, its coverage cases (boundaries, and values that break the declared schema) and
random ones — as nobody, as an editor, as the admin, and in demo mode (no admin token).
Every answer must be no 5xx, carry a documented status, content type and headers, and match
the declared schema; schema-breaking requests must be refused. The product's log must hold no
error and no traceback afterwards. Examples are bounded per operation and derandomized, so a
run is repeatable and short.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks as st_checks

from avatar_api import create_api
from avatar_core.foundation.config import Settings
from avatar_core.foundation.limits import WAIT_MAX_S
from avatar_core.service import AvatarService
from tests import corpus

ADMIN = "fuzz-admin-token"

# What every answer must satisfy. Left out: the stateful checks (use_after_free, ...), which
# need links the document does not declare, and positive_data_acceptance, which cannot know the
# product's own rules (a schema-valid name that is not a slug is a 400 by design).
CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance,
          st_checks.content_type_conformance, st_checks.response_schema_conformance,
          st_checks.response_headers_conformance, st_checks.negative_data_rejection]

# The app asks for its service on every request; the module's fixture provides it, so the
# document can be loaded (and the tests parametrized) when the module is collected.
_serving: dict[str, AvatarService] = {}
_api = create_api(lambda: _serving["service"])
schema = schemathesis.openapi.from_asgi("/openapi.json", _api)

FUZZ = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _started(tmp_path_factory: pytest.TempPathFactory, admin_token: str) -> AvatarService:
    """A service on its own SQLite file; no background work, so each request costs itself."""
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    return AvatarService(Settings.from_mapping({
        "AVATARS_DATA_DIR": str(data_dir), "AVATARS_DEMO": "0", "AVATARS_PROVIDER": "builtin",
        "AVATARS_REFINE_PROMPT": "off", "AVATARS_ADMIN_TOKEN": admin_token})).start(resume=False)


@pytest.fixture(scope="module")
def fuzzed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AvatarService]:
    service = _started(tmp_path_factory, ADMIN)
    _serving["service"] = service
    yield service
    _serving.clear()
    service.close()


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AvatarService]:
    """No admin token: demo mode, where the API refuses every write."""
    service = _started(tmp_path_factory, "")
    service.agents.register("atlas", "Atlas", "code-assistant", "Writes code")
    service.install_picture("atlas", corpus.png(64, 64, (40, 90, 200)))
    yield service
    service.close()


@pytest.fixture
def in_demo_mode(fuzzed_service: AvatarService,
                 demo_service: AvatarService) -> Iterator[AvatarService]:
    _serving["service"] = demo_service
    yield demo_service
    _serving["service"] = fuzzed_service


@pytest.fixture(scope="module")
def editor_token(fuzzed_service: AvatarService) -> str:
    return fuzzed_service.tokens.create("fuzz-editor")[1]


@pytest.fixture(autouse=True)
def seeded(fuzzed_service: AvatarService, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Before each operation: the documented example agent exists and has an avatar (an earlier
    DELETE may have removed it). After it: nothing in the log at ERROR and no traceback."""
    if "atlas" not in {a.name for a in fuzzed_service.agents.list()}:
        fuzzed_service.agents.register("atlas", "Atlas", "code-assistant", "Writes code")
    if fuzzed_service.current_version("atlas") is None:
        fuzzed_service.install_picture("atlas", corpus.png(64, 64, (40, 90, 200)))
    caplog.set_level(logging.INFO)
    yield
    troubles = [r for r in caplog.get_records("call")
                if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in r.getMessage()]
    assert not troubles, [r.getMessage() for r in troubles]


def _check(case: schemathesis.Case, headers: dict[str, str]) -> None:
    _bound_the_wait(case)
    case.call_and_validate(headers=headers, checks=CHECKS)


def _bound_the_wait(case: schemathesis.Case) -> None:
    """``generate-defaults?wait=true`` holds the request for ``timeout`` seconds (60 unless
    given) when the job cannot finish — and here no background work runs. A valid timeout is
    cut to a tenth of a second (still valid, so a request that breaks the schema elsewhere
    stays broken); an invalid one is left alone: it is refused before any wait."""
    if case.operation.path != "/agents/avatars/generate-defaults" or not case.query:
        return
    if "wait" in case.query and _seconds(case.query.get("timeout", WAIT_MAX_S)) > 0.1:
        case.query["timeout"] = 0.1


def _seconds(value: object) -> float:
    """The number of seconds a query value means (the coverage phase sends text), else 0."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0
    try:
        seconds = float(value)
    except ValueError:
        return 0.0
    return seconds if 0 < seconds <= WAIT_MAX_S else 0.0


@schema.parametrize()
@FUZZ
def test_fuzz_without_a_token(case: schemathesis.Case) -> None:
    _check(case, {})


@schema.parametrize()
@FUZZ
def test_fuzz_as_editor(case: schemathesis.Case, editor_token: str) -> None:
    _check(case, {"Authorization": f"Bearer {editor_token}"})


@schema.parametrize()
@FUZZ
def test_fuzz_as_admin(case: schemathesis.Case) -> None:
    _check(case, {"Authorization": f"Bearer {ADMIN}"})


@schema.parametrize()
@FUZZ
def test_fuzz_in_demo_mode(case: schemathesis.Case, in_demo_mode: AvatarService) -> None:
    _check(case, {"Authorization": f"Bearer {ADMIN}"})  # no token is valid here


def test_the_document_declares_the_error_body_everywhere() -> None:
    """Every operation lists its error statuses, each with the one error body's schema."""
    document = schema.raw_schema
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
            assert "500" in errors, (method, path)
            for status, answer in errors.items():
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (method, path, status)
