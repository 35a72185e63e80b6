"""Property test of the REST API against its own OpenAPI schema (Schemathesis, in-process ASGI):
no server errors and every response matches the schema — signed in with a token and anonymous."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .test_web_support import build_world

_DIR = Path(tempfile.mkdtemp(prefix="journeyscope-schemathesis-"))
atexit.register(shutil.rmtree, _DIR, True)
WORLD = build_world(_DIR)
TOKEN = WORLD.tokens["editor"]
schema = schemathesis.openapi.from_asgi("/openapi.json", WORLD.app)

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
FEW = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@FEW
def test_api_with_a_token(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, checks=CHECKS)


@schema.parametrize()
@settings(FEW, max_examples=1)
def test_api_anonymous(case: schemathesis.Case) -> None:
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code >= 400, (case.method, case.path, response.status_code)


# A generated regex condition such as "[[]]" makes Python's re module warn (the map model
# accepts it); that is the model's business, not the API's.


def teardown_module() -> None:
    WORLD.app.state.runner.shutdown()
    WORLD.app.state.store.close()
