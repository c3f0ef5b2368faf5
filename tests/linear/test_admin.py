"""Admin tools for Linear: `webhooks install` creates one webhook per team and repairs drift idempotently,
`check --online` reports the token, the teams and the webhooks, and `explain` reads Linear's issue links."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adapters.linear.admin import RESOURCE_TYPES
from adapters.linear.descriptor import LINEAR
from syncd.runtime.task_report import read_task_report
from syncd.simulators.linear import LinearSimulator
from tests.contract.bench import KR, contract_bench
from tests.linear.support import SECRET

PUBLIC = "https://syncd.acme.example"
HOOK = f"{PUBLIC}/webhooks/acme-linear"


class TestWebhooksInstall:
    """One webhook per followed team at `{public_url}/webhooks/{source}`, with the secret."""

    def test_created_once_then_unchanged(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """Two teams: two creates; a second run changes nothing."""
        adapter = make_adapter(teams=["ENG", "DES"])
        first = adapter.install_webhooks(PUBLIC, dry_run=False)
        assert [(a.target, a.action) for a in first] == [("ENG", "create"), ("DES", "create")]
        hooks = list(linear_sim.state.hooks.values())
        assert {(h.url, h.secret, tuple(h.resource_types)) for h in hooks} == {(HOOK, SECRET, RESOURCE_TYPES)}
        assert {linear_sim.state.teams[h.team_id or ""].key for h in hooks} == {"ENG", "DES"}
        again = adapter.install_webhooks(PUBLIC, dry_run=False)
        assert [a.action for a in again] == ["unchanged", "unchanged"]
        assert len(linear_sim.state.hooks) == 2

    def test_a_disabled_or_drifted_hook_is_repaired(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """Disabled, listening to comments only, another secret: one update puts it right."""
        adapter = make_adapter()
        adapter.install_webhooks(PUBLIC, dry_run=False)
        (hook,) = linear_sim.state.hooks.values()
        hook.enabled, hook.resource_types, hook.secret = False, ["Comment"], "old-secret"
        (action,) = adapter.install_webhooks(PUBLIC, dry_run=False)
        assert action.action == "update"
        assert "old-secret" not in action.detail
        assert SECRET not in action.detail
        assert (hook.enabled, tuple(hook.resource_types), hook.secret) == (True, RESOURCE_TYPES, SECRET)

    def test_a_dry_run_changes_nothing(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """It says what it would do."""
        (action,) = make_adapter().install_webhooks(PUBLIC, dry_run=True)
        assert (action.action, linear_sim.state.hooks) == ("create", {})

    def test_installed_hooks_deliver_signed_issue_changes(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """The team's issue change reaches the hook with Linear's headers; another team's does not."""
        make_adapter().install_webhooks(PUBLIC, dry_run=False)
        linear_sim.create_issue("ENG", "Ship it")
        linear_sim.create_issue("DES", "Draw it")
        linear_sim.wait_for_deliveries()
        (delivery,) = linear_sim.deliveries
        assert {"Linear-Delivery", "Linear-Event", "Linear-Signature"} <= set(delivery.headers)
        assert delivery.headers["Linear-Event"] == "Issue"


class TestCheckOnline:
    """Who the token is, which teams it reads, and whether each has syncd's webhook."""

    def test_everything_in_order(self, linear_sim: LinearSimulator, make_adapter: Any) -> None:
        """After install: credentials, teams and webhooks pass; the complexity budget is shown."""
        adapter = make_adapter()
        adapter.install_webhooks(PUBLIC, dry_run=False)
        checks = {c.check: c for c in adapter.check_online(PUBLIC)}
        assert all(c.ok for c in checks.values()), checks
        assert {"credentials", "teams", "webhooks", "rate limit"} <= set(checks)

    def test_a_missing_team_and_webhook_are_named_with_a_fix(self, make_adapter: Any) -> None:
        """Team NOPE unreadable, no webhook yet: both fail, each saying what to do."""
        checks = {c.check: c for c in make_adapter(teams=["ENG", "NOPE"]).check_online(PUBLIC)}
        assert not checks["teams"].ok
        assert "NOPE" in checks["teams"].detail
        assert not checks["webhooks"].ok
        assert "webhooks install" in checks["webhooks"].fix

    def test_a_bad_token_fails_the_credentials(self, make_adapter: Any) -> None:
        """The first check fails with advice; nothing else is tried."""
        (check,) = make_adapter(token="lin_api_wrong").check_online(PUBLIC)
        assert (check.check, check.ok) == ("credentials", False)
        assert "lin_api_wrong" not in check.detail


class TestExplainLinks:
    """`syncd explain` reads `https://linear.app/<org>/issue/ENG-123/<slug>` and the simulator's pages."""

    def test_issue_links_name_the_identifier(self) -> None:
        """With and without a slug, and lower case; other paths name nothing."""
        links = LINEAR.task_links
        assert links.external_id_in("/acme/issue/ENG-123/ship-the-signup-form") == "ENG-123"
        assert links.external_id_in("/acme/issue/eng-7") == "ENG-7"
        assert links.external_id_in("/issue/DES-2") == "DES-2"
        assert links.external_id_in("/acme/project/roadmap-123") is None
        assert links.ref.fullmatch("ENG-123")
        assert not links.ref.fullmatch("eng 123")


class TestExplain:
    """`syncd explain https://linear.app/<org>/issue/ENG-1/<slug>` finds the mirrored issue and its KR."""

    def test_a_linear_link_explains_the_mirrored_issue(self, tmp_path: Path) -> None:
        """After a backfill, Linear's own link (any org, any slug) names the task and the KR it counts for."""
        with contract_bench(LINEAR, tmp_path) as bench:
            task = bench.tracker.create_task("Ship the signup form", labels=[f"kr:{KR}"], state="done")
            bench.backfill()
            url = f"https://linear.app/acme/issue/{task.external_id}/ship-the-signup-form"
            report = read_task_report(bench.engine, bench.runtime.loaded.config, url)
        assert (report.task.external_id, report.stored_links, report.source_kind) == (task.external_id, (KR,), "linear")
