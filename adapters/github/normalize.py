"""Pure mapping of GitHub issue and pull-request payloads to `TaskSnapshot` (no I/O).

The same functions read REST issue objects (`GET /repos/{o}/{r}/issues`), webhook `issue` objects
and webhook `pull_request` objects, so polling and webhooks agree on every field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
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
        raise MalformedPayload(f"{where}: expected an ISO 8601 timestamp, got {value!r}")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise MalformedPayload(f"{where}: {value!r} is not an ISO 8601 timestamp") from error


def repo_of_issue(issue: Mapping[str, Any]) -> str:
    """`owner/repo` of a REST or webhook issue object, from its `repository_url`."""
    match = _REPOSITORY_URL.search(str(issue.get("repository_url", "")))
    if match is None:
        raise MalformedPayload(f"issue {issue.get('number')!r} has no repository_url naming owner/repo")
    return match.group(1)


def is_pull_request(issue: Mapping[str, Any]) -> bool:
    """Whether an issue object stands for a pull request."""
    return issue.get("pull_request") is not None


def _require(payload: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = payload.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MalformedPayload(f"{where}: `{key}` is missing or not a {kind.__name__}")
    return value


def _labels(payload: Mapping[str, Any]) -> tuple[str, ...]:
    labels = payload.get("labels") or []
    return tuple(label["name"] if isinstance(label, Mapping) else str(label) for label in labels)


def _assignee(payload: Mapping[str, Any]) -> str | None:
    assignee = payload.get("assignee") or next(iter(payload.get("assignees") or []), None)
    return str(assignee["login"]) if isinstance(assignee, Mapping) and "login" in assignee else None


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
    labels, assignee = _labels(payload), _assignee(payload)
    return TaskSnapshot(
        source=config.name,
        external_id=external_id(repo, number),
        url=str(payload.get("html_url") or ""),
        title=str(payload.get("title") or ""),
        state=task_state(
            config,
            open_=state == "open",
            state_reason=payload.get("state_reason"),
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
    merged = pull and bool((issue.get("pull_request") or {}).get("merged_at"))
    where = f"issue {issue.get('number', '?')}"
    return _snapshot(config, repo or repo_of_issue(issue), issue, pull=pull, merged=merged, where=where)


def snapshot_from_pull_request(config: GitHubSourceConfig, pull: Mapping[str, Any], repo: str) -> TaskSnapshot:
    """A webhook `pull_request` object as a snapshot."""
    merged = bool(pull.get("merged")) or bool(pull.get("merged_at"))
    return _snapshot(config, repo, pull, pull=True, merged=merged, where=f"pull request {pull.get('number', '?')}")


def removed_id(issue: Mapping[str, Any], repo: str) -> str:
    """The id of an issue that left the source (deleted or transferred away)."""
    return external_id(repo, _require(issue, "number", int, f"issue in {repo}"))
