"""The Linear simulator answers as Linear does where syncd depends on it: complexity priced by what a query asks
for, both budgets in the headers, a spent budget refused `RATELIMITED`, unknown tokens and invalid documents
refused, client-chosen comment ids kept taken, attachments upserted by url, issues newest change first."""

from __future__ import annotations

from typing import Any

import httpx
from graphql import parse

from adapters.linear.documents import document
from syncd.simulators.linear import LinearSimulator
from syncd.simulators.linear.complexity import complexity
from tests.linear.support import TOKEN


def post(
    sim: LinearSimulator, query: str, variables: dict[str, Any] | None = None, token: str = TOKEN
) -> httpx.Response:
    """One GraphQL request as a client sends it."""
    body = {"query": query, "variables": variables or {}}
    return httpx.post(f"{sim.url}/graphql", json=body, headers={"Authorization": token}, timeout=10)


class TestComplexity:
    """Each scalar 0.1, each object 1, a connection's contents times its `first` (50 without one)."""

    def test_prices_follow_linears_rules(self) -> None:
        """`viewer { id name }` is 1 + 0.2 -> 2; ten teams of two scalars 1 + 10 x (1 + 0.2) = 13; fifty: 61."""
        assert complexity(parse("query { viewer { id name } }"), {}) == 2
        teams = "query { teams(first: 10) { nodes { id key } } }"
        assert complexity(parse(teams), {}) == 13
        unpaged = complexity(parse("query { teams { nodes { id key } } }"), {})
        assert unpaged == 61

    def test_a_variable_first_is_read(self) -> None:
        """syncd's listing page of 100 costs twice the poll page of 50, near 5,000 points."""
        issues = parse(document("issues"))
        listing, poll = (complexity(issues, {"first": size}) for size in (100, 50))
        assert 4_000 < listing < 6_000
        assert abs(listing - 2 * poll) <= 2


class TestAnswers:
    """Budgets, refusals and the shapes syncd reads."""

    def test_every_answer_tells_both_budgets(self, linear_sim: LinearSimulator) -> None:
        """Requests and complexity limits, what is left, resets in epoch ms, and the query's cost."""
        answer = post(linear_sim, "query Q { viewer { id } }")
        assert answer.status_code == 200
        headers = answer.headers
        assert (headers["x-ratelimit-requests-limit"], headers["x-ratelimit-requests-remaining"]) == ("5000", "4999")
        assert int(headers["x-ratelimit-complexity-remaining"]) == 3_000_000 - int(headers["x-complexity"])
        assert int(headers["x-ratelimit-requests-reset"]) > 1_700_000_000_000

    def test_a_spent_request_budget_is_ratelimited(self) -> None:
        """Two requests an hour: the third is HTTP 400 with `extensions.code` RATELIMITED and 0 left."""
        with LinearSimulator(token=TOKEN, requests_limit=2) as sim:
            codes = [post(sim, "query Q { viewer { id } }") for _ in range(3)]
        assert [a.status_code for a in codes] == [200, 200, 400]
        assert codes[2].json()["errors"][0]["extensions"]["code"] == "RATELIMITED"
        assert codes[2].headers["x-ratelimit-requests-remaining"] == "0"

    def test_an_unknown_token_and_an_invalid_document_are_refused(self, linear_sim: LinearSimulator) -> None:
        """AUTHENTICATION_ERROR for a stranger; a field Linear lacks fails validation, nothing runs."""
        stranger = post(linear_sim, "query Q { viewer { id } }", token="lin_api_stranger")
        assert stranger.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"
        invalid = post(linear_sim, "query Q { viewer { id storyPoints } }")
        assert invalid.status_code == 400
        assert "storyPoints" in invalid.json()["errors"][0]["message"]

    def test_a_comment_id_stays_taken(self, linear_sim: LinearSimulator) -> None:
        """The same client-chosen id twice: the second create is refused as existing, even after a deletion."""
        key = linear_sim.create_issue("ENG", "Ship it")
        create = document("comment_create")
        chosen = "6b1d2f2e-8a4b-5c3d-9e1f-0a1b2c3d4e5f"
        variables = {"input": {"id": chosen, "issueId": key, "body": "hi"}}
        assert post(linear_sim, create, variables).json()["data"]["commentCreate"]["comment"]["id"] == chosen
        linear_sim.delete_comment(chosen)
        again = post(linear_sim, create, variables).json()
        assert "already exists" in again["errors"][0]["message"]
        assert linear_sim.comments(key) == []

    def test_issues_come_newest_change_first_and_archived_only_when_asked(self, linear_sim: LinearSimulator) -> None:
        """orderBy updatedAt: the last changed first; an archived issue only with includeArchived."""
        first = linear_sim.create_issue("ENG", "First")
        second = linear_sim.create_issue("ENG", "Second")
        linear_sim.set_state(first, "started")
        linear_sim.archive_issue(second)
        query = "query Q($a: Boolean) { issues(orderBy: updatedAt, includeArchived: $a) { nodes { identifier } } }"
        listed = [[n["identifier"] for n in post(linear_sim, query, {"a": a}).json()["data"]["issues"]["nodes"]]
                  for a in (True, False)]  # fmt: skip
        assert listed == [[second, first], [first]]
