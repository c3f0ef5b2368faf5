"""`syncd check --online` for Jira, against the simulated site: each probe passes on a well set-up source (Cloud
and Data Center), and each failure says what is wrong and what to do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from syncd.ports import OnlineCheck
from syncd.simulators.jira import JiraSimulator
from tests.jira.support import FLAVOURS, PAT

PUBLIC = "https://syncd.acme.example"


def by_name(checks: Sequence[OnlineCheck]) -> dict[str, OnlineCheck]:
    """The checks by what they checked."""
    return {check.check: check for check in checks}


def ready(sim: JiraSimulator, make_adapter: Any, **overrides: Any) -> Any:
    """An issue in ENG, an adapter writing progress by field name, its webhook installed."""
    sim.create_issue("ENG", "Ship it")
    adapter = make_adapter(progress_field="KR progress", **overrides)
    adapter.install_webhooks(PUBLIC, dry_run=False)
    return adapter


class TestAllPass:
    """A well set-up source passes every probe, on either flavour."""

    @pytest.mark.parametrize("deployment", FLAVOURS, indirect=True)
    def test_every_probe_passes(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Flavour, account, project, both fields (by id, by name), the edit screen, the webhook."""
        checks = by_name(ready(jira_sim, make_adapter).check_online(PUBLIC))
        assert list(checks) == [
            "flavour", "credentials", "project ENG", "points_field", "progress_field", "progress_field screen",
            "webhook",
        ]  # fmt: skip
        assert all(check.ok for check in checks.values()), [c for c in checks.values() if not c.ok]
        flavour = "Jira Cloud: REST v3" if jira_sim.site.cloud else "Jira Data Center 9.12.2: REST v2"
        assert checks["flavour"].detail.startswith(flavour)
        assert checks["credentials"].detail == "authenticated as bot@acme.example (JQL dates in America/Los_Angeles)"
        assert checks["progress_field"].detail == "customfield_10050 (KR progress) is a number field"
        assert checks["points_field"].detail == "customfield_10016 (Story point estimate) is a number field"
        assert checks["webhook"].detail == f"an admin webhook points at {PUBLIC}/webhooks/acme-jira"

    def test_without_public_url_the_webhook_is_not_asked_for(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Polling only: the webhook probe passes, saying it did not look."""
        checks = by_name(make_adapter().check_online(None))
        assert checks["webhook"].ok
        assert "server.public_url is unset" in checks["webhook"].detail
        assert "progress_field" not in checks


class TestTheSiteAndTheAccount:
    """Wrong site, wrong credentials, credentials of the wrong kind: the run stops at the first, saying why."""

    def test_a_base_url_that_is_not_the_site(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """`/jira` below the site root: serverInfo is not found; the fix is base_url."""
        (check,) = make_adapter(base_url=jira_sim.url + "/jira").check_online(PUBLIC)
        assert (check.check, check.ok) == ("flavour", False)
        assert "serverInfo" in check.detail
        assert "check base_url" in check.fix

    def test_a_bad_token(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """401 on /myself: credentials fail with the fix, nothing else is probed."""
        checks = make_adapter(token="not-the-token").check_online(PUBLIC)
        assert [(c.check, c.ok) for c in checks] == [("flavour", True), ("credentials", False)]
        assert "401" in checks[1].detail
        assert "check email and token" in checks[1].fix
        assert "not-the-token" not in f"{checks[1].detail} {checks[1].fix}"

    def test_a_personal_access_token_on_cloud(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Cloud with no email: its API tokens go with an account's email (Bearer is Data Center's)."""
        jira_sim.credentials.add(PAT)
        (check,) = make_adapter(email=None, token=PAT).check_online(PUBLIC)
        assert (check.check, check.ok) == ("flavour", False)
        assert check.fix == "set email: to the account the API token belongs to"


class TestProjectsAndFields:
    """Projects that cannot be read, fields that are missing, ambiguous, not numbers, or not on the screen."""

    def test_a_project_the_account_cannot_read(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """NOPE does not exist: its probe fails with the fix; ENG passes."""
        checks = by_name(make_adapter(projects=["ENG", "NOPE"]).check_online(PUBLIC))
        assert checks["project ENG"].ok
        assert not checks["project NOPE"].ok
        assert "Browse projects" in checks["project NOPE"].fix

    def test_a_field_name_no_field_has(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """`KR progres` (a typo): the fields probe names the number fields there are."""
        checks = by_name(make_adapter(progress_field="KR progres").check_online(PUBLIC))
        assert not checks["fields"].ok
        assert "'KR progres': no Jira field has that name (number fields: KR progress, Story point estimate)" in (
            checks["fields"].detail
        )

    def test_a_field_name_two_fields_share(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Two fields named KR progress: the id must be written."""
        jira_sim.site.custom_fields["customfield_10077"] = "KR progress"
        checks = by_name(make_adapter(progress_field="kr progress").check_online(PUBLIC))
        assert "names 2 Jira fields (customfield_10050, customfield_10077)" in checks["fields"].detail

    def test_a_field_that_is_not_a_number(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """`points_field: Summary` resolves, to a text field."""
        checks = by_name(make_adapter(points_field="Summary").check_online(PUBLIC))
        assert not checks["points_field"].ok
        assert checks["points_field"].detail == "summary (Summary) is not a number field"

    def test_a_field_id_the_site_does_not_have(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """`customfield_99999`: the id is kept as written, and the probe says no such field exists."""
        checks = by_name(make_adapter(progress_field="customfield_99999").check_online(PUBLIC))
        assert checks["progress_field"].detail == "customfield_99999 does not exist on this site"

    def test_the_progress_field_off_the_edit_screen(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Jira refuses to set a field that is not on the issue's edit screen: the probe says so before a push."""
        adapter = ready(jira_sim, make_adapter)
        jira_sim.site.edit_screen = {"customfield_10016"}
        checks = by_name(adapter.check_online(PUBLIC))
        assert checks["progress_field"].ok
        assert not checks["progress_field screen"].ok
        assert checks["progress_field screen"].detail.startswith("customfield_10050 is not on ENG-1's edit screen")
        assert "Screens" in checks["progress_field screen"].fix

    def test_no_issue_yet_to_look_at_the_screen_on(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """An empty project: the screen probe says it could not look."""
        checks = by_name(make_adapter(progress_field="customfield_10050").check_online(PUBLIC))
        assert checks["progress_field screen"].ok
        assert "not checked" in checks["progress_field screen"].detail


class TestTheWebhook:
    """Missing, pointing elsewhere, drifted, or not listable."""

    def test_no_webhook(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Not installed: the fix is `syncd webhooks install`."""
        check = by_name(make_adapter().check_online(PUBLIC))["webhook"]
        assert (check.ok, check.detail) == (False, f"no admin webhook points at {PUBLIC}/webhooks/acme-jira")
        assert "syncd webhooks install" in check.fix

    def test_a_webhook_pointing_at_an_old_address(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Installed for another public_url: the probe names where it points."""
        adapter = make_adapter()
        adapter.install_webhooks("https://old.acme.example", dry_run=False)
        check = by_name(adapter.check_online(PUBLIC))["webhook"]
        assert not check.ok
        assert "'syncd acme-jira' points at https://old.acme.example/webhooks/acme-jira" in check.detail

    def test_a_disabled_webhook(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """Present but disabled (Jira disables hooks that keep failing): it differs in `enabled`."""
        adapter = ready(jira_sim, make_adapter)
        (hook,) = jira_sim.state.hooks.values()
        hook.enabled = False
        check = by_name(adapter.check_online(PUBLIC))["webhook"]
        assert (check.ok, check.detail) == (False, f"the webhook at {PUBLIC}/webhooks/acme-jira differs: enabled")

    def test_an_account_that_may_not_list_webhooks(self, jira_sim: JiraSimulator, make_adapter: Any) -> None:
        """403 on the admin-webhook API (not a Jira administrator): the probe says it could not look."""
        adapter = ready(jira_sim, make_adapter)
        jira_sim.faults.server_error(1, status=403, path="/rest/webhooks/*")
        check = by_name(adapter.check_online(PUBLIC))["webhook"]
        assert not check.ok
        assert check.detail.startswith("cannot list admin webhooks")
        assert "administrator" in check.fix
