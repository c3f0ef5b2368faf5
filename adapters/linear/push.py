"""Writes back to Linear: one Markdown progress comment per issue, and with `attachment: true` one attachment.

The comment's id is chosen by syncd before the call and derived, not stored: uuid5 of (source, issue id,
generation), so the same write after a lost answer, a crash or a restored store names the same comment.
`commentCreate` with that id either makes the comment or is refused as a duplicate (it landed before):
then `commentUpdate` edits it. Only when that comment is gone (a person deleted it; Linear keeps its id
taken) does the next generation's id make a new one, so an issue never has two. The attachment is created
with a url stable per source and issue; Linear updates the attachment it has for that url, so repeating it
is harmless. Issue identifiers map to ids through the adapter's memory of what it read, else one query.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import structlog

from adapters.linear.client import LinearClient
from adapters.linear.config import LinearSourceConfig
from adapters.linear.failures import Duplicate
from adapters.linear.normalize import is_identifier
from adapters.linear.render import attachment_subtitle, attachment_title
from syncd.core.errors import NotFound, Permanent
from syncd.core.model import TaskRef
from syncd.core.render import render_field_value, whole_percent
from syncd.ports import PushWrite, WriteKind, WriteResult

log = structlog.get_logger("syncd.adapters.linear")

#: The namespace of syncd's comment ids (uuid5 over source, issue id and generation).
COMMENT_NAMESPACE = uuid.UUID("6f1c5a1e-3b0d-5d7e-9a54-2c1b8f0e7d42")
#: How many comments may be deleted by people before syncd gives up on an issue (each takes its id along).
GENERATIONS = 8
#: Where the progress attachments point (Linear keys an issue's attachment by url; this one never resolves).
ATTACHMENT_ROOT = "https://syncd.invalid/progress"


def comment_id(source: str, issue_id: str, generation: int = 0) -> str:
    """The id syncd gives the progress comment of `issue_id` (a Linear UUID) for source `source`."""
    return str(uuid.uuid5(COMMENT_NAMESPACE, f"{source}/{issue_id}/{generation}"))


def attachment_url(source: str, issue_id: str) -> str:
    """The stable url of the progress attachment of one issue for one source."""
    return f"{ATTACHMENT_ROOT}/{source}/{issue_id}"


class Pusher:
    """Applies `PushWrite`s for one Linear source; `issue_id` maps an identifier to the issue's id."""

    def __init__(self, config: LinearSourceConfig, client: LinearClient, issue_id: Callable[[str], str]) -> None:
        self.config = config
        self.client = client
        self.issue_id = issue_id

    def apply(self, task: TaskRef | None, write: PushWrite) -> WriteResult:
        """Dispatch one write by kind."""
        if not is_identifier(write.key):
            raise Permanent(f"source {self.config.name}: cannot write to {write.key!r}: not a Linear identifier")
        if write.kind is WriteKind.COMMENT:
            return self.comment(self.issue_id(write.key), write)
        if write.kind is WriteKind.FIELD:
            return self.attachment(self.issue_id(write.key), write)
        raise Permanent(f"source {self.config.name}: Linear has no {write.kind.value} targets; remove it from push")

    # -- the progress comment ----------------------------------------------------------------------
    def comment(self, issue_id: str, write: PushWrite) -> WriteResult:
        """Edit the comment `remote_id` names; else create this generation's, or edit it when it exists."""
        body = write.text or ""
        if write.remote_id and not write.unknown and self._update(write.remote_id, body):
            return WriteResult(write.remote_id)
        for generation in range(GENERATIONS):
            chosen = comment_id(self.config.name, issue_id, generation)
            try:
                self.client.query(
                    "comment_create", {"input": {"id": chosen, "issueId": issue_id, "body": body}}, idempotent=False
                )
            except Duplicate:
                if self._update(chosen, body):
                    return WriteResult(chosen)
                continue  # deleted by a person; its id stays taken
            log.info("push.comment_created", source=self.config.name, issue=issue_id, comment=chosen)
            return WriteResult(chosen, created=True)
        raise Permanent(
            f"source {self.config.name}: {GENERATIONS} progress comments of issue {issue_id} were deleted; "
            "syncd stopped writing one (remove the task's kr: labels, or ask an admin)"
        )

    def _update(self, chosen: str, body: str) -> bool:
        try:
            self.client.query("comment_update", {"id": chosen, "input": {"body": body}})
        except NotFound:
            log.warning("push.comment_lost", source=self.config.name, comment=chosen)
            return False
        return True

    # -- the progress attachment -------------------------------------------------------------------
    def attachment(self, issue_id: str, write: PushWrite) -> WriteResult:
        """Create (Linear: or update, by url) the issue's progress attachment with the KR's progress."""
        if write.number is None:
            raise Permanent(f"source {self.config.name}: the attachment write to {write.key} carries no number")
        progress = write.number
        # The same whole percentage as the comment, so the sidebar and the comment never disagree.
        metadata = {"source": self.config.name, "progress": render_field_value(progress, "fraction"),
                    "percent": whole_percent(progress)}  # fmt: skip
        variables = {
            "input": {
                "issueId": issue_id,
                "url": attachment_url(self.config.name, issue_id),
                "title": attachment_title(progress),
                "subtitle": attachment_subtitle(progress),
                "metadata": metadata,
            }
        }
        answer = self.client.query("attachment_create", variables)
        attachment = (answer.get("attachmentCreate") or {}).get("attachment") or {}
        return WriteResult(str(attachment.get("id") or attachment_url(self.config.name, issue_id)))
