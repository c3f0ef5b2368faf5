"""The `kind: jira` source config is the issue's YAML: Cloud basic auth or a Data Center PAT, project keys, fields."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from adapters.jira.config import JiraSourceConfig

ISSUE_YAML = """
name: acme-jira
kind: jira
base_url: https://acme.atlassian.net
email: admin@acme.example
token: api-token-0123456789
projects: [ENG, OPS]
jql: 'issuetype != Epic'
webhook_secret: hook-secret-0123456789
points_field: customfield_10016
progress_field: customfield_10050
dropped_resolutions: ["Won't Do", "Duplicate", "Cannot Reproduce"]
"""


def config(**overrides: Any) -> JiraSourceConfig:
    """The issue's example source, with overrides (None removes a key)."""
    raw: dict[str, Any] = yaml.safe_load(ISSUE_YAML) | overrides
    return JiraSourceConfig.model_validate({key: value for key, value in raw.items() if value is not None})


class TestTheIssuesExample:
    """Every key of the issue's example is accepted with the meaning it states."""

    def test_the_example_loads(self) -> None:
        """Projects, fields and resolutions as written; the site without a trailing slash."""
        loaded = config(base_url="https://acme.atlassian.net/")
        assert loaded.projects == ["ENG", "OPS"]
        assert (loaded.points_field, loaded.progress_field) == ("customfield_10016", "customfield_10050")
        assert loaded.site == "https://acme.atlassian.net"
        assert loaded.is_dropped("won't do")
        assert not loaded.is_dropped("Done")

    def test_the_defaults(self) -> None:
        """Without optional keys: Bearer auth (no email), the three dropped resolutions, no fields."""
        loaded = config(email=None, jql=None, webhook_secret=None, points_field=None, progress_field=None)
        assert loaded.email is None
        assert loaded.dropped_resolutions == ["Won't Do", "Duplicate", "Cannot Reproduce"]
        assert loaded.progress_field is None


class TestRefusals:
    """Mistakes are refused with a message saying what to write instead."""

    def test_a_lowercase_project_key_is_refused(self) -> None:
        """Project keys are capitals."""
        with pytest.raises(ValidationError, match=r"project 'eng' is not a Jira project key"):
            config(projects=["eng"])

    def test_a_field_by_name_is_refused(self) -> None:
        """Fields are written by id (`customfield_10050`), not by their name."""
        with pytest.raises(ValidationError, match=r"'KR progress' is not a custom field id"):
            config(progress_field="KR progress")

    def test_a_source_needs_projects(self) -> None:
        """No project: refused."""
        with pytest.raises(ValidationError, match="projects"):
            config(projects=[])

    def test_an_unknown_key_is_refused(self) -> None:
        """A typo is never silently ignored."""
        with pytest.raises(ValidationError, match="progres_field"):
            config(progres_field="customfield_10050")
