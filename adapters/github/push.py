"""Writes back to GitHub: one comment per task, a Projects v2 field, a summary issue per KR.

A task's progress record is its comment, found again by the hidden marker every rendering of it carries
(`MARKDOWN.marker`, `<!-- syncd:task=<source>:<external_id> -->`; the runtime hands over no marker, the
adapter knows its own). The comment is edited in place by its stored id; when that id is lost (or the
comment was deleted), or an earlier write's outcome is unknown (`PushWrite.unknown`: a crash or a lost
answer), the issue's comments are searched for the marker, and only when none has it is a new comment
created. Comments of ours beyond one (a create that landed after its answer was lost) are deleted, the
stored one (else the oldest) is kept, so a task ends with exactly one.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog

from adapters.github.client import GitHubClient
from adapters.github.config import GitHubSourceConfig
from adapters.github.normalize import external_id, split_external_id
from syncd.core.errors import NotFound, Permanent
from syncd.core.model import TaskRef
from syncd.core.render import MARKDOWN, render_field_value
from syncd.ports import PushWrite, WriteKind, WriteResult

log = structlog.get_logger("syncd.adapters.github")

FIELD_QUERY = """query SyncdProjectField($project: ID!, $field: String!) {
  node(id: $project) {
    ... on ProjectV2 { id title field(name: $field) { ... on ProjectV2FieldCommon { id name dataType } } }
  }
}"""
ITEMS_QUERY = """query SyncdProjectItems($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    issueOrPullRequest(number: $number) {
      ... on Issue { projectItems(first: 100) { nodes { id project { id } } } }
      ... on PullRequest { projectItems(first: 100) { nodes { id project { id } } } }
    }
  }
}"""
SET_FIELD_MUTATION = """mutation SyncdSetProjectField($input: UpdateProjectV2ItemFieldValueInput!) {
  updateProjectV2ItemFieldValue(input: $input) { projectV2Item { id } }
}"""


def record_marker(task: TaskRef) -> str:
    """The hidden marker a task's progress record is found again by: the Markdown renderer's, to the byte."""
    return MARKDOWN.marker(task)


def summary_marker(key: str) -> str:
    """The hidden marker of a KR's summary issue."""
    return f"<!-- syncd:kr={key} -->"


def with_marker(text: str, marker: str) -> str:
    """The text, ending with its marker (added when the rendering left it out)."""
    return text if marker in text else f"{text}\n\n{marker}"


class Pusher:
    """Applies `PushWrite`s for one GitHub source."""

    def __init__(self, config: GitHubSourceConfig, client: GitHubClient) -> None:
        self.config = config
        self.client = client
        self._field: tuple[str, str] | None = None  # (field id, data type)
        self._lock = threading.Lock()

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Dispatch one write by kind (`task` is the task of a comment write; None: the source's `key`)."""
        if write.kind is WriteKind.COMMENT:
            return self.comment(task or TaskRef(self.config.name, write.key), write)
        if write.kind is WriteKind.FIELD:
            return self.field(write)
        if write.kind is WriteKind.SUMMARY:
            return self.summary(write)
        raise Permanent(f"source {self.config.name}: GitHub has no {write.kind.value} targets; remove it from push")

    # -- comments --------------------------------------------------------------------------------

    def comment(self, task: TaskRef, write: PushWrite) -> WriteResult:
        """Edit the task's progress record in place, else find it by its marker, else create it."""
        repo, number = self._task(write.key)
        marker = record_marker(task)
        text = with_marker(self._text(write), marker)
        stored = int(write.remote_id) if write.remote_id and write.remote_id.isdigit() else None
        if stored is not None and not write.unknown:
            try:
                self.client.edit_comment(repo, number, stored, text)
                return WriteResult(write.remote_id)
            except NotFound:
                log.warning("push.comment_lost", source=self.config.name, task=write.key, comment=write.remote_id)
        ours = [(comment_id, body) for comment_id, body in self.client.issue_comments(repo, number) if marker in body]
        if ours:
            return WriteResult(str(self._keep_one(repo, number, ours, key=write.key, stored=stored, text=text)))
        comment_id = self.client.create_comment(repo, number, text)
        log.info("push.comment_created", source=self.config.name, task=write.key, comment=comment_id)
        return WriteResult(str(comment_id), created=True)

    def _keep_one(
        self, repo: str, number: int, ours: list[tuple[int, str]], *, key: str, stored: int | None, text: str
    ) -> int:
        """Of our comments on an issue keep the stored one (else the oldest) with `text`; delete the others."""
        keep, body = next(((i, b) for i, b in ours if i == stored), ours[0])
        for comment_id, _ in ours:
            if comment_id != keep:
                self.client.delete_comment(repo, number, comment_id)
                log.warning("push.comment_duplicate_deleted", source=self.config.name, task=key, comment=comment_id)
        if body != text:
            self.client.edit_comment(repo, number, keep, text)
        if keep != stored:
            log.info("push.comment_recovered", source=self.config.name, task=key, comment=keep)
        return keep

    def _task(self, key: str) -> tuple[str, int]:
        try:
            return split_external_id(key)
        except ValueError as error:
            raise Permanent(f"source {self.config.name}: cannot write to {key!r}: {error}") from error

    def _text(self, write: PushWrite) -> str:
        if write.text is None:
            raise Permanent(f"source {self.config.name}: a {write.kind.value} write to {write.key} carries no text")
        return write.text

    # -- summary issues --------------------------------------------------------------------------

    def summary(self, write: PushWrite) -> WriteResult:
        """Edit the KR's summary issue body, else find it by marker among labelled issues, else open it."""
        home = self.config.summary_home()
        if not self.config.summary_issues or home is None:
            raise Permanent(f"source {self.config.name}: summary issues are off (set summary_issues: true)")
        marker = summary_marker(write.key)
        text = with_marker(self._text(write), marker)
        if write.remote_id:
            try:
                repo, number = split_external_id(write.remote_id)
                self.client.edit_issue_body(repo, number, text)
                return WriteResult(write.remote_id)
            except (ValueError, NotFound):
                log.warning("push.summary_lost", source=self.config.name, kr=write.key, issue=write.remote_id)
        for number, body in self.client.labelled_issues(home, self.config.summary_label):
            if marker in body:
                if body != text:
                    self.client.edit_issue_body(home, number, text)
                return WriteResult(external_id(home, number))
        title = f"Key result {write.key}: progress"
        number = self.client.create_issue(home, title, text, [self.config.summary_label])
        return WriteResult(external_id(home, number))

    # -- Projects v2 field -----------------------------------------------------------------------

    def project_field(self) -> tuple[str, str]:
        """(field id, data type) of the configured Projects v2 field, looked up once."""
        target = self.config.project_field
        if target is None:
            raise Permanent(f"source {self.config.name}: no project_field is configured")
        with self._lock:
            if self._field is None:
                data = self.client.graphql(FIELD_QUERY, {"project": target.project_id, "field": target.field})
                field = (data.get("node") or {}).get("field")
                if not isinstance(field, dict) or field.get("dataType") not in ("NUMBER", "TEXT"):
                    raise Permanent(
                        f"source {self.config.name}: project {target.project_id} has no number or text field "
                        f"named {target.field!r}; create one or fix project_field.field"
                    )
                self._field = (str(field["id"]), str(field["dataType"]))
            return self._field

    def field(self, write: PushWrite) -> WriteResult:
        """Set the field on the task's project item (its id is kept as the write's remote id)."""
        target = self.config.project_field
        if target is None:
            raise Permanent(f"source {self.config.name}: no project_field is configured")
        field_id, data_type = self.project_field()
        value = self._value(write, data_type)
        item_id = write.remote_id or self._item_id(write.key, target.project_id)
        try:
            self._set(target.project_id, item_id, field_id, value)
        except NotFound:
            if not write.remote_id:
                raise
            item_id = self._item_id(write.key, target.project_id)  # the stored item left the project
            self._set(target.project_id, item_id, field_id, value)
        return WriteResult(item_id)

    def _value(self, write: PushWrite, data_type: str) -> dict[str, Any]:
        if data_type == "NUMBER":
            if write.number is None:
                raise Permanent(f"source {self.config.name}: the number field write to {write.key} has no number")
            return {"number": render_field_value(write.number, "fraction")}
        return {"text": write.text if write.text is not None else render_field_value(write.number or 0.0, "text")}

    def _item_id(self, key: str, project_id: str) -> str:
        repo, number = self._task(key)
        owner, name = repo.split("/")
        data = self.client.graphql(ITEMS_QUERY, {"owner": owner, "name": name, "number": number})
        found = ((data.get("repository") or {}).get("issueOrPullRequest") or {}).get("projectItems") or {}
        for node in found.get("nodes") or []:
            if (node.get("project") or {}).get("id") == project_id:
                return str(node["id"])
        raise NotFound(f"{key} is not an item of project {project_id}; add it to the project to get its field set")

    def _set(self, project_id: str, item_id: str, field_id: str, value: dict[str, Any]) -> None:
        payload = {"projectId": project_id, "itemId": item_id, "fieldId": field_id, "value": value}
        self.client.graphql(SET_FIELD_MUTATION, {"input": payload})
