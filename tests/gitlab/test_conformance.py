"""Conformance with GitLab's own words: every webhook payload in ../shared/vendor-data/gitlab-webhooks is
normalized or deliberately ignored (never an exception), and every request the adapter makes follows the
reference pages in ../shared/vendor-data/gitlab-api-docs (a parameter table read from them). Skipped with a
reason when the vendor data is absent."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.gitlab.webhook import intake, interpret
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WebhookAccepted, WebhookIgnored, WriteKind
from syncd.simulators.gitlab import GitLabSimulator
from tests.conftest import VENDOR_DATA
from tests.gitlab import api_docs
from tests.gitlab.support import delivered, gitlab_config

FOLDER = VENDOR_DATA / "gitlab-webhooks"
CAPTURES = sorted(FOLDER.glob("*.json"))
#: `X-Gitlab-Event` of each example, as SOURCE.md lists them.
EVENTS = {
    "issue.json": "Issue Hook", "note_commit.json": "Note Hook", "note_issue.json": "Note Hook",
    "note_merge_request.json": "Note Hook", "note_snippet.json": "Note Hook",
    "merge_request.json": "Merge Request Hook", "group_merge_request.json": "Merge Request Hook",
    "service_merge_request.json": "Service Hook", "push.json": "Push Hook", "tag_push.json": "Tag Push Hook",
    "pipeline.json": "Pipeline Hook", "job.json": "Job Hook", "build.json": "Build Hook",
    "deployment.json": "Deployment Hook", "feature_flag.json": "Feature Flag Hook", "release.json": "Release Hook",
    "wiki_page.json": "Wiki Page Hook", "member.json": "Member Hook", "subgroup.json": "Subgroup Hook",
    "resource_access_token_group.json": "Resource Access Token Hook",
    "resource_access_token_project.json": "Resource Access Token Hook",
}  # fmt: skip


def _project(body: dict[str, Any]) -> str | None:
    project = body.get("project")
    return project.get("path_with_namespace") if isinstance(project, dict) else None


PROJECTS = sorted({p for path in CAPTURES if (p := _project(json.loads(path.read_bytes())))})
CONFIG = gitlab_config(projects=PROJECTS or ["acme/web"])


@pytest.mark.skipif(not CAPTURES, reason=f"no GitLab webhook examples at {FOLDER} (vendor data lives in ../shared)")
class TestVendorPayloads:
    """GitLab's (go-gitlab's) payload examples, delivered with their `X-Gitlab-Event`, token and signature."""

    def test_every_example_has_its_event_header(self) -> None:
        """The table covers every file (a new example must say which hook it is)."""
        assert {path.name for path in CAPTURES} == set(EVENTS)

    @pytest.mark.parametrize("path", CAPTURES, ids=lambda path: path.name)
    def test_each_example_is_normalized_or_ignored(self, path: Path) -> None:
        """Issue, merge request and note hooks give a snapshot or a fetch; the rest is ignored with a reason."""
        headers, body = delivered(path.read_bytes(), EVENTS[path.name])
        answer = intake(CONFIG, headers, body, now=datetime.now(UTC).timestamp())
        if isinstance(answer, WebhookIgnored):
            assert answer.reason
            assert path.name not in ("issue.json", "merge_request.json", "note_issue.json", "note_merge_request.json")
            return
        assert isinstance(answer, WebhookAccepted)
        effects = interpret(CONFIG, answer.event, body)
        assert effects.snapshots or effects.refetch or effects.removed

    def test_the_examples_read_as_people_meant_them(self) -> None:
        """The open issue with an assignee is open; the note on a closed issue reads it as done."""
        states = {}
        for name in ("issue.json", "note_issue.json", "note_merge_request.json"):
            headers, body = delivered((FOLDER / name).read_bytes(), EVENTS[name])
            accepted = intake(CONFIG, headers, body, now=datetime.now(UTC).timestamp())
            assert isinstance(accepted, WebhookAccepted)
            (snapshot,) = interpret(CONFIG, accepted.event, body).snapshots
            states[name] = (snapshot.external_id, snapshot.state.value)
        assert states == {
            "issue.json": ("gitlabhq/gitlab-test#23", "open"),
            "note_issue.json": ("gitlab-org/gitlab-test#17", "done"),
            "note_merge_request.json": ("gitlab-org/gitlab-test!1", "open"),
        }


@pytest.mark.skipif(not api_docs.DOCS.is_dir(), reason=f"no GitLab reference pages at {api_docs.DOCS}")
class TestRequestsFollowTheReferencePages:
    """Every request the adapter makes, through every client call, against the documented parameter table."""

    def test_the_table_holds_the_endpoints_syncd_calls(self) -> None:
        """The pages yield the list, item, note and hook endpoints, with the polling parameters."""
        table = {(e.method, e.template): e for e in api_docs.endpoints()}
        listing = table[("GET", "/projects/:id/issues")]
        assert {"updated_after", "order_by", "sort", "state", "per_page", "page"} <= set(listing.parameters)
        assert ("PUT", "/projects/:id/merge_requests/:merge_request_iid/notes/:note_id") in table
        assert "signing_token" in table[("POST", "/projects/:id/hooks")].parameters

    def test_a_request_off_the_pages_is_reported(self) -> None:
        """The check can fail: an undocumented parameter and an unknown endpoint are named."""
        sent = [
            api_docs.Sent("GET", "/projects/acme%2Fweb/issues", (("since", "x"),), None),
            api_docs.Sent("GET", "/projects/acme%2Fweb/issues", (("state", "everything"),), None),
            api_docs.Sent("GET", "/projects/acme%2Fweb/labels_everywhere", (), None),
        ]
        found, _ = api_docs.problems(api_docs.endpoints(), sent)
        assert len(found) == 3, found

    def test_every_call_of_the_adapter_follows_the_pages(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """Poll, reconcile, fetch, notes (create, edit, find, delete), hooks, checks, group listing."""
        issue = gitlab_sim.create_issue("acme/web", "Ship it", labels=["kr:ENG-1.1"])
        merge_request = gitlab_sim.create_merge_request("acme/web", "Ship it API", labels=["kr:ENG-1.1"])
        adapter = make_adapter(group="acme")
        now = datetime.now(UTC)
        for project in adapter.partitions():
            adapter.poll(adapter.reconcile(project, now).bookmark, project, now)
        adapter.fetch([issue, merge_request])
        for task in (issue, merge_request):
            first = adapter.apply(TaskRef("acme-gitlab", task), PushWrite(WriteKind.COMMENT, task, text="one"))
            adapter.apply(
                TaskRef("acme-gitlab", task), PushWrite(WriteKind.COMMENT, task, text="two", remote_id=first.remote_id)
            )
            gitlab_sim.state.add_note(gitlab_sim.item(task), f"late copy\n\n<!-- syncd:task=acme-gitlab:{task} -->")
            adapter.apply(TaskRef("acme-gitlab", task), PushWrite(WriteKind.COMMENT, task, text="three", unknown=True))
            assert len(gitlab_sim.notes(task)) == 1
        adapter.install_webhooks("http://127.0.0.1:9", dry_run=False)
        adapter.check_online("http://127.0.0.1:9")
        sent = [api_docs.Sent(r.method, r.path, r.query, r.body) for r in gitlab_sim.requests]
        found, uncopied = api_docs.problems(api_docs.endpoints(), sent)
        assert found == []
        assert uncopied == set(api_docs.UNCOPIED), "the endpoints judged elsewhere are exactly the uncopied ones"
        shapes = {(r.method, re.sub(r"/\d+", "/N", r.path.rpartition("%2F")[2])) for r in gitlab_sim.requests}
        wanted = {("POST", "web/issues/N/notes"), ("PUT", "web/merge_requests/N/notes/N"), ("POST", "web/hooks")}
        assert wanted | {("DELETE", "web/issues/N/notes/N"), ("GET", "web/merge_requests")} <= shapes
