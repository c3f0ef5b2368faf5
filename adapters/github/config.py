"""`kind: github` source config: token or GitHub App auth, repos or an org, state-mapping rules."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from syncd.config.source import SourceConfig, StrictModel


class GitHubAppAuth(StrictModel):
    """Authenticate as a GitHub App installation (the token is minted and refreshed before expiry)."""

    app_id: int
    private_key: SecretStr = Field(description="PEM private key of the app (use ${ENV}).")
    installation_id: int | None = Field(default=None, description="Found from the repos/org when omitted.")


class ProjectFieldTarget(StrictModel):
    """A GitHub Projects v2 field that receives the KR's progress on each task's project item."""

    project_id: str = Field(description="Node id of the Projects v2 project (PVT_...).")
    field: str = Field(description="Name of a number or text field in that project.")


class GitHubSourceConfig(SourceConfig):
    """A GitHub.com or GitHub Enterprise Server connection."""

    kind: Literal["github"]
    base_url: str = "https://api.github.com"
    token: SecretStr | None = Field(default=None, description="Personal or fine-grained token (use ${ENV}).")
    app: GitHubAppAuth | None = None
    repos: list[str] = Field(default_factory=list, description="owner/name of each repository to follow.")
    org: str | None = Field(default=None, description="Follow every repository of this organization.")
    repo_filter: str | None = Field(default=None, description="With org: only repositories matching this regex.")
    webhook_secret: SecretStr | None = Field(default=None, description="Secret of X-Hub-Signature-256 (${ENV}).")
    include_pull_requests: bool = True
    in_progress_labels: list[str] = Field(default_factory=lambda: ["in progress", "in-progress"])
    in_progress_when_assigned: bool = False
    draft_prs_in_progress: bool = True
    dropped_state_reasons: list[str] = Field(default_factory=lambda: ["not_planned", "duplicate"])
    project_field: ProjectFieldTarget | None = None
    summary_issues: bool = Field(default=False, description="Keep one summary issue per KR (in the first repo).")
    writes_per_hour: int = Field(default=500, ge=1)

    @model_validator(mode="after")
    def _auth_and_scope(self) -> Self:
        if (self.token is None) == (self.app is None):
            raise ValueError(f"github source {self.name!r} needs exactly one of token or app")
        if not self.repos and not self.org:
            raise ValueError(f"github source {self.name!r} needs repos or org")
        for repo in self.repos:
            if repo.count("/") != 1 or not all(repo.split("/")):
                raise ValueError(f"github source {self.name!r}: repo {repo!r} is not owner/name")
        return self
