"""`kind: github` source config: token or GitHub App auth, repos or an org, state-mapping rules."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, SecretStr, model_validator

from syncd.config.source import SourceConfig, StrictModel
from syncd.config.types import EnvironmentHttpUrl

#: GitHub Enterprise Server serves REST under /api/v3 and GraphQL under /api/graphql.
_GHES_REST_SUFFIX = "/api/v3"


def _owner_name(repo: str) -> str:
    """A repository written `owner/name`; checked per item so the error points at the item's own line."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise ValueError(f"repo {repo!r} is not owner/name; write the repository as owner/name (e.g. acme/web)")
    return repo


#: `owner/name` of a GitHub repository.
RepoName = Annotated[str, AfterValidator(_owner_name)]


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
    base_url: EnvironmentHttpUrl = "https://api.github.com"
    graphql_url: EnvironmentHttpUrl | None = Field(
        default=None, description="GraphQL endpoint; derived from base_url when omitted (GHES: /api/graphql)."
    )
    token: SecretStr | None = Field(default=None, description="Personal or fine-grained token (use ${ENV}).")
    app: GitHubAppAuth | None = None
    repos: list[RepoName] = Field(default_factory=list, description="owner/name of each repository to follow.")
    org: str | None = Field(default=None, description="Follow every repository of this organization.")
    repo_filter: str | None = Field(default=None, description="With org: only repositories matching this regex.")
    webhook_secret: SecretStr | None = Field(default=None, description="Secret of X-Hub-Signature-256 (${ENV}).")
    include_pull_requests: bool = True
    in_progress_labels: list[str] = Field(default_factory=lambda: ["in progress", "in-progress"])
    in_progress_when_assigned: bool = False
    draft_prs_in_progress: bool = True
    dropped_state_reasons: list[str] = Field(default_factory=lambda: ["not_planned", "duplicate"])
    project_field: ProjectFieldTarget | None = None
    summary_issues: bool = Field(
        default=False,
        description="Reserved: the adapter can keep a summary issue per KR, but the daemon does not plan these writes yet.",
    )
    summary_repo: RepoName | None = Field(
        default=None, description="owner/name holding summary issues (default: first)."
    )
    summary_label: str = Field(default="okr-summary", min_length=1, description="Label put on summary issues.")
    writes_per_hour: int = Field(default=500, ge=1)

    @model_validator(mode="after")
    def _auth_and_scope(self) -> Self:
        if (self.token is None) == (self.app is None):
            raise ValueError(f"github source {self.name!r} needs exactly one of token or app")
        if not self.repos and not self.org:
            raise ValueError(f"github source {self.name!r} needs repos or org")
        if self.repo_filter is not None:
            try:
                re.compile(self.repo_filter)
            except re.error as error:
                raise ValueError(f"github source {self.name!r}: repo_filter is not a regex ({error})") from error
        if self.summary_issues and not (self.summary_repo or self.repos):
            raise ValueError(f"github source {self.name!r}: summary_issues needs summary_repo (or repos)")
        return self

    @property
    def api_root(self) -> str:
        """`base_url` without a trailing slash."""
        return self.base_url.rstrip("/")

    @property
    def graphql_endpoint(self) -> str:
        """Where GraphQL requests go: `graphql_url`, or GHES `/api/graphql`, or `{base_url}/graphql`."""
        if self.graphql_url:
            return self.graphql_url
        root = self.api_root
        if root.endswith(_GHES_REST_SUFFIX):
            return root[: -len(_GHES_REST_SUFFIX)] + "/api/graphql"
        return root + "/graphql"

    def follows(self, full_name: str) -> bool:
        """Whether `owner/name` is one of this source's repositories (listed, or in the org and the filter)."""
        wanted = full_name.lower()
        if any(repo.lower() == wanted for repo in self.repos):
            return True
        if self.org is None or wanted.partition("/")[0] != self.org.lower():
            return False
        return self.repo_filter is None or re.search(self.repo_filter, full_name.partition("/")[2]) is not None

    def summary_home(self) -> str | None:
        """The repository that holds per-KR summary issues, if any."""
        return self.summary_repo or (self.repos[0] if self.repos else None)
