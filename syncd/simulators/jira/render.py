"""Simulated records in Jira's JSON shapes: issues (with only the fields asked for), comments, users; and how a
comment body (ADF or wiki markup) reads to a person."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from syncd.simulators.jira.state import RESOLUTIONS, STATUSES, AdminHook, Comment, Issue

CATEGORY_NAMES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}
ACCOUNT_ID = "5b10a2844c20165700ede21g"
#: In wiki markup: an escaped character (kept), a mark's delimiter or a bullet (dropped).
_WIKI_TOKEN = re.compile(r"\\(.)|\{\{|\}\}|^\*+ |(?<!\w)[*_]|[*_](?!\w)", re.M)


def body_text(body: object) -> str:
    """The text a comment body shows: ADF reduced to its text (paragraphs on their own lines), or wiki markup
    without its marks (a forced line break as a new line)."""
    if isinstance(body, str):
        return _WIKI_TOKEN.sub(lambda found: found.group(1) or "", body.replace("\\\\ ", "\n"))
    if isinstance(body, dict):
        if body.get("type") == "text":
            return str(body.get("text", ""))
        inner = "".join(body_text(child) for child in body.get("content") or ())
        return inner + "\n" if body.get("type") == "paragraph" else inner
    if isinstance(body, list):
        return "".join(body_text(child) for child in body)
    return ""


def timestamp(moment: datetime) -> str:
    """Jira's `2026-12-03T12:05:01.123+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def user_json(site: str, display_name: str, email: str, time_zone: str) -> dict[str, Any]:
    """The API user as `GET /myself` and webhook `user` show it."""
    return {
        "self": f"{site}/rest/api/3/user?accountId={ACCOUNT_ID}",
        "accountId": ACCOUNT_ID,
        "accountType": "atlassian",
        "emailAddress": email,
        "displayName": display_name,
        "active": True,
        "timeZone": time_zone,
        "locale": "en_US",
    }


def _field_values(site: str, issue: Issue) -> dict[str, Any]:
    name, status_id, category_id = STATUSES[issue.category]
    resolution = (
        None
        if issue.resolution is None
        else {"self": f"{site}/rest/api/3/resolution/{RESOLUTIONS.get(issue.resolution, '10099')}",
              "id": RESOLUTIONS.get(issue.resolution, "10099"), "name": issue.resolution, "description": ""}
    )  # fmt: skip
    return {
        "summary": issue.summary,
        "status": {
            "self": f"{site}/rest/api/3/status/{status_id}",
            "name": name,
            "id": status_id,
            "statusCategory": {
                "self": f"{site}/rest/api/3/statuscategory/{category_id}",
                "id": category_id,
                "key": issue.category,
                "name": CATEGORY_NAMES[issue.category],
            },
        },
        "resolution": resolution,
        "labels": list(issue.labels),
        "updated": timestamp(issue.updated),
        "created": timestamp(issue.created),
        "project": {
            "self": f"{site}/rest/api/3/project/{issue.project}",
            "id": str(10000 + sum(map(ord, issue.project))),
            "key": issue.project,
            "name": issue.project,
            "projectTypeKey": "software",
        },
        "assignee": None,
        "issuetype": {
            "self": f"{site}/rest/api/3/issuetype/10001",
            "id": "10001",
            "name": issue.issue_type,
            "subtask": False,
        },
        **issue.fields,
    }


def issue_json(site: str, issue: Issue, fields: Sequence[str] | None = None) -> dict[str, Any]:
    """An issue as search and `GET /issue` answer it: `fields` only (None or `*all`: every field)."""
    values = _field_values(site, issue)
    if fields is not None and "*all" not in fields and "*navigable" not in fields:
        values = {name: values.get(name) for name in fields if name in values or name.startswith("customfield_")}
    return {"id": str(issue.id), "key": issue.key, "self": f"{site}/rest/api/3/issue/{issue.id}", "fields": values}


def comment_json(site: str, comment: Comment, *, properties: bool = False) -> dict[str, Any]:
    """A comment as the comment endpoints answer it (`properties` with `expand=properties`)."""
    author = {"accountId": ACCOUNT_ID if comment.author == "api" else "5c5f880629be9642ba529340",
              "displayName": "syncd" if comment.author == "api" else comment.author, "active": True}  # fmt: skip
    record: dict[str, Any] = {
        "self": f"{site}/rest/api/3/issue/{comment.issue_id}/comment/{comment.id}",
        "id": comment.id,
        "author": author,
        "updateAuthor": author,
        "body": comment.body,
        "created": timestamp(comment.created),
        "updated": timestamp(comment.updated),
        "jsdPublic": True,
    }
    if properties:
        record["properties"] = [{"key": key, "value": value} for key, value in comment.properties.items()]
    return record


def hook_json(site: str, hook: AdminHook) -> dict[str, Any]:
    """An admin webhook as `/rest/webhooks/1.0/webhook` answers it (the secret is never shown back)."""
    return {
        "self": f"{site}/rest/webhooks/1.0/webhook/{hook.id}",
        "name": hook.name,
        "url": hook.url,
        "events": list(hook.events),
        "filters": {"issue-related-events-section": hook.jql},
        "excludeBody": hook.exclude_body,
        "enabled": hook.enabled,
    }
