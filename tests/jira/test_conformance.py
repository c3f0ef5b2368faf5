"""Every request the Jira adapter makes, in each of its operations, matches an operation of Jira Cloud's OpenAPI
description (`../shared/vendor-data/jira-openapi/swagger-v3.v3.json`; skipped with a reason when absent). The
admin-webhook API is not in that file and is checked against the shape issue 18 states. The file is REST v3 only:
a Data Center run's v2 requests are checked against their v3 twins (see `tests.jira.openapi`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.jira.render import dump_document
from syncd.core.model import TaskRef
from syncd.ports import PushWrite, WriteKind
from syncd.simulators.jira import JiraSimulator
from syncd.simulators.jira.app import LoggedRequest
from tests.jira.openapi import JIRA_SPEC, JiraSpec
from tests.jira.support import FLAVOURS

pytestmark = pytest.mark.skipif(not JIRA_SPEC.is_file(), reason=f"Jira's OpenAPI description is absent ({JIRA_SPEC})")
DOC = dump_document(
    {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "50%"}]}]}
)


class TestEveryOperationConforms:
    """Poll, reconcile, fetch, comment (create, edit, find again), field, webhooks install, check --online."""

    @pytest.mark.parametrize("deployment", FLAVOURS, indirect=True)
    def test_all_requests_match_the_description(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """The whole request log of one run through every operation has no finding."""
        jira_sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"], fields={"customfield_10016": 3})
        adapter = make_adapter(progress_field="customfield_10050", points_field=None)
        now = datetime.now(UTC)
        listing = adapter.reconcile("ENG", now)
        adapter.poll(listing.bookmark, "ENG", now)
        adapter.fetch(["ENG-1", "ENG-404"])
        task = TaskRef("acme-jira", "ENG-1")
        first = adapter.apply(task, PushWrite(WriteKind.COMMENT, "ENG-1", text=DOC))
        adapter.apply(task, PushWrite(WriteKind.COMMENT, "ENG-1", text=DOC, remote_id=first.remote_id))
        adapter.apply(task, PushWrite(WriteKind.COMMENT, "ENG-1", text=DOC))
        adapter.apply(task, PushWrite(WriteKind.COMMENT, "ENG-1", text=DOC, unknown=True))
        adapter.apply(task, PushWrite(WriteKind.FIELD, "ENG-1", number=0.5))
        adapter.install_webhooks("https://syncd.acme.example", dry_run=False)
        adapter.check_online("https://syncd.acme.example")
        paths = {(r.method, r.path) for r in jira_sim.requests}
        assert ("POST", jira_sim.site.search_path) in paths
        assert ("GET", f"{jira_sim.site.api}/issue/ENG-1/editmeta") in paths
        assert ("POST", "/rest/webhooks/1.0/webhook") in paths
        assert listing.snapshots[0].points == 3.0
        assert JiraSpec().problems(jira_sim.requests) == []

    def test_a_request_outside_the_description_is_reported(self) -> None:
        """The checker is not blind: an unknown path and an undeclared query parameter are findings."""
        bad = [
            LoggedRequest(0.0, "GET", "/rest/api/3/no-such-thing", (), None, 404),
            LoggedRequest(0.0, "PUT", "/rest/api/3/issue/ENG-1", (("notify", "false"),), {"fields": {}}, 204),
            LoggedRequest(0.0, "POST", "/rest/webhooks/1.0/webhook", (), {"url": "x"}, 201),
            LoggedRequest(0.0, "GET", "/rest/api/2/search", (("startFrom", "0"),), None, 200),
        ]
        problems = JiraSpec().problems(bad)
        assert any("no path of the description matches" in line for line in problems)
        assert any("'notify' is not declared" in line for line in problems)
        assert any("no JQL filter" in line for line in problems)
        assert any(
            "'startFrom' is not declared" in line and "v3 twin of /rest/api/2/search" in line for line in problems
        )
