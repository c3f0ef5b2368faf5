"""GitLab admin tools: `check --online` (user, token scope, projects readable, hook present), `webhooks install`
(one project hook per project, idempotent, repairing drift), and `explain` reading GitLab's own task links."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.gitlab.descriptor import GITLAB
from adapters.registry import config_model
from syncd.cli.online import secret_checks
from syncd.ports import OnlineCheck
from syncd.simulators.gitlab import GitLabSimulator

PUBLIC = "https://syncd.acme.example"
URL = f"{PUBLIC}/webhooks/acme-gitlab"


class TestWebhooksInstall:
    """One hook per project with issue, confidential issue, merge request and note events and both tokens."""

    def test_created_once_then_unchanged(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """First run creates, second changes nothing; the hook has the events and tokens syncd needs."""
        adapter = make_adapter(projects=["acme/web", "acme/platform/api"])
        first = adapter.install_webhooks(PUBLIC, dry_run=False)
        second = adapter.install_webhooks(PUBLIC, dry_run=False)
        assert [(a.target, a.action) for a in first] == [("acme/web", "create"), ("acme/platform/api", "create")]
        assert {a.action for a in second} == {"unchanged"}
        (hook,) = gitlab_sim.project_hooks("acme/web")
        wanted = {"issues_events", "confidential_issues_events", "merge_requests_events", "note_events"}
        assert {event for event, on in hook.events.items() if on} == wanted
        assert (hook.url, hook.token, str(hook.signing_token).startswith("whsec_")) == (
            URL,
            adapter.config.webhook_secret.get_secret_value(),
            True,
        )

    def test_a_drifted_hook_is_repaired_and_dry_run_writes_nothing(
        self, gitlab_sim: GitLabSimulator, make_adapter: Any
    ) -> None:
        """Someone turned note events off: dry run says update and changes nothing; the real run repairs."""
        adapter = make_adapter()
        adapter.install_webhooks(PUBLIC, dry_run=False)
        (hook,) = gitlab_sim.project_hooks("acme/web")
        hook.events["note_events"] = False
        (planned,) = adapter.install_webhooks(PUBLIC, dry_run=True)
        assert (planned.action, hook.events["note_events"]) == ("update", False)
        (repaired,) = adapter.install_webhooks(PUBLIC, dry_run=False)
        assert (repaired.action, "note_events" in repaired.detail, hook.events["note_events"]) == ("update", True, True)


class TestCheckOnline:
    """What `syncd check --online` reports."""

    def test_everything_passes_once_installed(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """User, scope, project, hook."""
        adapter = make_adapter()
        adapter.install_webhooks(PUBLIC, dry_run=False)
        checks = adapter.check_online(PUBLIC)
        assert [(c.check, c.ok) for c in checks] == [
            ("credentials", True), ("token scope", True), ("project acme/web", True), ("webhook acme/web", True),
        ]  # fmt: skip

    def test_a_missing_hook_a_narrow_scope_and_a_low_role_are_named(
        self, gitlab_sim: GitLabSimulator, make_adapter: Any
    ) -> None:
        """read_api only, Guest access, no hook: each check fails with its fix."""
        gitlab_sim.instance.scopes = ("read_api",)
        gitlab_sim.instance.access_level = 10
        failed = {c.check: c.fix for c in make_adapter().check_online(PUBLIC) if not c.ok}
        assert failed == {
            "token scope": "create a token with the api scope",
            "project acme/web": "give the token Reporter access to acme/web",
            "webhook acme/web": "run `syncd webhooks install`",
        }


@pytest.mark.parametrize(
    ("path", "task"),
    [
        ("/acme/web/-/issues/12", "acme/web#12"),
        ("/acme/platform/api/-/merge_requests/3", "acme/platform/api!3"),
        ("/acme/platform/api/-/merge_requests/3/diffs", "acme/platform/api!3"),
        ("/acme/web/issues/12", "acme/web#12"),
    ],
)
def test_explain_reads_gitlab_links(path: str, task: str) -> None:
    """Issue and merge request pages (also of subgroups, and older links without `/-`) name their task."""
    assert GITLAB.task_links.external_id_in(path) == task


def test_explain_refs_and_foreign_links() -> None:
    """`acme/web#12` and `acme/web!3` are refs; a project page names no task."""
    assert GITLAB.task_links.ref.fullmatch("acme/web!3")
    assert GITLAB.task_links.external_id_in("/acme/web/-/tree/main") is None


class TestWebhookSecretCheck:
    """`check --online` counts either GitLab key as verifying deliveries: the secret token or the signing token."""

    @staticmethod
    def _checked(make_adapter: Any, **keys: Any) -> list[OnlineCheck]:
        adapter = make_adapter(**keys)
        raw = {"cycles": [{"id": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31"}],
               "server": {"public_url": PUBLIC}}  # fmt: skip
        config = config_model().model_validate(raw)
        return secret_checks(adapter.config, adapter, config)

    def test_only_the_signing_token_set_passes(self, make_adapter: Any) -> None:
        """No webhook_secret, a webhook_signing_token: the line passes and names the key."""
        (check,) = self._checked(make_adapter, webhook_secret=None)
        assert (check.check, check.ok, check.detail) == (
            "webhook secret", True, "set (webhook_signing_token): deliveries are verified",
        )  # fmt: skip

    def test_only_the_secret_token_set_passes(self, make_adapter: Any) -> None:
        """A webhook_secret alone is enough as well."""
        (check,) = self._checked(make_adapter, webhook_signing_token=None)
        assert (check.ok, check.detail) == (True, "set (webhook_secret): deliveries are verified")

    def test_neither_set_fails_with_the_advice(self, make_adapter: Any) -> None:
        """Neither key: the line fails and says to set the secret (and the signing token), then install."""
        (check,) = self._checked(make_adapter, webhook_secret=None, webhook_signing_token=None)
        assert (check.ok, check.detail) == (False, "not set: deliveries cannot be verified")
        assert check.fix is not None
        assert "webhook_secret: ${GITLAB_WEBHOOK_SECRET}" in check.fix
        assert "webhook_signing_token" in check.fix
