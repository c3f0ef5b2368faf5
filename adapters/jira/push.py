"""Writes back to Jira: one progress comment per issue, edited in place, and the progress number field.

The comment comes rendered as ADF; on Data Center / Server it is sent as wiki markup (`adapters.jira.wiki`).
Neither keeps hidden text, so the comment is found again without a marker: the issue carries the entity
property `syncd.progress` naming its comment (`{"source": ..., "commentId": ...}`), and the comment itself
is created with a comment property `syncd.progress` (`{"source": ...}`) in the same request. The comment is
edited by its stored id; when that is lost, through the issue property; when an earlier write's outcome is
unknown (`PushWrite.unknown`) or the property names no live comment, the issue's comments are read with
their properties, ours beyond one are deleted (the stored one, else the oldest, is kept), and only when
none is ours is a comment created. Edits and field writes pass `notifyUsers=false`: watchers get no mail.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import structlog

from adapters.jira.client import CommentBody, JiraClient
from adapters.jira.config import JiraSourceConfig
from adapters.jira.normalize import is_issue_key
from adapters.jira.wiki import wiki_markup
from syncd.core.errors import NotFound, Permanent
from syncd.core.model import TaskRef
from syncd.core.render import render_field_value
from syncd.ports import PushWrite, WriteKind, WriteResult

log = structlog.get_logger("syncd.adapters.jira")

#: The issue (and comment) entity property that finds a task's progress comment again.
PROGRESS_PROPERTY = "syncd.progress"


def is_ours(comment: dict[str, Any], source: str) -> bool:
    """Whether a comment (read with `expand=properties`) is the progress comment of source `source`."""
    for prop in comment.get("properties") or ():
        value = prop.get("value") if isinstance(prop, dict) else None
        if prop.get("key") == PROGRESS_PROPERTY and isinstance(value, dict) and value.get("source") == source:
            return True
    return False


class Pusher:
    """Applies `PushWrite`s for one Jira source."""

    def __init__(self, config: JiraSourceConfig, client: JiraClient, progress_field: Callable[[], str | None]) -> None:
        self.config = config
        self.client = client
        self._progress_field = progress_field

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Dispatch one write by kind."""
        if write.kind is WriteKind.COMMENT:
            return self.comment(self._key(write.key), write)
        if write.kind is WriteKind.FIELD:
            return self.field(self._key(write.key), write)
        raise Permanent(f"source {self.config.name}: Jira has no {write.kind.value} targets; remove it from push")

    # -- the progress comment ----------------------------------------------------------------------
    def comment(self, key: str, write: PushWrite) -> WriteResult:
        """Edit the issue's progress comment in place, else find it (property, then comments), else create it."""
        body = self._body(write)
        if not write.unknown:
            if write.remote_id and self._edit(key, write.remote_id, body):
                return WriteResult(write.remote_id)
            candidate = self._property_comment(key)
            if candidate and candidate != write.remote_id and self._edit(key, candidate, body):
                self._remember(key, candidate)
                log.info("push.comment_recovered", source=self.config.name, task=key, comment=candidate)
                return WriteResult(candidate)
        ours = [str(c["id"]) for c in self.client.comments(key) if is_ours(c, self.config.name) and "id" in c]
        if ours:
            keep = write.remote_id if write.remote_id in ours else ours[0]
            for extra in ours:
                if extra != keep:
                    self.client.delete_comment(key, extra)
                    log.warning("push.comment_duplicate_deleted", source=self.config.name, task=key, comment=extra)
            self.client.update_comment(key, keep, body)
            self._remember(key, keep)
            return WriteResult(keep)
        created = self.client.create_comment(key, body, {PROGRESS_PROPERTY: {"source": self.config.name}})
        self._remember(key, created)
        log.info("push.comment_created", source=self.config.name, task=key, comment=created)
        return WriteResult(created, created=True)

    def _edit(self, key: str, comment_id: str, body: CommentBody) -> bool:
        try:
            self.client.update_comment(key, comment_id, body)
        except NotFound:
            log.warning("push.comment_lost", source=self.config.name, task=key, comment=comment_id)
            return False
        return True

    def _property_comment(self, key: str) -> str | None:
        value = self.client.issue_property(key, PROGRESS_PROPERTY)
        found = value.get("commentId") if isinstance(value, dict) and value.get("source") == self.config.name else None
        return str(found) if found else None

    def _remember(self, key: str, comment_id: str) -> None:
        self.client.set_issue_property(key, PROGRESS_PROPERTY, {"source": self.config.name, "commentId": comment_id})

    def _body(self, write: PushWrite) -> CommentBody:
        """The comment as this site takes it: the ADF document (Cloud), or that document as wiki markup."""
        document = self._document(write)
        return document if self.client.deployment().cloud else wiki_markup(document)

    def _document(self, write: PushWrite) -> dict[str, Any]:
        try:
            document = json.loads(write.text or "")
        except ValueError:
            document = None
        if not isinstance(document, dict) or document.get("type") != "doc":
            raise Permanent(f"source {self.config.name}: the comment for {write.key} is not an ADF document")
        return document

    # -- the progress field ------------------------------------------------------------------------
    def field(self, key: str, write: PushWrite) -> WriteResult:
        """Set `progress_field` to the KR's progress, 0-100 (`PUT /issue/{key}`, no notification)."""
        field_id = self._progress_field()
        if field_id is None:
            raise Permanent(f"source {self.config.name}: no progress_field is configured")
        if write.number is None:
            raise Permanent(f"source {self.config.name}: the field write to {key} carries no number")
        self.client.edit_fields(key, {field_id: render_field_value(write.number, "percent")})
        return WriteResult(key)

    def _key(self, key: str) -> str:
        if not is_issue_key(key):
            raise Permanent(f"source {self.config.name}: cannot write to {key!r}: it is not a Jira issue key")
        return key
