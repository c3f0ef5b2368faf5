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


class TestFieldsByName:
    """`points_field`/`progress_field` take an id or a display name (resolved through GET /field when used)."""

    def test_a_display_name_is_kept_as_written(self) -> None:
        """`KR progress` loads; it is resolved to its id by the adapter, not by the config."""
        loaded = config(progress_field=" KR progress ", points_field="Story Points")
        assert (loaded.progress_field, loaded.points_field) == ("KR progress", "Story Points")


class TestRefusals:
    """Mistakes are refused with a message saying what to write instead."""

    def test_a_lowercase_project_key_is_refused(self) -> None:
        """Project keys are capitals."""
        with pytest.raises(ValidationError, match=r"project 'eng' is not a Jira project key"):
            config(projects=["eng"])

    def test_an_empty_field_name_is_refused(self) -> None:
        """A field is named by its id or its display name; blank is neither."""
        with pytest.raises(ValidationError, match=r"this one is empty"):
            config(progress_field="  ")

    def test_a_source_needs_projects(self) -> None:
        """No project: refused."""
        with pytest.raises(ValidationError, match="projects"):
            config(projects=[])

    def test_an_unknown_key_is_refused(self) -> None:
        """A typo is never silently ignored."""
        with pytest.raises(ValidationError, match="progres_field"):
            config(progres_field="customfield_10050")
