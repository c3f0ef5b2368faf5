"""The GitLab simulator as GitLab answers: token auth, offset pages with `x-*` headers and `Link`, `RateLimit-*`
headers, the note-creation limit, and project hooks whose deliveries syncd's own intake verifies."""

from __future__ import annotations

import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.gitlab.webhook import intake
from syncd.ports import WebhookAccepted
from syncd.simulators.gitlab import GitLabSimulator
from syncd.simulators.kit.server import BackgroundServer
from tests.gitlab.support import SECRET, SIGNING_TOKEN, TOKEN, gitlab_config

API = "/api/v4/projects/acme%2Fweb"


def test_offset_pages_carry_gitlabs_headers(gitlab_sim: GitLabSimulator) -> None:
    """`x-page`, `x-per-page`, `x-total`, `x-total-pages`, `x-next-page`, `x-prev-page` and `Link`."""
    for i in range(5):
        gitlab_sim.create_issue("acme/web", f"T{i}", emit=False)
    answer = httpx.get(gitlab_sim.url + API + "/issues", params={"per_page": 2, "page": 2},
                       headers={"PRIVATE-TOKEN": TOKEN})  # fmt: skip
    headers = answer.headers
    assert [headers[h] for h in ("x-page", "x-per-page", "x-total", "x-total-pages", "x-next-page", "x-prev-page")] == [
        "2", "2", "5", "3", "3", "1",
    ]  # fmt: skip
    assert 'rel="next"' in headers["link"]
    assert "acme%2Fweb" in headers["link"]
    assert int(headers["ratelimit-remaining"]) < int(headers["ratelimit-limit"])
    assert len(answer.json()) == 2


def test_no_token_is_401_and_logged(gitlab_sim: GitLabSimulator) -> None:
    """Without `PRIVATE-TOKEN`: 401 in GitLab's words, and the request is in the log."""
    answer = httpx.get(gitlab_sim.url + API + "/issues")
    assert (answer.status_code, answer.json()) == (401, {"message": "401 Unauthorized"})
    assert gitlab_sim.requests[-1].status == 401


def test_note_creations_beyond_the_limit_are_429(gitlab_sim: GitLabSimulator) -> None:
    """Three a minute allowed: the fourth is answered 429 with Retry-After."""
    gitlab_sim.limit_note_creations(3)
    gitlab_sim.create_issue("acme/web", "Busy")
    statuses = [
        httpx.post(gitlab_sim.url + API + "/issues/1/notes", json={"body": f"n{i}"}, headers={"PRIVATE-TOKEN": TOKEN})
        for i in range(4)
    ]
    assert [s.status_code for s in statuses] == [201, 201, 201, 429]
    assert int(statuses[-1].headers["retry-after"]) >= 1


def test_hook_deliveries_carry_the_token_and_a_signature_syncd_verifies(gitlab_sim: GitLabSimulator) -> None:
    """A hook with both tokens: the delivery of a close passes the adapter's intake as `issue.close`."""
    received: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        received.append(({k.lower(): v for k, v in request.headers.items()}, await request.body()))
        return Response(status_code=200)

    server = BackgroundServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])]))
    url = server.start()
    try:
        settings = {"url": url + "/hook", "token": SECRET, "signing_token": SIGNING_TOKEN, "issues_events": True}
        gitlab_sim.state.add_hook(gitlab_sim.state.project("acme/web"), settings)
        ref = gitlab_sim.create_issue("acme/web", "Ship it", labels=["kr:ENG-1.1"])
        gitlab_sim.close(ref)
        assert gitlab_sim.wait_for_deliveries()
    finally:
        server.stop()
    headers, body = received[-1]
    assert (headers["x-gitlab-event"], headers["x-gitlab-token"]) == ("Issue Hook", SECRET)
    assert headers["idempotency-key"] == headers["webhook-id"]
    answer = intake(gitlab_config(), headers, body, now=time.time())
    assert isinstance(answer, WebhookAccepted)
    assert answer.event == "issue.close"


class TestGraphQL:
    """`POST /api/graphql`: a group's custom fields, `workItemUpdate` on issues only, GitLab's error shapes."""

    FIELDS = 'query { group(fullPath: "acme") { customFields(active: true) { nodes { name fieldType } } } }'
    UPDATE = """mutation($input: WorkItemUpdateInput!) { workItemUpdate(input: $input) { workItem { id } errors } }"""

    @staticmethod
    def _post(sim: GitLabSimulator, query: str, variables: dict[str, object] | None = None,
              token: str = TOKEN) -> httpx.Response:  # fmt: skip
        payload = {"query": query, "variables": variables or {}}
        return httpx.post(sim.url + "/api/graphql", json=payload, headers={"Authorization": f"Bearer {token}"})

    def _update(self, sim: GitLabSimulator, work_item: str, field: str, **value: object) -> httpx.Response:
        widget = [{"customFieldId": field} | value]
        return self._post(sim, self.UPDATE, {"input": {"id": work_item, "customFieldsWidget": widget}})

    def test_active_fields_of_the_top_level_group_are_listed(self, gitlab_sim: GitLabSimulator) -> None:
        """Active ones only, with their types; a subgroup sees its top-level group's; an unknown group is null."""
        gitlab_sim.create_custom_field("acme", "OKR progress")
        gitlab_sim.create_custom_field("acme", "Old", active=False)
        nodes = self._post(gitlab_sim, self.FIELDS).json()["data"]["group"]["customFields"]["nodes"]
        assert nodes == [{"name": "OKR progress", "fieldType": "NUMBER"}]
        sub = self._post(gitlab_sim, self.FIELDS.replace('"acme"', '"acme/platform"')).json()
        assert sub["data"]["group"]["customFields"]["nodes"] == nodes
        assert self._post(gitlab_sim, self.FIELDS.replace('"acme"', '"nobody"')).json()["data"] == {"group": None}

    def test_work_item_update_sets_the_value_on_an_issue_and_refuses_a_merge_request(
        self, gitlab_sim: GitLabSimulator
    ) -> None:
        """An issue's work item takes the number; a merge request's id resolves to nothing (not a work item)."""
        field = gitlab_sim.create_custom_field("acme", "OKR progress")
        issue = gitlab_sim.create_issue("acme/web", "Ship it")
        merge_request = gitlab_sim.create_merge_request("acme/web", "Ship it")
        answer = self._update(gitlab_sim, f"gid://gitlab/WorkItem/{gitlab_sim.item(issue).id}", field, numberValue=42)
        assert answer.json()["data"]["workItemUpdate"]["errors"] == []
        assert gitlab_sim.field_value(issue, "OKR progress") == 42.0
        refused = self._update(gitlab_sim, f"gid://gitlab/WorkItem/{gitlab_sim.item(merge_request).id}", field,
                               numberValue=42).json()  # fmt: skip
        assert refused["data"] == {"workItemUpdate": None}
        assert "does not exist or you don't have permission" in refused["errors"][0]["message"]

    def test_a_wrong_value_kind_is_a_payload_error_and_a_bad_document_a_top_level_one(
        self, gitlab_sim: GitLabSimulator
    ) -> None:
        """textValue on a number field: `errors` in the payload; an unknown field name: validation `errors`."""
        field = gitlab_sim.create_custom_field("acme", "OKR progress")
        issue = gitlab_sim.create_issue("acme/web", "Ship it")
        wrong = self._update(gitlab_sim, f"gid://gitlab/WorkItem/{gitlab_sim.item(issue).id}", field, textValue="x")
        assert wrong.json()["data"]["workItemUpdate"]["errors"] == ["Custom field OKR progress does not take textValue"]
        assert gitlab_sim.field_value(issue, "OKR progress") is None
        bad = self._post(gitlab_sim, 'query { group(fullPath: "acme") { weight } }').json()
        assert "Cannot query field 'weight'" in bad["errors"][0]["message"]

    def test_a_wrong_token_is_401_and_every_request_is_logged(self, gitlab_sim: GitLabSimulator) -> None:
        """401 `Invalid token`; the log holds both requests with their statuses, not in the REST log."""
        self._post(gitlab_sim, self.FIELDS)
        refused = self._post(gitlab_sim, self.FIELDS, token="wrong")
        assert (refused.status_code, refused.json()) == (401, {"errors": [{"message": "Invalid token"}]})
        assert [r.status for r in gitlab_sim.graphql_requests] == [200, 401]
        assert gitlab_sim.requests == []
