"""`kind: jira` source config: site, credentials (Cloud email + API token, or a Data Center PAT), projects, fields."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, SecretStr

from syncd.config.source import SourceConfig
from syncd.config.types import EnvironmentHttpUrl

_PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")
#: Jira's resolutions that close an issue without doing it (the issue's default `dropped_resolutions`).
DEFAULT_DROPPED_RESOLUTIONS = ("Won't Do", "Duplicate", "Cannot Reproduce")


def _project_key(key: str) -> str:
    """A Jira project key (`ENG`); checked per item so the error points at the item's own line."""
    if not _PROJECT_KEY.match(key):
        raise ValueError(f"project {key!r} is not a Jira project key; write the key in capitals (e.g. ENG)")
    return key


def _field_ref(field: str) -> str:
    """A custom field's id (`customfield_10016`) or its display name (`Story Points`), resolved when used."""
    if not field.strip():
        raise ValueError("a field is named by its id (customfield_NNNNN) or its display name; this one is empty")
    return field.strip()


ProjectKey = Annotated[str, AfterValidator(_project_key)]
FieldRef = Annotated[str, AfterValidator(_field_ref)]


class JiraSourceConfig(SourceConfig):
    """A Jira Cloud site (email + API token, HTTP basic) or a Data Center server (personal access token)."""

    kind: Literal["jira"]
    base_url: EnvironmentHttpUrl = Field(description="The site: https://acme.atlassian.net (Cloud) or your server.")
    email: str | None = Field(
        default=None, description="Cloud: the API token's account email (HTTP basic). Omit for a Data Center PAT."
    )
    token: SecretStr = Field(description="Cloud API token, or a Data Center personal access token (use ${ENV}).")
    projects: list[ProjectKey] = Field(min_length=1, description="Keys of the projects to follow.")
    jql: str | None = Field(default=None, description="Optional JQL ANDed with the project filter.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret of the admin webhook (X-Hub-Signature: sha256=...) (use ${ENV})."
    )
    points_field: FieldRef | None = Field(
        default=None,
        description='Story points field, by id or name; default: the field named "Story Points" or "Story point '
        'estimate".',
    )
    progress_field: FieldRef | None = Field(
        default=None, description="Number field (id or name) syncd writes the KR's progress to, 0-100."
    )
    dropped_resolutions: list[str] = Field(
        default_factory=lambda: list(DEFAULT_DROPPED_RESOLUTIONS),
        description="Resolutions that make a done issue dropped (case-insensitive).",
    )

    @property
    def site(self) -> str:
        """`base_url` without a trailing slash."""
        return self.base_url.rstrip("/")

    def follows(self, project: str) -> bool:
        """Whether issues of project `project` (a key) belong to this source."""
        return project.upper() in {key.upper() for key in self.projects}

    def is_dropped(self, resolution: str | None) -> bool:
        """Whether a done issue with this resolution is dropped."""
        return resolution is not None and resolution.casefold() in {r.casefold() for r in self.dropped_resolutions}
