"""The Asana simulator behaves like Asana towards the real `asana` SDK: envelopes, opt_fields, pagination,
sync tokens, /batch, webhooks with the handshake and signatures, faults and the request log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asana
import httpx
import pytest
from asana.rest import ApiException
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from urllib3.util.retry import Retry

from syncd.core.signatures import hmac_sha256_hex
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.kit.server import BackgroundServer
from tests.support.asana_sim import TOKEN, AsanaWorld


def sdk(sim: AsanaSimulator, token: str = TOKEN) -> asana.ApiClient:
    """The real SDK pointed at the simulator."""
    configuration = asana.Configuration()
    configuration.host = sim.base_url
    configuration.access_token = token
    # No SDK retries: these tests look at each answer the simulator gives.
    configuration.retry_strategy = Retry(
        total=0, status_forcelist=(), respect_retry_after_header=False, raise_on_status=False
    )
    return asana.ApiClient(configuration)


def full(call: Any, *args: Any) -> dict[str, Any]:
    """Call an SDK method for the whole JSON payload."""
    body: dict[str, Any] = call(*args, full_payload=True)
    return body


class Target:
    """A webhook target: echoes the handshake secret (unless told not to) and keeps what it receives."""

    def __init__(self, *, echo: bool = True, status: int = 200) -> None:
        self.echo, self.status = echo, status
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.server = BackgroundServer(Starlette(routes=[Route("/hook", self._hook, methods=["POST"])]))

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        self.received.append((dict(request.headers), body))
        secret = request.headers.get("x-hook-secret")
        if secret:
            return Response(status_code=200, headers={"X-Hook-Secret": secret} if self.echo else {})
        return Response(status_code=self.status)


@pytest.fixture
def target() -> Iterator[Target]:
    """A running webhook target."""
    hook_target = Target()
    hook_target.server.start()
    yield hook_target
    hook_target.server.stop()


class TestReads:
    """Reads answer in Asana's envelopes, honour opt_fields and paginate."""

    def test_a_task_read_returns_only_the_fields_asked_for(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """`opt_fields` selects nested fields; `gid` is always there."""
        task = asana_sim.create_task("Ship", project=asana_world.web, tags=["kr:ENG-1.1"])
        opts = {"opt_fields": "name,tags.name,memberships.section.name"}
        data = asana.TasksApi(sdk(asana_sim)).get_task(task.gid, opts)
        assert data == {
            "gid": task.gid,
            "name": "Ship",
            "tags": [{"gid": task.tags[0], "name": "kr:ENG-1.1"}],
            "memberships": [{"section": {"gid": asana_world.section(asana_world.web, "To do"), "name": "To do"}}],
        }

    def test_a_percent_field_shows_a_fraction_as_a_percentage(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """A percent custom field holds 0.25 and displays 25%."""
        task = asana_sim.create_task("Ship", project=asana_world.web, custom_fields={"KR progress": 0.25})
        field = next(f for f in asana_sim.task(task.gid)["custom_fields"] if f["name"] == "KR progress")
        assert (field["number_value"], field["display_value"], field["format"]) == (0.25, "25%", "percentage")

    def test_lists_page_with_next_page_and_refuse_unbounded_results(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """150 tasks come as 100 + 50 with an offset; without a limit Asana refuses so large a result."""
        for number in range(150):
            asana_sim.create_task(f"Task {number}", project=asana_world.web)
        api = asana.TasksApi(sdk(asana_sim))
        first = full(api.get_tasks_for_project, asana_world.web, {"limit": 100})
        second = full(
            api.get_tasks_for_project, asana_world.web, {"limit": 100, "offset": first["next_page"]["offset"]}
        )
        assert (len(first["data"]), len(second["data"]), second["next_page"]) == (100, 50, None)
        with pytest.raises(ApiException) as refused:
            full(api.get_tasks_for_project, asana_world.web, {})
        assert refused.value.status == 400

    def test_a_wrong_token_is_refused_with_401(self, asana_sim: AsanaSimulator) -> None:
        """Asana answers 401 with an errors list."""
        with pytest.raises(ApiException) as refused:
            asana.UsersApi(sdk(asana_sim, token="wrong")).get_user("me", {})
        assert refused.value.status == 401
        assert json.loads(refused.value.body)["errors"][0]["message"] == "Not Authorized"


class TestEvents:
    """The Events API issues sync tokens and pages events."""

    def test_no_token_answers_412_with_a_token_that_then_yields_new_events(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """First call: 412 + sync; after a change, the token returns its compact events."""
        api = asana.EventsApi(sdk(asana_sim))
        with pytest.raises(ApiException) as first:
            full(api.get_events, asana_world.web, {})
        sync = json.loads(first.value.body)["sync"]
        task = asana_sim.create_task("Ship", project=asana_world.web)
        asana_sim.complete_task(task.gid)
        page = full(api.get_events, asana_world.web, {"sync": sync})
        changes = [
            (e["action"], e["resource"]["resource_type"], (e.get("change") or {}).get("field")) for e in page["data"]
        ]
        assert ("changed", "task", "completed") in changes
        assert ("added", "task", None) in changes
        assert page["has_more"] is False
        assert page["sync"] != sync

    def test_more_than_100_events_come_with_has_more(self, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> None:
        """A token is limited to 100 events per answer."""
        api = asana.EventsApi(sdk(asana_sim))
        with pytest.raises(ApiException) as first:
            full(api.get_events, asana_world.web, {})
        sync = json.loads(first.value.body)["sync"]
        for number in range(60):
            asana_sim.create_task(f"Task {number}", project=asana_world.web)
        page = full(api.get_events, asana_world.web, {"sync": sync})
        rest = full(api.get_events, asana_world.web, {"sync": page["sync"]})
        assert (len(page["data"]), page["has_more"], len(rest["data"]), rest["has_more"]) == (100, True, 20, False)

    def test_an_expired_token_answers_412_with_a_fresh_token(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """Tokens expire on demand, as Asana's do when they are too old."""
        api = asana.EventsApi(sdk(asana_sim))
        with pytest.raises(ApiException) as first:
            full(api.get_events, asana_world.web, {})
        sync = json.loads(first.value.body)["sync"]
        assert asana_sim.expire_sync_tokens(asana_world.web) >= 1
        with pytest.raises(ApiException) as expired:
            full(api.get_events, asana_world.web, {"sync": sync})
        assert expired.value.status == 412
        assert json.loads(expired.value.body)["sync"] not in {"", sync}


class TestBatch:
    """`POST /batch` answers each action as its own request."""

    def test_each_action_has_its_own_status_and_body(self, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> None:
        """A known task answers 200 with the fields asked for; an unknown one 404."""
        task = asana_sim.create_task("Ship", project=asana_world.web)
        actions = [
            {"method": "get", "relative_path": f"/tasks/{task.gid}", "options": {"fields": ["name", "completed"]}},
            {"method": "get", "relative_path": "/tasks/404404"},
        ]
        results = full(asana.BatchAPIApi(sdk(asana_sim)).create_batch_request, {"data": {"actions": actions}}, {})[
            "data"
        ]
        assert results[0] == {
            "status_code": 200,
            "headers": {},
            "body": {"data": {"gid": task.gid, "name": "Ship", "completed": False}},
        }
        assert results[1]["status_code"] == 404

    def test_more_than_ten_actions_are_refused(self, asana_sim: AsanaSimulator) -> None:
        """Asana caps a batch at 10 actions."""
        actions = [{"method": "get", "relative_path": "/users/me"}] * 11
        with pytest.raises(ApiException) as refused:
            full(asana.BatchAPIApi(sdk(asana_sim)).create_batch_request, {"data": {"actions": actions}}, {})
        assert refused.value.status == 400


class TestWebhooks:
    """Webhooks handshake on creation, then deliver signed, batched compact events."""

    def test_creation_handshakes_and_deliveries_are_signed_with_the_secret(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, target: Target
    ) -> None:
        """The target sees X-Hook-Secret first; later bodies carry its HMAC in X-Hook-Signature."""
        body = {"data": {"resource": asana_world.web, "target": f"{target.server.url}/hook"}}
        created = full(asana.WebhooksApi(sdk(asana_sim)).create_webhook, body, {})
        secret = created["X-Hook-Secret"]
        assert target.received[0][0]["x-hook-secret"] == secret
        asana_sim.create_task("Ship", project=asana_world.web)
        assert asana_sim.deliver_webhooks() == 1
        headers, delivered = target.received[-1]
        assert headers["x-hook-signature"] == hmac_sha256_hex(secret, delivered)
        assert {e["action"] for e in json.loads(delivered)["events"]} == {"added"}

    def test_a_target_that_does_not_echo_the_secret_gets_no_webhook(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """Creation fails with 400 and nothing is registered."""
        silent = Target(echo=False)
        silent.server.start()
        try:
            body = {"data": {"resource": asana_world.web, "target": f"{silent.server.url}/hook"}}
            with pytest.raises(ApiException) as refused:
                full(asana.WebhooksApi(sdk(asana_sim)).create_webhook, body, {})
        finally:
            silent.server.stop()
        assert refused.value.status == 400
        assert asana_sim.webhooks() == []

    def test_failed_deliveries_are_retried_dropped_ones_are_lost_and_heartbeats_are_empty(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, target: Target
    ) -> None:
        """A 500 keeps events queued for the next round; a dropped delivery never arrives."""
        full(
            asana.WebhooksApi(sdk(asana_sim)).create_webhook,
            {"data": {"resource": asana_world.web, "target": f"{target.server.url}/hook"}},
            {},
        )
        target.status = 500
        asana_sim.create_task("First", project=asana_world.web)
        assert (asana_sim.deliver_webhooks(), asana_sim.pending_events()) == (0, 2)
        target.status = 200
        assert (asana_sim.deliver_webhooks(), asana_sim.pending_events()) == (1, 0)
        asana_sim.drop_deliveries(1)
        asana_sim.create_task("Lost", project=asana_world.web)
        received = len(target.received)
        assert asana_sim.deliver_webhooks() == 1
        assert len(target.received) == received
        assert asana_sim.send_heartbeat() == 1
        assert json.loads(target.received[-1][1]) == {"events": []}


class TestFaultsAndLog:
    """Fault knobs answer like Asana under load; the log records every request."""

    def test_throttled_requests_get_429_with_retry_after_and_early_retries_are_counted(
        self, asana_sim: AsanaSimulator
    ) -> None:
        """A request inside the announced wait counts as early."""
        asana_sim.faults.throttle(1, retry_after=30)
        api = asana.UsersApi(sdk(asana_sim))
        with pytest.raises(ApiException) as limited:
            api.get_user("me", {})
        assert (limited.value.status, limited.value.headers["Retry-After"]) == (429, "30")
        api.get_user("me", {})
        assert asana_sim.faults.early_requests == 1
        assert [(r.path, r.status, r.retry_after) for r in asana_sim.requests] == [
            ("/users/me", 429, 30.0),
            ("/users/me", 200, None),
        ]

    def test_a_rate_window_refuses_requests_past_its_count(self, asana_sim: AsanaSimulator) -> None:
        """Two per minute: the third request is answered 429."""
        asana_sim.faults.limit_rate(2, per_seconds=60)
        api = asana.UsersApi(sdk(asana_sim))
        api.get_user("me", {})
        api.get_user("me", {})
        with pytest.raises(ApiException) as limited:
            api.get_user("me", {})
        assert limited.value.status == 429
        assert int(limited.value.headers["Retry-After"]) >= 1

    def test_server_errors_on_demand(self, asana_sim: AsanaSimulator) -> None:
        """`fail` answers the next matching requests with a 5xx."""
        asana_sim.faults.fail(1, status=503, path="^/users")
        with pytest.raises(ApiException) as failed:
            asana.UsersApi(sdk(asana_sim)).get_user("me", {})
        assert failed.value.status == 503

    def test_a_held_write_waits_at_its_gate_and_a_dropped_one_is_never_applied(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld
    ) -> None:
        """`hold` keeps a comment write until the test drops it (502, no comment) or releases it (201, one comment)."""
        task = asana_sim.create_task("Ship", project=asana_world.web)
        url = f"{asana_sim.base_url}/tasks/{task.gid}/stories"
        headers = {"Authorization": f"Bearer {TOKEN}"}
        for outcome in ("drop", "release"):
            gate = asana_sim.faults.hold(method="POST", path="/stories$")
            with ThreadPoolExecutor(1) as pool:
                answer = pool.submit(httpx.post, url, json={"data": {"text": outcome}}, headers=headers, timeout=10)
                assert gate.arrived.wait(10)
                assert asana_sim.comments(task.gid) == []  # held: not applied yet
                if outcome == "drop":
                    gate.drop()
                else:
                    gate.release()
                status = answer.result().status_code
            assert status == (502 if outcome == "drop" else 201)
        assert [c["text"] for c in asana_sim.comments(task.gid)] == ["release"]
        assert gate.answered.is_set()


class TestStoriesAndViews:
    """Comments are rich text; people can look at a task with its comments."""

    def test_comment_html_must_be_wrapped_in_body(self, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> None:
        """Rich text outside `<body>` is refused; inside, `text` is its plain text."""
        task = asana_sim.create_task("Ship", project=asana_world.web)
        api = asana.StoriesApi(sdk(asana_sim))
        with pytest.raises(ApiException) as refused:
            api.create_story_for_task({"data": {"html_text": "<strong>50%</strong>"}}, task.gid, {})
        assert refused.value.status == 400
        story = api.create_story_for_task(
            {"data": {"html_text": "<body><strong>50%</strong> done</body>"}}, task.gid, {}
        )
        assert story["text"] == "50% done"

    def test_the_task_view_shows_fields_and_comments(self, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> None:
        """`/_sim/tasks/{gid}` is readable text (JSON with ?format=json)."""
        task = asana_sim.create_task(
            "Ship", project=asana_world.web, tags=["kr:ENG-1.1"], custom_fields={"KR progress": 0.5}
        )
        asana_sim.add_comment(task.gid, "Progress: 50%")
        text = httpx.get(f"{asana_sim.url}/_sim/tasks/{task.gid}").text
        for shown in ("Ship [open]", "tags: kr:ENG-1.1", "field KR progress: 50%", "    Progress: 50%"):
            assert shown in text
        as_json = httpx.get(f"{asana_sim.url}/_sim/tasks/{task.gid}", params={"format": "json"}).json()
        assert [s["text"] for s in as_json["stories"] if s["type"] == "comment"] == ["Progress: 50%"]
