"""Writes back to GitLab: one note per issue or merge request, created once and edited in place, and the
progress custom field on issues when `progress_field` is set (`adapters.gitlab.fields`).

A task's progress record is its note, found again by the hidden marker every rendering of it carries (GitLab
notes are Markdown: `MARKDOWN.marker`, `<!-- syncd:task=<source>:<external_id> -->`). The note is edited by
its stored id; when that id is lost (or the note was deleted), or an earlier write's outcome is unknown
(`PushWrite.unknown`: a crash or a lost answer), the task's notes are searched for the marker, and only when
none has it is a note created. Notes of ours beyond one (a create that landed after its answer was lost) are
deleted, the stored one (else the oldest) is kept, so a task ends with exactly one. The field write's remote
id is the issue's work item id, so later writes need no REST read. The issue's `weight` is never touched: it
is the team's planning data.
"""

from __future__ import annotations

import structlog

from adapters.gitlab.client import GitLabClient
from adapters.gitlab.config import GitLabSourceConfig
from adapters.gitlab.failures import graphql_failure
from adapters.gitlab.fields import (
    SET_FIELD_MUTATION,
    WORK_ITEM_GID,
    ProgressFields,
    field_input,
    update_errors,
    work_item_gid,
)
from adapters.gitlab.normalize import ISSUE, TaskId, split_external_id
from syncd.core.errors import NotFound, Permanent
from syncd.core.model import TaskRef
from syncd.core.render import MARKDOWN, render_field_value
from syncd.ports import PushWrite, WriteKind, WriteResult

log = structlog.get_logger("syncd.adapters.gitlab")


def with_marker(text: str, marker: str) -> str:
    """The text, ending with its marker (added when the rendering left it out)."""
    return text if marker in text else f"{text}\n\n{marker}"


class Pusher:
    """Applies `PushWrite`s for one GitLab source."""

    def __init__(self, config: GitLabSourceConfig, client: GitLabClient, fields: ProgressFields) -> None:
        self.config = config
        self.client = client
        self.fields = fields

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Dispatch one write by kind: the progress note, or the progress field."""
        if write.kind is WriteKind.COMMENT:
            return self.note(task or TaskRef(self.config.name, write.key), write)
        if write.kind is WriteKind.FIELD:
            return self.field(write)
        raise Permanent(f"source {self.config.name}: GitLab has no {write.kind.value} targets; remove it from push")

    def field(self, write: PushWrite) -> WriteResult:
        """Set the issue's `progress_field` to the KR's progress, 0-100 (`workItemUpdate`; never `weight`)."""
        where = self._task(write.key)
        if where.kind != ISSUE:
            raise Permanent(
                f"source {self.config.name}: {write.key} is a merge request; merge requests are not work items "
                "and hold no custom fields (progress_field is written on issues only)"
            )
        if write.number is None:
            raise Permanent(f"source {self.config.name}: the field write to {write.key} carries no number")
        target = self.fields.for_project(where.project)
        known = write.remote_id if write.remote_id and write.remote_id.startswith(WORK_ITEM_GID) else None
        work_item = known or work_item_gid(self.client.get_item(where.project, where.kind, where.iid).get("id"))
        percent = float(render_field_value(write.number, "percent"))
        what = f"workItemUpdate of {write.key}"
        data = self.client.graphql(what, SET_FIELD_MUTATION, {"input": field_input(work_item, target, percent)})
        errors = update_errors(data)
        if errors:
            raise graphql_failure(errors, where=what)
        log.info("push.field_updated", source=self.config.name, task=write.key, field=target.name, value=percent)
        return WriteResult(work_item)

    def note(self, task: TaskRef, write: PushWrite) -> WriteResult:
        """Edit the task's progress note in place, else find it by its marker, else create it."""
        where = self._task(write.key)
        marker = MARKDOWN.marker(task)
        if write.text is None:
            raise Permanent(f"source {self.config.name}: the note write to {write.key} carries no text")
        text = with_marker(write.text, marker)
        stored = int(write.remote_id) if write.remote_id and write.remote_id.isdigit() else None
        if stored is not None and not write.unknown:
            try:
                self.client.edit_note(where.project, where.kind, where.iid, stored, text)
                return WriteResult(write.remote_id)
            except NotFound:
                log.warning("push.comment_lost", source=self.config.name, task=write.key, comment=write.remote_id)
        ours = [(i, body) for i, body in self.client.notes(where.project, where.kind, where.iid) if marker in body]
        if ours:
            return WriteResult(str(self._keep_one(where, ours, key=write.key, stored=stored, text=text)))
        note_id = self.client.create_note(where.project, where.kind, where.iid, text)
        log.info("push.comment_created", source=self.config.name, task=write.key, comment=note_id)
        return WriteResult(str(note_id), created=True)

    def _keep_one(self, where: TaskId, ours: list[tuple[int, str]], *, key: str, stored: int | None, text: str) -> int:
        """Of our notes on a task keep the stored one (else the oldest) with `text`; delete the others."""
        keep, body = next(((i, b) for i, b in ours if i == stored), ours[0])
        for note_id, _ in ours:
            if note_id != keep:
                self.client.delete_note(where.project, where.kind, where.iid, note_id)
                log.warning("push.comment_duplicate_deleted", source=self.config.name, task=key, comment=note_id)
        if body != text:
            self.client.edit_note(where.project, where.kind, where.iid, keep, text)
        if keep != stored:
            log.info("push.comment_recovered", source=self.config.name, task=key, comment=keep)
        return keep

    def _task(self, key: str) -> TaskId:
        try:
            return split_external_id(key)
        except ValueError as error:
            raise Permanent(f"source {self.config.name}: cannot write to {key!r}: {error}") from error
