"""`kind: asana` source config: token, workspace, projects, matching and state mapping, write targets."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from syncd.config.source import SourceConfig, StrictModel
from syncd.config.types import EnvironmentHttpUrl


class FieldValues(StrictModel):
    """Tasks whose custom field (by name or gid) has one of these enum values."""

    field: str
    values: list[str] = Field(min_length=1)


class StateRule(StrictModel):
    """Which sections or custom-field values put a task in a state."""

    sections: list[str] = Field(default_factory=list, description="Section names (case-insensitive).")
    custom_field: FieldValues | None = None


class AsanaMatching(StrictModel):
    """How Asana tasks link to KRs, besides tags."""

    tags: bool = Field(default=True, description="Tags like kr:ENG-1.2 link tasks (label_prefix applies).")
    enum_field: str | None = Field(default=None, description="A custom enum field whose value is a KR id.")
    project_krs: dict[str, list[str]] = Field(
        default_factory=dict, description="Project gid -> KR ids every task of that project counts towards."
    )


class AsanaSourceConfig(SourceConfig):
    """An Asana workspace connection."""

    kind: Literal["asana"]
    base_url: EnvironmentHttpUrl = "https://app.asana.com/api/1.0"
    token: SecretStr = Field(description="Personal access token or OAuth access token (use ${ENV}).")
    workspace: str
    projects: list[str] = Field(default_factory=list, description="Project gids to follow.")
    team: str | None = Field(default=None, description="Also follow every project of this team gid.")
    match: AsanaMatching = Field(default_factory=AsanaMatching)
    in_progress: StateRule = Field(default_factory=StateRule)
    dropped: StateRule = Field(default_factory=StateRule)
    include_subtasks: bool = False
    points_field: str | None = Field(default=None, description="Number custom field holding story points.")
    progress_field: str | None = Field(default=None, description="Custom field (gid or name) to write progress.")
    goals: dict[str, str] = Field(default_factory=dict, description="KR id -> Asana goal gid to feed.")
    plan: Literal["free", "premium"] = Field(default="premium", description="150 or 1,500 requests/min.")
    max_concurrent_writes: int = Field(default=15, ge=1, le=15)

    @model_validator(mode="after")
    def _scope(self) -> Self:
        if not self.projects and not self.team:
            raise ValueError(f"asana source {self.name!r} needs projects or team")
        return self

    @model_validator(mode="after")
    def _states_apart(self) -> Self:
        """A section or field value cannot mean both in progress and dropped."""
        both = {s.casefold() for s in self.in_progress.sections} & {s.casefold() for s in self.dropped.sections}
        if both:
            raise ValueError(f"asana source {self.name!r}: sections {sorted(both)} are both in_progress and dropped")
        progress, dropped = self.in_progress.custom_field, self.dropped.custom_field
        if progress and dropped and progress.field.casefold() == dropped.field.casefold():
            values = {v.casefold() for v in progress.values} & {v.casefold() for v in dropped.values}
            if values:
                raise ValueError(
                    f"asana source {self.name!r}: {progress.field} values {sorted(values)} are both in_progress and dropped"
                )
        return self
