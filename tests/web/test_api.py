"""The read API over real HTTP: bearer token, the shapes of `syncd status --json`, KR detail, check-ins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from syncd.config import views
from syncd.config.models import ObjectiveConfig
from syncd.core.model import ObjectiveView
from tests.support.admin_world import API_TOKEN, CYCLE, ENV, AdminWorld, serving_api
from tests.support.daemon import running_daemon

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def api(world: AdminWorld) -> Iterator[str]:
    """The API's base URL, served by `create_app` for a synced world of this test alone."""
    with serving_api(world) as (url, _runtime):
        yield url


@pytest.fixture(scope="module")
def shared_api(shared_world: AdminWorld) -> Iterator[str]:
    """The API of the module's shared world, for tests that record nothing."""
    with serving_api(shared_world) as (url, _runtime):
        yield url


def status_json(world: AdminWorld) -> dict[str, Any]:
    """What `syncd status --json` prints."""
    result = world.syncd("status", "--json")
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def without_clock(document: Any) -> Any:
    """The document without the values that move with the clock between two reads."""
    if isinstance(document, dict):
        return {
            k: without_clock(v) for k, v in document.items() if k not in ("expected", "age_seconds", "generated_at")
        }
    if isinstance(document, list):
        return [without_clock(item) for item in document]
    return document


def count_okr_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The objective ids `build_okr` turns into views from now on: one entry per build of the one-objective config."""
    built: list[str] = []
    original = views.objective_view

    def counting(objective: ObjectiveConfig) -> ObjectiveView:
        built.append(objective.id)
        return original(objective)

    monkeypatch.setattr(views, "objective_view", counting)
    return built


class TestToken:
    """Every route answers only to `Authorization: Bearer <server.api_token>`."""

    @pytest.mark.parametrize("path", ["/api/v1/objectives", "/api/v1/sources", "/api/v1/key-results/ENG-1.1"])
    def test_without_a_token_is_401_with_a_bearer_challenge(self, shared_api: str, path: str) -> None:
        response = httpx.get(shared_api + path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"detail": "no bearer token: send Authorization: Bearer <server.api_token>"}

    def test_a_wrong_token_is_401(self, shared_api: str) -> None:
        response = httpx.get(shared_api + "/api/v1/objectives", headers={"Authorization": "Bearer not-the-token"})
        assert response.status_code == 401
        assert "a wrong bearer token" in response.json()["detail"]
        assert API_TOKEN not in response.text

    def test_basic_auth_is_not_a_bearer_token(self, shared_api: str) -> None:
        response = httpx.get(shared_api + "/api/v1/objectives", auth=("admin", API_TOKEN))
        assert response.status_code == 401

    def test_without_api_token_configured_the_api_is_off_not_open(self, shared_world: AdminWorld) -> None:
        config = shared_world.config()
        config = config.model_copy(update={"server": config.server.model_copy(update={"api_token": None})})
        with serving_api(shared_world, config) as (url, _runtime):
            response = httpx.get(url + "/api/v1/objectives", headers=AUTH)
        assert response.status_code == 503
        assert "set server.api_token" in response.json()["detail"]

    def test_the_openapi_description_is_public_and_names_the_bearer_scheme(self, shared_api: str) -> None:
        response = httpx.get(shared_api + "/api/v1/openapi.json")
        assert response.status_code == 200
        document = response.json()
        assert set(document["paths"]) == {
            "/api/v1/objectives",
            "/api/v1/sources",
            "/api/v1/key-results/{kr_id}",
            "/api/v1/key-results/{kr_id}/check-ins",
        }
        assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


class TestReads:
    """Objectives, sources and KRs have the shapes and values of `syncd status --json`."""

    def test_objectives_equal_syncd_status_json(self, shared_world: AdminWorld, shared_api: str) -> None:
        response = httpx.get(shared_api + "/api/v1/objectives", headers=AUTH)
        assert response.status_code == 200
        assert without_clock(response.json()["objectives"]) == without_clock(status_json(shared_world)["objectives"])
        (objective,) = response.json()["objectives"]
        assert [kr["id"] for kr in objective["key_results"]] == ["ENG-1.1", "ENG-1.2", "ENG-1.3"]
        assert objective["key_results"][0]["amount"] == "1 of 3 tasks done"

    def test_sources_equal_syncd_status_json_with_freshness(self, shared_world: AdminWorld, shared_api: str) -> None:
        response = httpx.get(shared_api + "/api/v1/sources", headers=AUTH)
        assert response.status_code == 200
        (source,) = response.json()["sources"]
        assert (source["name"], source["kind"], source["last_error"]) == ("acme-github", "github", None)
        assert source["last_success_at"] is not None
        assert without_clock(response.json()["sources"]) == without_clock(status_json(shared_world)["sources"])

    def test_a_key_result_lists_its_linked_tasks_and_history(self, shared_api: str) -> None:
        response = httpx.get(shared_api + "/api/v1/key-results/eng-1.1", headers=AUTH)
        assert response.status_code == 200
        detail = response.json()
        assert detail["key_result"]["id"] == "ENG-1.1"
        assert detail["objective"] == "ENG-1"
        tasks = {task["external_id"]: task for task in detail["tasks"]}
        assert set(tasks) == {"acme/web#1", "acme/web#2", "acme/web#3"}
        assert tasks["acme/web#1"]["state"] == "done"
        assert tasks["acme/web#3"]["rule"] == "rule label 'onboarding'"
        (change,) = detail["check_ins"]
        assert (change["kind"], change["progress"], change["cause"]) == (
            "progress",
            pytest.approx(1 / 3),
            "linked tasks changed",
        )

    def test_a_key_result_read_turns_the_config_into_the_okr_model_once(
        self, shared_api: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The id check and the read share one OKR model."""
        built = count_okr_builds(monkeypatch)
        response = httpx.get(shared_api + "/api/v1/key-results/ENG-1.1", headers=AUTH)
        assert response.status_code == 200
        assert built == ["ENG-1"]

    def test_an_unknown_key_result_is_404_with_close_ids(self, shared_api: str) -> None:
        response = httpx.get(shared_api + "/api/v1/key-results/ENG-1.9", headers=AUTH)
        assert response.status_code == 404
        assert response.json() == {
            "detail": "no key result 'ENG-1.9' in the config; did you mean ENG-1.1, ENG-1.2, ENG-1.3?"
        }


class TestCheckIns:
    """`POST /api/v1/key-results/{id}/check-ins` records a metric value; refusals name the problem."""

    def test_a_check_in_moves_progress_history_and_status_at_once(self, world: AdminWorld, api: str) -> None:
        body = {"value": 4.5, "note": "weekly median"}
        response = httpx.post(api + "/api/v1/key-results/ENG-1.2/check-ins", json=body, headers=AUTH)
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["check_in"]["value"] == 4.5
        assert created["check_in"]["note"] == "weekly median"
        assert created["check_in"]["cause"] == "check-in (api)"
        assert (created["key_result"]["progress"], created["key_result"]["current"]) == (0.5, 4.5)
        detail = httpx.get(api + "/api/v1/key-results/ENG-1.2", headers=AUTH).json()
        assert [c["kind"] for c in detail["check_ins"]][-2:] == ["metric", "progress"]
        statuses = {kr["id"]: kr for o in status_json(world)["objectives"] for kr in o["key_results"]}
        assert statuses["ENG-1.2"]["percent"] == 50

    @pytest.mark.parametrize(
        ("kr", "body", "status", "words"),
        [
            ("ENG-1.1", {"value": 3}, 400, "ENG-1.1 measures tasks"),
            ("ENG-1.9", {"value": 3}, 404, "no key result 'ENG-1.9' in the config; did you mean"),
            ("ENG-1.2", {"value": "fast"}, 422, "valid number"),
            ("ENG-1.2", {"value": 3, "at": f"{CYCLE['start']}T00:00:00+00:01"}, 422, "outside ENG-1.2's cycle"),
            ("ENG-1.2", {"value": 3, "extra": 1}, 422, "Extra inputs are not permitted"),
        ],
        ids=["tasks-kr", "unknown-kr", "not-a-number", "before-cycle", "unknown-field"],
    )
    def test_refusals(self, shared_api: str, kr: str, body: dict[str, Any], status: int, words: str) -> None:
        response = httpx.post(f"{shared_api}/api/v1/key-results/{kr}/check-ins", json=body, headers=AUTH)
        assert response.status_code == status, response.text
        assert words in response.text
        history = httpx.get(shared_api + "/api/v1/key-results/ENG-1.2", headers=AUTH).json()["check_ins"]
        assert [c for c in history if c["kind"] == "metric"] == []

    def test_a_check_in_turns_the_config_into_the_okr_model_once(
        self, api: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The id check, the check-in's validation and recompute and the answer share one OKR model."""
        built = count_okr_builds(monkeypatch)
        response = httpx.post(api + "/api/v1/key-results/ENG-1.2/check-ins", json={"value": 3}, headers=AUTH)
        assert response.status_code == 201, response.text
        assert built == ["ENG-1"]

    def test_a_check_in_without_the_token_records_nothing(self, api: str) -> None:
        response = httpx.post(api + "/api/v1/key-results/ENG-1.2/check-ins", json={"value": 3})
        assert response.status_code == 401
        history = httpx.get(api + "/api/v1/key-results/ENG-1.2", headers=AUTH).json()["check_ins"]
        assert history == []


class TestThroughSyncdRun:
    """The same API served by a real `syncd run` process."""

    def test_read_and_check_in_through_the_daemon(self, world: AdminWorld) -> None:
        with running_daemon(world.config_path, env=ENV) as daemon:
            unauthorized = httpx.get(f"{daemon.url}/api/v1/objectives")
            created = httpx.post(
                f"{daemon.url}/api/v1/key-results/ENG-1.2/check-ins", json={"value": 3}, headers=AUTH, timeout=10
            )
            objectives = httpx.get(f"{daemon.url}/api/v1/objectives", headers=AUTH).json()["objectives"]
        assert unauthorized.status_code == 401
        assert created.status_code == 201, created.text
        assert created.json()["key_result"]["percent"] == 80
        krs = {kr["id"]: kr for kr in objectives[0]["key_results"]}
        assert krs["ENG-1.2"]["percent"] == 80
        assert without_clock(objectives) == without_clock(status_json(world)["objectives"])
