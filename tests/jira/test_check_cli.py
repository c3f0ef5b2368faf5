"""`syncd check --online` through the real CLI on a Jira source: the flavour is shown, each probe is a row, a
failing probe prints its fix and the command exits 1 (on Cloud and on Data Center)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from syncd.cli.main import build_app
from syncd.simulators.jira import JiraSimulator
from tests.jira.support import EMAIL, FLAVOURS, PAT, SECRET, TOKEN
from tests.support.admin_world import CYCLE, objectives

PUBLIC = "https://syncd.example.com"
ENV = {"JIRA_TOKEN": TOKEN, "JIRA_PAT": PAT, "JIRA_WEBHOOK_SECRET": SECRET}


def check_online(sim: JiraSimulator, directory: Path, **overrides: Any) -> Result:
    """Write a config with one Jira source on `sim` (credentials as its flavour takes them), run the check."""
    source: dict[str, Any] = {
        "name": "acme-jira", "kind": "jira", "base_url": sim.url, "projects": ["ENG"],
        "webhook_secret": "${JIRA_WEBHOOK_SECRET}", "progress_field": "KR progress",
    } | ({"email": EMAIL, "token": "${JIRA_TOKEN}"} if sim.site.cloud else {"token": "${JIRA_PAT}"})  # fmt: skip
    config = {
        "store": {"url": f"sqlite:///{directory / 'syncd.db'}"},
        "server": {"public_url": PUBLIC},
        "cycles": [CYCLE],
        "objectives": objectives(),
        "sources": [source | overrides],
    }
    path = directory / "syncd.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    argv = ["check", "--online", "--config", str(path)]
    return CliRunner().invoke(build_app(), argv, env={"COLUMNS": "200", **ENV})


def lines_with(output: str, *words: str) -> list[str]:
    """Output lines holding every one of `words`."""
    return [line for line in output.splitlines() if all(word in line for word in words)]


@pytest.mark.parametrize("deployment", FLAVOURS, indirect=True)
class TestCheckOnline:
    """The table a Jira source gets."""

    def test_a_set_up_source_passes_and_shows_its_flavour(
        self, jira_sim: JiraSimulator, make_adapter: Any, tmp_path: Path
    ) -> None:
        """Webhook installed, an issue to look at the screen on: every row ok, the flavour named."""
        jira_sim.create_issue("ENG", "Ship it")
        make_adapter().install_webhooks(PUBLIC, dry_run=False)
        result = check_online(jira_sim, tmp_path)
        assert result.exit_code == 0, result.output
        name = "Jira Cloud" if jira_sim.site.cloud else "Jira Data Center 9.12.2"
        assert lines_with(result.stdout, "flavour", "ok", name)
        assert lines_with(result.stdout, "progress_field screen", "ok", "customfield_10050 is on ENG-1's edit screen")
        assert lines_with(result.stdout, "webhook", "ok", f"{PUBLIC}/webhooks/acme-jira")

    def test_a_missing_webhook_fails_with_the_fix(
        self, jira_sim: JiraSimulator, make_adapter: Any, tmp_path: Path
    ) -> None:
        """No admin webhook: FAIL, the fix printed, exit 1; the token never printed (`make_adapter` checks the
        CLI's requests against the OpenAPI at teardown)."""
        result = check_online(jira_sim, tmp_path)
        assert result.exit_code == 1, result.output
        assert lines_with(result.stdout, "webhook", "FAIL", "no admin webhook points at")
        assert "run `syncd webhooks install`" in result.stdout
        assert TOKEN not in result.output
        assert PAT not in result.output
