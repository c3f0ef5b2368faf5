"""Pure mapping of GitHub issue and pull-request payloads to `TaskSnapshot` (no I/O).

The same functions read REST issue objects (`GET /repos/{o}/{r}/issues`), webhook `issue` objects
and webhook `pull_request` objects, so polling and webhooks agree on every field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.github.config import GitHubSourceConfig
from syncd.core.errors import MalformedPayload
from syncd.core.model import TaskSnapshot, TaskState

_REPOSITORY_URL = re.compile(r"/repos/([^/]+/[^/]+)/?$")


def external_id(repo: str, number: int) -> str:
    """A task's id: `owner/repo#number`."""
    return f"{repo}#{number}"


def split_external_id(task_id: str) -> tuple[str, int]:
    """`owner/repo#12` -> (`owner/repo`, 12); ValueError when it is not one of ours."""
    repo, sep, number = task_id.rpartition("#")
    if not sep or repo.count("/") != 1 or not number.isdigit():
        raise ValueError(f"{task_id!r} is not a GitHub task id (owner/repo#number)")
    return repo, int(number)


def parse_timestamp(value: object, *, where: str) -> datetime:
    """GitHub's ISO 8601 timestamp as an aware datetime; MalformedPayload otherwise."""
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}: expected an ISO 8601 timestamp, got {str(value)[:100]!r}")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise MalformedPayload(f"{where}: {value[:100]!r} is not an ISO 8601 timestamp") from error
    # GitHub always says Z; a time without a zone is read as UTC rather than compared naive with aware ones.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def repo_of_issue(issue: Mapping[str, Any]) -> str:
    """`owner/repo` of a REST or webhook issue object, from its `repository_url`."""
    match = _REPOSITORY_URL.search(str(issue.get("repository_url", "")))
    if match is None:
        raise MalformedPayload(f"issue {issue.get('number')!r} has no repository_url naming owner/repo")
    return match.group(1)


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    """Whether an issue object stands for a pull request."""
    return issue.get("pull_request") is not None


def _merged(issue: Mapping[str, Any]) -> bool:
    """Whether an issue object's `pull_request` part says it was merged."""
    pull = issue.get("pull_request")
    return isinstance(pull, Mapping) and bool(pull.get("merged_at"))


def _require(payload: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedPayload(f"{where}: `{key}` is missing or not a {kind.__name__}")
    return value


def _labels(payload: Mapping[str, Any], where: str) -> tuple[str, ...]:
    labels = payload.get("labels") or []
    if not isinstance(labels, list):
        raise MalformedPayload(f"{where}: `labels` is not a list")
    return tuple(_label_name(label, where) for label in labels)


def _label_name(label: object, where: str) -> str:
    """A label object's name (REST and webhooks), or a bare name."""
    name = label.get("name") if isinstance(label, Mapping) else label
    if not isinstance(name, str):
        raise MalformedPayload(f"{where}: a label has no name")
    return name


def _assignee(payload: Mapping[str, Any]) -> str | None:
    assignees = payload.get("assignees")
    assignee = payload.get("assignee") or (assignees[0] if isinstance(assignees, list) and assignees else None)
    return str(assignee["login"]) if isinstance(assignee, Mapping) and "login" in assignee else None


def _text(value: object) -> str | None:
    """A string field as given, anything else as absent."""
    return value if isinstance(value, str) else None


def task_state(
    config: GitHubSourceConfig,
    *,
    open_: bool,
    state_reason: str | None,
    pull: bool,
    merged: bool,
    draft: bool,
    labels: tuple[str, ...],
    assignee: str | None,
) -> TaskState:
    """Issue 4's state mapping: merged -> done, closed-unmerged PR or dropped reason -> dropped, else done;
    open -> in_progress by label, assignee or draft rule, else open."""
    if not open_:
        if pull:
            return TaskState.DONE if merged else TaskState.DROPPED
        dropped = {reason.lower() for reason in config.dropped_state_reasons}
        return TaskState.DROPPED if (state_reason or "").lower() in dropped else TaskState.DONE
    progress_labels = {label.lower() for label in config.in_progress_labels}
    if any(label.lower() in progress_labels for label in labels):
        return TaskState.IN_PROGRESS
    if config.in_progress_when_assigned and assignee is not None:
        return TaskState.IN_PROGRESS
    if pull and draft and config.draft_prs_in_progress:
        return TaskState.IN_PROGRESS
    return TaskState.OPEN


def _snapshot(
    config: GitHubSourceConfig, repo: str, payload: Mapping[str, Any], *, pull: bool, merged: bool, where: str
) -> TaskSnapshot:
    number = _require(payload, "number", int, where)
    state = _require(payload, "state", str, where)
    labels, assignee = _labels(payload, where), _assignee(payload)
    return TaskSnapshot(
        source=config.name,
        external_id=external_id(repo, number),
        url=str(payload.get("html_url") or ""),
        title=str(payload.get("title") or ""),
        state=task_state(
            config,
            open_=state == "open",
            state_reason=_text(payload.get("state_reason")),
            pull=pull,
            merged=merged,
            draft=bool(payload.get("draft")),
            labels=labels,
            assignee=assignee,
        ),
        updated_at=parse_timestamp(payload.get("updated_at"), where=f"{where}.updated_at"),
        labels=labels,
        assignee=assignee,
        container=repo,
        kind="pull_request" if pull else "issue",
    )


def snapshot_from_issue(config: GitHubSourceConfig, issue: Mapping[str, Any], repo: str | None = None) -> TaskSnapshot:
    """A REST/webhook issue object (pull requests included) as a snapshot; `repo` defaults to its own."""
    pull = is_pull_request(issue)
    merged = pull and _merged(issue)
    where = f"issue {str(issue.get('number', '?'))[:30]}"
    return _snapshot(config, repo or repo_of_issue(issue), issue, pull=pull, merged=merged, where=where)


def snapshot_from_pull_request(config: GitHubSourceConfig, pull: Mapping[str, Any], repo: str) -> TaskSnapshot:
    """A webhook `pull_request` object as a snapshot."""
    merged = bool(pull.get("merged")) or bool(pull.get("merged_at"))
    return _snapshot(
        config, repo, pull, pull=True, merged=merged, where=f"pull request {str(pull.get('number', '?'))[:30]}"
    )


def removed_id(issue: Mapping[str, Any], repo: str) -> str:
    """The id of an issue that left the source (deleted or transferred away)."""
    return external_id(repo, _require(issue, "number", int, f"issue in {repo}"))
