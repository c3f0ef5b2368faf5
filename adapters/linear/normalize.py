"""Pure mapping of Linear issues (GraphQL `Issue` nodes and webhook `data`) to `TaskSnapshot`.

A task's external id is the issue's identifier (`ENG-12`, what `linear.app/<org>/issue/ENG-12/...` links
name). Moving an issue to another team gives it a new identifier (the old one goes to
`previousIdentifiers`), and the mirror follows it there, or drops it when that team is not followed.
States come from the workflow state's `type`; a label in a label group also reads as `group:name`, so the
child `ENG-1.2` of a group `kr` links like a `kr:ENG-1.2` label; `estimate` is the task's points. A trashed
issue leaves its KRs (deleted); an archived one stays counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.linear.config import LinearSourceConfig
from syncd.core.errors import MalformedPayload
from syncd.core.model import TaskSnapshot, TaskState

#: Workflow state types (`WorkflowState.type`) and the task state each one is.
STATE_TYPES = {
    "triage": TaskState.OPEN,
    "backlog": TaskState.OPEN,
    "unstarted": TaskState.OPEN,
    "started": TaskState.IN_PROGRESS,
    "completed": TaskState.DONE,
    "canceled": TaskState.DROPPED,
    "duplicate": TaskState.DROPPED,
}
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]*-\d+$")


def is_identifier(value: str) -> bool:
    """Whether `value` is a Linear issue identifier (`ENG-12`)."""
    return _IDENTIFIER.match(value) is not None


def task_state(state_type: object) -> TaskState:
    """A workflow state type as a task state (an unknown type reads as open)."""
    return STATE_TYPES.get(str(state_type).lower(), TaskState.OPEN)


def parse_timestamp(value: object, *, where: str) -> datetime:
    """A Linear timestamp (`2023-04-11T10:16:53.022Z`) as an aware datetime; MalformedPayload otherwise."""
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}: expected a timestamp, got {str(value)[:100]!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise MalformedPayload(f"{where}: {value[:100]!r} is not a timestamp") from error
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _text(value: object, key: str) -> str | None:
    found = value.get(key) if isinstance(value, Mapping) else None
    return found if isinstance(found, str) else None


def team_key(issue: Mapping[str, Any]) -> str | None:
    """The key of the issue's team (`team.key`, else the identifier's prefix)."""
    key = _text(issue.get("team"), "key")
    identifier = issue.get("identifier")
    if key is None and isinstance(identifier, str) and is_identifier(identifier):
        key = identifier.rpartition("-")[0]
    return key


def identifier_of(issue: Mapping[str, Any], where: str = "issue") -> str:
    """The issue's identifier (`identifier`, or the team key and `number` of a payload without it)."""
    identifier = issue.get("identifier")
    if isinstance(identifier, str) and is_identifier(identifier):
        return identifier
    number, key = issue.get("number"), team_key(issue)
    if isinstance(number, int | float) and not isinstance(number, bool) and key:
        return f"{key}-{int(number)}"
    raise MalformedPayload(f"{where}: neither `identifier` nor `team.key` with `number` names the issue")


def previous_identifiers(issue: Mapping[str, Any]) -> tuple[str, ...]:
    """Identifiers the issue had in other teams before (`previousIdentifiers`)."""
    found = issue.get("previousIdentifiers")
    return tuple(v for v in found if isinstance(v, str) and is_identifier(v)) if isinstance(found, list) else ()


def _label_nodes(issue: Mapping[str, Any], where: str) -> list[Mapping[str, Any]]:
    labels = issue.get("labels")
    nodes = labels.get("nodes") if isinstance(labels, Mapping) else labels
    if nodes is None:
        return []
    if not isinstance(nodes, list) or not all(isinstance(node, Mapping) for node in nodes):
        raise MalformedPayload(f"{where}: `labels` is not a list of labels")
    return nodes


def label_names(issue: Mapping[str, Any], where: str = "issue") -> tuple[str, ...]:
    """Every label's name, and `group:name` for a label in a group (`parent.name`)."""
    names: list[str] = []
    for node in _label_nodes(issue, where):
        name = node.get("name")
        if not isinstance(name, str):
            raise MalformedPayload(f"{where}: a label has no name")
        names.append(name)
        group = _text(node.get("parent"), "name")
        if group:
            names.append(f"{group}:{name}")
    return tuple(dict.fromkeys(names))


def has_unnamed_groups(issue: Mapping[str, Any]) -> bool:
    """Whether a label is in a group the object does not name (webhook labels carry only `parentId`)."""
    return any(node.get("parentId") and not isinstance(node.get("parent"), Mapping) for node in _label_nodes(issue, ""))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def snapshot_from_issue(
    config: LinearSourceConfig, issue: Mapping[str, Any], *, url: str | None = None
) -> TaskSnapshot:
    """A Linear issue object as a snapshot (`url`: the webhook envelope's, for payloads whose data has none)."""
    identifier = identifier_of(issue)
    where = f"issue {identifier}"
    state = issue.get("state")
    state_type = state.get("type") if isinstance(state, Mapping) else None
    if state_type is None:
        raise MalformedPayload(f"{where}: `state.type` is missing")
    estimate = _number(issue.get("estimate"))
    return TaskSnapshot(
        source=config.name,
        external_id=identifier,
        url=str(issue.get("url") or url or f"https://linear.app/issue/{identifier}"),
        title=str(issue.get("title") or ""),
        state=task_state(state_type),
        updated_at=parse_timestamp(issue.get("updatedAt"), where=f"{where}.updatedAt"),
        labels=label_names(issue, where),
        points=estimate,
        assignee=_text(issue.get("assignee"), "id") or _text(issue, "assigneeId"),
        deleted=issue.get("trashed") is True,
        container=team_key(issue) or "",
        kind="issue",
        numbers=(("estimate", estimate),) if estimate is not None else (),
    )
