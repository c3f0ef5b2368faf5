"""Schemathesis against the read API's own OpenAPI description: no 5xx, no answer outside the schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from syncd.web.app import create_app
from tests.support.admin_world import API_TOKEN, AdminWorld, serving_api

#: What "conforms" means here: no server error, and status, content type, headers and body as described.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 60


@pytest.fixture(scope="module")
def api_schema(shared_world: AdminWorld) -> Iterator[Any]:
    """The description served at /api/v1/openapi.json by the app of a synced world, loaded by schemathesis."""
    with serving_api(shared_world) as (_url, runtime):
        app = create_app(runtime)
        try:
            yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
        finally:
            app.state.writer.close()


def operations(schema: Any) -> list[Any]:
    """Every operation of the description."""
    return [result.ok() for result in schema.get_all_operations()]


def test_the_description_has_the_four_operations(api_schema: Any) -> None:
    """objectives, sources, a key result, and check-ins."""
    labels = sorted(operation.label for operation in operations(api_schema))
    assert labels == [
        "GET /api/v1/key-results/{kr_id}",
        "GET /api/v1/objectives",
        "GET /api/v1/sources",
        "POST /api/v1/key-results/{kr_id}/check-ins",
    ]


@pytest.mark.parametrize("token", [API_TOKEN, None], ids=["with-token", "without-token"])
def test_generated_requests_get_answers_the_description_allows(api_schema: Any, token: str | None) -> None:
    """Hypothesis-generated requests to every operation: each answer passes every check in CHECKS."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for operation in operations(api_schema):

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES if token else 10, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        conforms()


def test_generated_requests_for_configured_key_results_conform(api_schema: Any) -> None:
    """The same checks with the path naming KRs that exist (tasks, metric and count), so 200 and 201 answers are
    exercised too: generated check-in bodies for the metric KR are recorded or refused, never a 5xx."""
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    known = st.sampled_from(["ENG-1.1", "ENG-1.2", "eng-1.2", "ENG-1.3"])
    statuses: set[int] = set()
    for operation in operations(api_schema):
        if "{kr_id}" not in operation.path:
            continue

        @given(case=operation.as_strategy(), kr_id=known)
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case: Any, kr_id: str) -> None:
            case.path_parameters = {"kr_id": kr_id}
            response = case.call(headers=headers)
            statuses.add(response.status_code)
            case.validate_response(response, checks=CHECKS, headers=headers)

        conforms()
    assert {200, 201} <= statuses
