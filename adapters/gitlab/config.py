"""`kind: gitlab` source config: instance, token, projects by full path or a group, state-mapping labels, the
optional progress custom field."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal, Self

from pydantic import AfterValidator, Field, SecretStr, StringConstraints, model_validator

from syncd.config.source import SourceConfig
from syncd.config.types import EnvironmentHttpUrl

#: GitLab's `whsec_` prefix of a signing token (Standard Webhooks), followed by the base64 of the key.
SIGNING_TOKEN_PREFIX = "whsec_"  # noqa: S105 - a format prefix, not a secret


def _full_path(project: str) -> str:
    """A project's full path (`acme/web`, `acme/platform/api`); checked per item so the error names its line."""
    parts = project.split("/")
    if len(parts) < 2 or not all(parts) or project != project.strip():
        raise ValueError(
            f"project {project!r} is not a full path; write it as group/project (e.g. acme/web or acme/platform/api)"
        )
    return project


def signing_key(token: str) -> bytes:
    """The HMAC key a `whsec_<base64>` signing token stands for; ValueError when it is not one."""
    if not token.startswith(SIGNING_TOKEN_PREFIX):
        raise ValueError("webhook_signing_token is GitLab's signing token, which starts with whsec_")
    try:
        return base64.b64decode(token.removeprefix(SIGNING_TOKEN_PREFIX), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError(
            "webhook_signing_token is not whsec_ followed by base64 (copy it as GitLab showed it)"
        ) from error


def _signing_token(token: SecretStr | None) -> SecretStr | None:
    if token is not None:
        signing_key(token.get_secret_value())
    return token


ProjectPath = Annotated[str, AfterValidator(_full_path)]


class GitLabSourceConfig(SourceConfig):
    """A gitlab.com or self-managed GitLab connection (REST API v4)."""

    kind: Literal["gitlab"]
    base_url: EnvironmentHttpUrl = Field(
        default="https://gitlab.com", description="The instance: https://gitlab.com or https://gitlab.example.com."
    )
    token: SecretStr = Field(description="Personal, project or group access token with the api scope (use ${ENV}).")
    projects: list[ProjectPath] = Field(default_factory=list, description="Full paths of the projects to follow.")
    group: str | None = Field(
        default=None, description="Also follow every project of this group and its subgroups (full path)."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="The hook's secret token, sent back in X-Gitlab-Token (use ${ENV})."
    )
    webhook_signing_token: Annotated[SecretStr | None, AfterValidator(_signing_token)] = Field(
        default=None,
        description="The hook's signing token (whsec_...): deliveries must carry a valid webhook-signature (use ${ENV}).",
    )
    include_merge_requests: bool = Field(default=True, description="Also follow merge requests (merged is done).")
    in_progress_labels: list[str] = Field(
        default_factory=lambda: ["doing", "in progress", "in-progress"],
        description="An open issue or merge request with one of these labels is in progress (case-insensitive).",
    )
    in_progress_when_assigned: bool = Field(default=False, description="An assigned open issue is in progress.")
    dropped_labels: list[str] = Field(
        default_factory=lambda: ["wontfix"], description="A closed issue with one of these labels is dropped."
    )
    progress_field: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = Field(
        default=None,
        description=(
            "Name of a number custom field (GitLab Premium, defined in the top-level group) syncd writes the KR's "
            "progress to, 0-100, on every linked issue; merge requests are not work items and get none. Never the "
            "issue's weight."
        ),
    )

    @model_validator(mode="after")
    def _scope(self) -> Self:
        if not self.projects and not self.group:
            raise ValueError(f"gitlab source {self.name!r} needs projects or group")
        return self

    @property
    def instance(self) -> str:
        """`base_url` without a trailing slash (python-gitlab adds `/api/v4`)."""
        return self.base_url.rstrip("/").removesuffix("/api/v4")

    def top_group(self, project: str) -> str:
        """The top-level group a project lies in (where GitLab defines custom fields): `acme` of `acme/a/web`."""
        return project.partition("/")[0]

    def follows(self, project: str) -> bool:
        """Whether a project (full path) is listed, or lies in `group` or one of its subgroups."""
        wanted = project.lower()
        if any(listed.lower() == wanted for listed in self.projects):
            return True
        return self.group is not None and wanted.startswith(self.group.lower().rstrip("/") + "/")

    def is_dropped_label(self, labels: tuple[str, ...]) -> bool:
        """Whether one of `labels` is a `dropped_labels` label (case-insensitive)."""
        dropped = {label.casefold() for label in self.dropped_labels}
        return any(label.casefold() in dropped for label in labels)

    def is_in_progress_label(self, labels: tuple[str, ...]) -> bool:
        """Whether one of `labels` is an `in_progress_labels` label (case-insensitive)."""
        wanted = {label.casefold() for label in self.in_progress_labels}
        return any(label.casefold() in wanted for label in labels)
