"""`kind: gitlab` config: issue 19's YAML is accepted as written; mistakes are refused naming the key."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from adapters.gitlab.config import GitLabSourceConfig
from tests.gitlab.support import SIGNING_TOKEN

ISSUE_YAML: dict[str, Any] = {
    "name": "acme-gitlab", "kind": "gitlab", "base_url": "https://gitlab.com", "token": "glpat-x",
    "projects": ["acme/web", "acme/platform/api"], "group": "acme", "webhook_secret": "s",
    "include_merge_requests": True, "in_progress_labels": ["doing"], "dropped_labels": ["wontfix"],
}  # fmt: skip


class TestIssueConfig:
    """The public contract: the issue's keys, and what they mean."""

    def test_the_issue_yaml_is_accepted(self) -> None:
        """Every key of issue 19's example, as written."""
        config = GitLabSourceConfig.model_validate(ISSUE_YAML)
        assert (config.instance, config.projects, config.group) == (
            "https://gitlab.com", ["acme/web", "acme/platform/api"], "acme",
        )  # fmt: skip

    def test_group_mode_follows_subgroups_and_listed_projects_only_otherwise(self) -> None:
        """`group: acme` follows acme/x/y; without it only the listed projects (case-insensitive)."""
        grouped = GitLabSourceConfig.model_validate(ISSUE_YAML)
        listed = GitLabSourceConfig.model_validate({**ISSUE_YAML, "group": None})
        assert (grouped.follows("acme/platform/new"), grouped.follows("acmeco/web")) == (True, False)
        assert (listed.follows("ACME/Web"), listed.follows("acme/other")) == (True, False)

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            ({"projects": ["web"]}, "full path"),
            ({"projects": [], "group": None}, "needs projects or group"),
            ({"webhook_signing_token": "not-a-whsec"}, "whsec_"),
            ({"webhook_signing_token": "whsec_***"}, "base64"),
            ({"weight_field": "weight"}, "Extra inputs"),
        ],
    )
    def test_mistakes_are_refused_saying_what_to_write(self, change: dict[str, Any], words: str) -> None:
        """A project without its group, no scope, a signing token that is not GitLab's, an unknown key."""
        with pytest.raises(ValidationError, match=words):
            GitLabSourceConfig.model_validate({**ISSUE_YAML, **change})

    def test_a_signing_token_as_gitlab_shows_it_is_accepted(self) -> None:
        """`whsec_` followed by base64."""
        assert GitLabSourceConfig.model_validate({**ISSUE_YAML, "webhook_signing_token": SIGNING_TOKEN})


def test_loading_a_gitlab_config_imports_no_sdk() -> None:
    """The registry and the config model load without python-gitlab (imported only by build_adapter)."""
    code = (
        "import sys; from adapters.registry import config_model; config_model(); "
        "import adapters.gitlab.descriptor; print('gitlab' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
