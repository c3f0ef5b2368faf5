"""The GitHub simulator's own behaviour, as tests and the sandbox rely on it (spoken to over plain HTTP)."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from syncd.simulators.github import GitHubSimulator
from tests.support.github_sim import GITHUB_TOKEN, GITHUB_WEBHOOK_SECRET, WebhookInbox, start_github_sim

AUTH = {"Authorization": f"token {GITHUB_TOKEN}"}


def hmac_hex(secret: str, body: bytes) -> str:
    """HMAC-SHA256 computed here, independently of the simulator's signer."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def api(sim: GitHubSimulator, method: str, path: str, **kwargs: object) -> httpx.Response:
    """One authenticated request to the simulator's REST root."""
    return httpx.request(method, f"{sim.api_url}{path}", headers=AUTH, **kwargs)  # type: ignore[arg-type]


class TestRest:
    """Issues, labels and pagination behave like GitHub's."""

    def test_link_header_pages_and_caps_per_page(self, github_sim: GitHubSimulator) -> None:
        """per_page is capped at 100; Link names next/last, then first/prev, with the query kept."""
        github_sim.seed_issues("acme/web", 230)
        first = api(github_sim, "GET", "/repos/acme/web/issues", params={"per_page": 500, "state": "all"})
        assert len(first.json()) == 100
        assert 'rel="next"' in first.headers["link"]
        assert "page=3" in first.headers["link"]
        assert "state=all" in first.headers["link"]
        last = api(github_sim, "GET", "/repos/acme/web/issues", params={"per_page": 100, "page": 3})
        assert len(last.json()) == 30
        assert 'rel="next"' not in last.headers["link"]
        assert 'rel="prev"' in last.headers["link"]

    def test_renaming_a_label_renames_it_on_issues(self, github_sim: GitHubSimulator) -> None:
        """PATCH /labels/{name} with new_name changes every issue's label; their updated_at stays."""
        number = github_sim.create_issue("acme/web", "task", labels=["kr:ENG-1.1"])
        before = github_sim.issue("acme/web", number)["updated_at"]
        answer = api(github_sim, "PATCH", "/repos/acme/web/labels/kr:ENG-1.1", json={"new_name": "kr:ENG-2.1"})
        assert answer.status_code == 200
        issue = github_sim.issue("acme/web", number)
        assert [label["name"] for label in issue["labels"]] == ["kr:ENG-2.1"]
        assert issue["updated_at"] == before

    def test_closing_through_rest_sets_state_reason(self, github_sim: GitHubSimulator) -> None:
        """PATCH state=closed with state_reason=not_planned closes it that way."""
        number = github_sim.create_issue("acme/web", "task")
        answer = api(
            github_sim,
            "PATCH",
            f"/repos/acme/web/issues/{number}",
            json={"state": "closed", "state_reason": "not_planned"},
        )
        assert (answer.json()["state"], answer.json()["state_reason"]) == ("closed", "not_planned")

    def test_unknown_paths_and_bad_credentials(self, github_sim: GitHubSimulator) -> None:
        """Unknown API paths are 404 with GitHub's body; a missing or wrong token is 401."""
        assert api(github_sim, "GET", "/nothing/here").json()["message"] == "Not Found"
        assert httpx.get(f"{github_sim.api_url}/user").status_code == 401
        assert httpx.get(f"{github_sim.api_url}/user", headers={"Authorization": "token nope"}).status_code == 401
        github_sim.clear_requests()

    def test_issue_view_for_the_sandbox(self, github_sim: GitHubSimulator) -> None:
        """GET /_sim/repos/{o}/{r}/issues/{n} shows the issue and its comments as text, or JSON."""
        number = github_sim.create_issue("acme/web", "Onboarding", labels=["kr:ENG-1.1"])
        github_sim.add_comment("acme/web", number, "ENG-1.1: 50%")
        text = httpx.get(f"{github_sim.url}/_sim/repos/acme/web/issues/{number}").text
        assert "#1 Onboarding" in text
        assert "labels: kr:ENG-1.1" in text
        assert "ENG-1.1: 50%" in text
        as_json = httpx.get(f"{github_sim.url}/_sim/repos/acme/web/issues/{number}", params={"format": "json"}).json()
        assert [c["body"] for c in as_json["comments"]] == ["ENG-1.1: 50%"]
        assert httpx.get(f"{github_sim.url}/_sim/repos/acme/web/issues/99").status_code == 404


class TestLimitsAndFaults:
    """Budget headers, 304s for free, the secondary write limit, and fault rules."""

    def test_etag_304_costs_nothing(self, github_sim: GitHubSimulator) -> None:
        """A matching If-None-Match answers 304 with the same ETag and leaves the budget alone."""
        first = api(github_sim, "GET", "/repos/acme/web/issues")
        remaining = first.headers["x-ratelimit-remaining"]
        again = httpx.get(
            f"{github_sim.api_url}/repos/acme/web/issues", headers={**AUTH, "If-None-Match": first.headers["etag"]}
        )
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["x-ratelimit-remaining"] == remaining

    def test_spent_budget_answers_403_until_reset(self, github_sim: GitHubSimulator) -> None:
        """With the budget at zero every request is a 403 with x-ratelimit-remaining: 0 and the reset time."""
        github_sim.rate_limit.set(remaining=1, reset_in=600)
        assert api(github_sim, "GET", "/user").status_code == 200
        refused = api(github_sim, "GET", "/user")
        assert refused.status_code == 403
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert int(refused.headers["x-ratelimit-reset"]) > 0
        assert "rate limit" in refused.json()["message"]

    def test_content_writes_past_the_minute_limit_are_refused(self) -> None:
        """More content writes than writes_per_minute get a secondary-limit 403 with Retry-After."""
        sim = start_github_sim(writes_per_minute=3)
        try:
            number = sim.create_issue("acme/web", "task")
            statuses = [
                api(sim, "POST", f"/repos/acme/web/issues/{number}/comments", json={"body": f"{i}"}).status_code
                for i in range(4)
            ]
            refused = api(sim, "POST", f"/repos/acme/web/issues/{number}/comments", json={"body": "again"})
        finally:
            sim.stop()
        assert statuses == [201, 201, 201, 403]
        assert int(refused.headers["retry-after"]) >= 1
        assert "secondary rate limit" in refused.json()["message"]

    def test_faults_match_method_path_and_count(self, github_sim: GitHubSimulator) -> None:
        """A rule hits only matching requests, as many times as asked, then stops."""
        github_sim.faults.server_error(2, status=503, method="GET", path="/repos/*/issues")
        assert api(github_sim, "GET", "/user").status_code == 200
        assert [api(github_sim, "GET", "/repos/acme/web/issues").status_code for _ in range(3)] == [503, 503, 200]
        github_sim.faults.rate_limit(1, retry_after=7)
        limited = api(github_sim, "GET", "/user")
        assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
        github_sim.clear_requests()

    def test_fractional_faults_are_reproducible(self, github_sim: GitHubSimulator) -> None:
        """probability=0.5 fails about half the requests, the same ones on every run (seeded)."""
        github_sim.faults.server_error(None, probability=0.5)
        statuses = [api(github_sim, "GET", "/user").status_code for _ in range(40)]
        github_sim.faults.clear()
        assert 10 <= statuses.count(502) <= 30
        github_sim.clear_requests()

    def test_a_rate_window_refuses_past_its_count_and_counts_requests_that_did_not_wait(
        self, github_sim: GitHubSimulator
    ) -> None:
        """`limit_rate(2)` answers the third request 429 with Retry-After; coming back sooner counts as early."""
        github_sim.faults.limit_rate(2, per_seconds=60)
        statuses = [api(github_sim, "GET", "/user") for _ in range(3)]
        again = api(github_sim, "GET", "/user")
        early = github_sim.faults.early_requests
        github_sim.faults.clear()
        assert [r.status_code for r in statuses] == [200, 200, 429]
        assert int(statuses[2].headers["retry-after"]) >= 1
        assert (again.status_code, early) == (429, 1)
        github_sim.clear_requests()


class TestWebhookSending:
    """Changes are delivered signed, in order, to hooks and to targets set by tests; some can be lost."""

    def test_hook_created_over_rest_gets_signed_events(self, github_sim: GitHubSimulator) -> None:
        """A hook for `issues` receives ping, then issues events only, signed with its secret."""
        inbox = WebhookInbox()
        inbox.start()
        try:
            config = {"url": inbox.url, "content_type": "json", "secret": "hook-secret"}
            assert (
                api(
                    github_sim, "POST", "/repos/acme/web/hooks", json={"config": config, "events": ["issues"]}
                ).status_code
                == 201
            )
            number = github_sim.create_issue("acme/web", "task", labels=["new-label"])
            github_sim.add_comment("acme/web", number, "not subscribed")
            received = inbox.take(github_sim)
        finally:
            inbox.stop()
        assert [d.event for d in received] == ["ping", "issues"]
        opened = received[1]
        assert opened.headers["x-hub-signature-256"] == f"sha256={hmac_hex('hook-secret', opened.body)}"
        assert json.loads(opened.body)["action"] == "opened"
        assert len(opened.headers["x-github-delivery"]) == 36

    def test_dropped_deliveries_never_arrive(self, github_sim: GitHubSimulator, github_inbox: WebhookInbox) -> None:
        """drop_deliveries(1) loses exactly the next delivery (logged as dropped)."""
        github_sim.drop_deliveries(1)
        github_sim.create_issue("acme/web", "lost")
        github_sim.create_issue("acme/web", "seen")
        received = [json.loads(d.body)["issue"]["title"] for d in github_inbox.take(github_sim) if d.event == "issues"]
        assert received == ["seen"]
        assert [d.dropped for d in github_sim.deliveries if d.event == "issues"] == [True, False]
        assert all(d.headers.get("X-Hub-Signature-256") for d in github_sim.deliveries)
        assert GITHUB_WEBHOOK_SECRET not in str(github_sim.deliveries[0].headers)
