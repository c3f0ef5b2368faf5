"""Pure mapping of Jira issue objects (search results, `GET /issue`, webhook `issue`) to `TaskSnapshot`.

The same function reads a search hit and a webhook's `issue`, so polling and webhooks agree on every
field. A task's external id is its issue key (`ENG-12`, what `/browse/ENG-12` links name); an issue moved
to another project gets a new key, and the mirror follows it there (or drops it when that project is not
followed). JQL dates are written here too: minute precision, in the API user's time zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from adapters.jira.config import JiraSourceConfig
from syncd.core.errors import MalformedPayload
from syncd.core.model import TaskSnapshot, TaskState

#: The issue fields every search and fetch asks for (besides the points field).
BASE_FIELDS = ("summary", "status", "resolution", "labels", "updated", "project", "assignee", "issuetype")
_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")


def is_issue_key(value: str) -> bool:
    """Whether `value` is a Jira issue key (`ENG-12`)."""
    return _KEY.match(value) is not None


def parse_timestamp(value: object, *, where: str) -> datetime:
    """A Jira timestamp as an aware datetime; MalformedPayload otherwise."""
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}: expected a Jira timestamp, got {str(value)[:100]!r}")
    try:  # Jira writes `2019-02-15T19:15:40.477-0800`: an offset without a colon, which Python 3.11 reads
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise MalformedPayload(f"{where}: {value[:100]!r} is not a Jira timestamp") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def jql_moment(moment: datetime, zone: tzinfo) -> str:
    """`moment` as a JQL date (`"2026/12/03 09:05"`), floored to the minute in the API user's time zone `zone`.

    Flooring reaches back at most a minute further, never forward: nothing updated at `moment` is missed."""
    local = moment.astimezone(zone)
    return local.strftime("%Y/%m/%d %H:%M")


def task_state(config: JiraSourceConfig, category: str | None, resolution: str | None) -> TaskState:
    """Status category `new` -> open, `indeterminate` -> in progress, `done` -> done, or dropped when its
    resolution is one of `dropped_resolutions` (a done issue without a resolution is done)."""
    if category == "done":
        return TaskState.DROPPED if config.is_dropped(resolution) else TaskState.DONE
    if category == "indeterminate":
        return TaskState.IN_PROGRESS
    return TaskState.OPEN


def _name(value: object, key: str = "name") -> str | None:
    found = value.get(key) if isinstance(value, Mapping) else None
    return found if isinstance(found, str) else None


def _labels(fields: Mapping[str, Any], where: str) -> tuple[str, ...]:
    labels = fields.get("labels") or []
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise MalformedPayload(f"{where}: `labels` is not a list of names")
    return tuple(labels)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def issue_key(issue: Mapping[str, Any], where: str = "issue") -> str:
    """The issue's key; MalformedPayload when it has none."""
    key = issue.get("key")
    if not isinstance(key, str) or not is_issue_key(key):
        raise MalformedPayload(f"{where}: `key` is missing or not a Jira issue key")
    return key


def project_of(issue: Mapping[str, Any]) -> str | None:
    """The key of the issue's project (from `fields.project`, else from the issue key)."""
    fields = issue.get("fields")
    project = _name(fields.get("project"), "key") if isinstance(fields, Mapping) else None
    if project is None and isinstance(issue.get("key"), str):
        project = str(issue["key"]).rpartition("-")[0] or None
    return project


def is_complete(issue: Mapping[str, Any]) -> bool:
    """Whether an issue object carries every field a snapshot needs (webhook payloads may not)."""
    fields = issue.get("fields")
    return isinstance(fields, Mapping) and all(name in fields for name in ("status", "updated", "labels"))


def snapshot_from_issue(
    config: JiraSourceConfig, issue: Mapping[str, Any], *, points_field: str | None = None
) -> TaskSnapshot:
    """A Jira issue object as a snapshot (`points_field` is the resolved story-points field id)."""
    key = issue_key(issue)
    where = f"issue {key}"
    fields = issue.get("fields")
    if not isinstance(fields, Mapping):
        raise MalformedPayload(f"{where}: `fields` is missing")
    status = fields.get("status")
    category = _name(status.get("statusCategory") if isinstance(status, Mapping) else None, "key")
    numbers: tuple[tuple[str, float], ...] = ()
    points = _number(fields.get(points_field)) if points_field else None
    if config.progress_field is None or points_field != config.progress_field:
        numbers = tuple((name, value) for name, raw in fields.items() if (value := _number(raw)) is not None)
    return TaskSnapshot(
        source=config.name,
        external_id=key,
        url=f"{config.site}/browse/{key}",
        title=str(fields.get("summary") or ""),
        state=task_state(config, category, _name(fields.get("resolution"))),
        updated_at=parse_timestamp(fields.get("updated"), where=f"{where}.updated"),
        labels=_labels(fields, where),
        points=points,
        assignee=_name(fields.get("assignee"), "accountId") or _name(fields.get("assignee"), "name"),
        container=project_of(issue) or "",
        kind=(_name(fields.get("issuetype")) or "issue").lower(),
        numbers=numbers,
    )


def search_fields(points_field: str | None) -> list[str]:
    """The `fields` a search or fetch asks for."""
    return [*BASE_FIELDS, points_field] if points_field else list(BASE_FIELDS)
