"""`syncd check --online` and `syncd webhooks install` for a GitHub source, against the simulator."""

from __future__ import annotations

from adapters.github.adapter import GitHubAdapter
from syncd.simulators.github import GitHubSimulator
from tests.support.github_sim import GITHUB_LOGIN, GITHUB_WEBHOOK_SECRET, github_source_config

PUBLIC = "https://okr.example.com"
HOOK_URL = f"{PUBLIC}/webhooks/acme-github"
EVENTS = ["installation_repositories", "issue_comment", "issues", "label", "pull_request"]


class TestInstallWebhooks:
    """One `web` hook per repository, matched by URL: created, then left alone, then repaired."""

    def test_creates_one_hook_per_repo_then_is_idempotent(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """First run creates (json, secret, our events); a second run changes nothing."""
        first = github_adapter.install_webhooks(PUBLIC, dry_run=False)
        assert [(a.target, a.action, a.detail) for a in first] == [
            ("acme/web", "create", HOOK_URL),
            ("acme/api", "create", HOOK_URL),
        ]
        second = github_adapter.install_webhooks(PUBLIC, dry_run=False)
        assert [a.action for a in second] == ["unchanged", "unchanged"]
        for repo in ("acme/web", "acme/api"):
            (hook,) = github_sim.hooks(repo)
            assert (hook.url, hook.content_type, hook.secret, hook.active) == (
                HOOK_URL,
                "json",
                GITHUB_WEBHOOK_SECRET,
                True,
            )
            assert sorted(hook.events) == EVENTS

    def test_dry_run_writes_nothing(self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter) -> None:
        """A dry run reports what it would create and makes no write request."""
        actions = github_adapter.install_webhooks(PUBLIC, dry_run=True)
        assert [a.action for a in actions] == ["create", "create"]
        assert github_sim.hooks("acme/web") == []
        assert all(r.method == "GET" for r in github_sim.requests)

    def test_a_drifted_hook_is_updated_not_duplicated(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """A hook at our URL with other events or form content type is updated in place."""
        github_adapter.install_webhooks(PUBLIC, dry_run=False)
        (hook,) = github_sim.hooks("acme/web")
        hook.events, hook.content_type, hook.active = ["push"], "form", False
        actions = github_adapter.install_webhooks(PUBLIC, dry_run=False)
        assert actions[0].action == "update"
        assert "inactive" in actions[0].detail
        (repaired,) = github_sim.hooks("acme/web")
        assert (sorted(repaired.events), repaired.content_type, repaired.active) == (EVENTS, "json", True)
        assert actions[1].action == "unchanged"


class TestCheckOnline:
    """Each check says what passed, or what failed and how to fix it."""

    def test_everything_passes_once_hooks_exist(
        self, github_sim: GitHubSimulator, github_adapter: GitHubAdapter
    ) -> None:
        """Credentials, both repositories, both hooks and the budget pass."""
        github_adapter.install_webhooks(PUBLIC, dry_run=False)
        checks = github_adapter.check_online(PUBLIC)
        assert [(c.check, c.ok) for c in checks] == [
            ("credentials", True),
            ("repository acme/web", True),
            ("webhook acme/web", True),
            ("repository acme/api", True),
            ("webhook acme/api", True),
            ("rate limit", True),
        ]
        assert checks[0].detail == f"authenticated as {GITHUB_LOGIN}"
        assert "requests left this hour" in checks[-1].detail

    def test_failures_name_the_fix(self, github_sim: GitHubSimulator) -> None:
        """A bad token fails credentials; a missing repo and a missing hook each say what to do."""
        bad = GitHubAdapter(github_source_config(github_sim, token="nope", repos=("acme/web", "acme/gone")))
        try:
            checks = {c.check: c for c in bad.check_online(PUBLIC)}
        finally:
            bad.close()
        assert not checks["credentials"].ok
        assert "401" in checks["credentials"].detail
        assert "nope" not in checks["credentials"].detail
        good = GitHubAdapter(github_source_config(github_sim, repos=("acme/web", "acme/gone")))
        try:
            checks = {c.check: c for c in good.check_online(PUBLIC)}
        finally:
            good.close()
        assert checks["credentials"].ok
        assert not checks["repository acme/gone"].ok
        assert not checks["webhook acme/web"].ok
        assert checks["webhook acme/web"].fix == "run `syncd webhooks install`"

    def test_project_field_is_checked_when_configured(self, github_sim: GitHubSimulator) -> None:
        """A configured project field is looked up; a missing one fails with a fix."""
        project = github_sim.create_project("OKRs", {"Progress": "NUMBER"})
        for field, ok in (("Progress", True), ("Missing", False)):
            config = github_source_config(github_sim, project_field={"project_id": project, "field": field})
            adapter = GitHubAdapter(config)
            try:
                checks = {c.check: c for c in adapter.check_online(None)}
            finally:
                adapter.close()
            assert checks["project field"].ok is ok

    def test_unlistable_org_is_one_failing_check(self, github_sim: GitHubSimulator) -> None:
        """An org the token cannot list yields a failing `repositories` check instead of an exception."""
        github_sim.faults.server_error(None, status=500, path="/orgs/*")
        adapter = GitHubAdapter(github_source_config(github_sim, repos=(), org="acme"))
        try:
            (check,) = adapter.check_online(None)
        finally:
            adapter.close()
        assert (check.check, check.ok) == ("repositories", False)
        assert "500" in check.detail
