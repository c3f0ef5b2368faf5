"""Writing progress back to Asana: one comment story per task, a custom field value, a goal metric.

A task's progress record is a comment story, found again by the visible marker every rendering of it
carries (`ASANA_RICH_TEXT.marker`, `[syncd <source>:<gid>]`: Asana keeps no hidden text; the runtime hands
over no marker, the adapter knows its own). It is edited in place (`PUT /stories/{gid}`) when its gid is
known; otherwise (or after a 404), or after a write of unknown outcome (`PushWrite.unknown`), the task's
stories are searched for the marker, and a comment is created only when none has it. Stories of ours beyond
one (a create that landed after its answer was lost) are deleted, the stored one (else the oldest) kept. The
progress field is resolved once from its gid or name; the runtime's fraction (0.25) is written as
0.25 to a percent field, 25 to a number field and "25%" to a text field.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import structlog

from adapters.asana.client import JSON, AsanaClient
from adapters.asana.config import AsanaSourceConfig
from adapters.asana.render import ASANA_RICH_TEXT
from syncd.core.errors import NotFound, Permanent
from syncd.core.model import TaskRef
from syncd.core.render import render_field_value
from syncd.ports import PushWrite, WriteResult

log = structlog.get_logger("syncd.adapters.asana")

STORY_FIELDS = "text,html_text,type,resource_subtype"
FIELD_FIELDS = "name,type,resource_subtype,format"
#: Our field kinds -> `render_field_value` styles: percent fields hold 0.25 for 25%, number fields 25.
FIELD_STYLES: dict[str, Literal["percent", "fraction", "text"]] = {
    "percent": "fraction",
    "number": "percent",
    "text": "text",
}
SETTING_FIELDS = ",".join(f"custom_field.{name}" for name in FIELD_FIELDS.split(","))


@dataclass(frozen=True, slots=True)
class FieldTarget:
    """The resolved progress field: its gid, name, and how its value is written (`percent`, `number`, `text`)."""

    gid: str
    name: str
    kind: str

    def value(self, fraction: float | None, text: str | None) -> float | str:
        """The value to send for a progress fraction (0-1), as the same whole percentage the comment shows."""
        if fraction is None:
            if self.kind == "text" and text is not None:
                return text
            raise Permanent(f"asana field {self.name!r} is a {self.kind} field and the write carries no number")
        return render_field_value(fraction, FIELD_STYLES[self.kind])


def field_target(field: JSON) -> FieldTarget:
    """A custom field record -> how we write it, or Permanent when its type cannot hold progress."""
    subtype = str(field.get("resource_subtype") or field.get("type") or "")
    name = str(field.get("name") or field.get("gid"))
    if subtype == "number":
        return FieldTarget(str(field["gid"]), name, "percent" if field.get("format") == "percentage" else "number")
    if subtype == "text":
        return FieldTarget(str(field["gid"]), name, "text")
    raise Permanent(
        f"asana custom field {name!r} is a {subtype or 'unknown'} field; progress needs a number, percent or text "
        "field: change progress_field or the field's type"
    )


def rich_text(text: str) -> str:
    """Asana comments are rich text wrapped in `<body>`; wrap the rendered comment if it is not."""
    stripped = text.strip()
    return stripped if stripped.startswith("<body>") else f"<body>{stripped}</body>"


class AsanaPusher:
    """Makes the three kinds of Asana writes for one source."""

    def __init__(self, client: AsanaClient, config: AsanaSourceConfig, projects: Callable[[], Sequence[str]]) -> None:
        self._client = client
        self._config = config
        self._projects = projects
        self._field: FieldTarget | None = None
        self._lock = threading.Lock()

    def comment(self, task: TaskRef, write: PushWrite) -> WriteResult:
        """Edit the task's progress record in place, else find it by its marker, else create it once."""
        html_text = rich_text(write.text or "")
        if write.remote_id and not write.unknown:
            try:
                return WriteResult(self._client.update_story(write.remote_id, html_text, "text")["gid"])
            except NotFound:
                pass  # The comment was deleted in Asana: look for another of ours, else create it again.
        found = self._ours(task.external_id, ASANA_RICH_TEXT.marker(task))
        if found:
            keep = self._keep_one(task, found, stored=write.remote_id)
            return WriteResult(self._client.update_story(keep, html_text, "text")["gid"])
        return WriteResult(self._client.create_story(task.external_id, html_text, "text")["gid"], created=True)

    def _keep_one(self, task: TaskRef, found: list[str], *, stored: str | None) -> str:
        """Of our stories on a task keep the stored one (else the oldest); delete the others."""
        keep = stored if stored in found else found[0]
        for story in found:
            if story != keep:
                try:
                    self._client.delete_story(story)
                except NotFound:
                    continue  # gone already (a person deleted it): nothing to repair
                log.warning(
                    "push.comment_duplicate_deleted", source=self._config.name, task=task.external_id, comment=story
                )
        if keep != stored:
            log.info("push.comment_recovered", source=self._config.name, task=task.external_id, comment=keep)
        return keep

    def field(self, task: str, write: PushWrite) -> WriteResult:
        """Set the progress field on the task."""
        target = self.progress_field()
        value = target.value(write.number, write.text)
        self._client.set_custom_fields(task, {target.gid: value}, "custom_fields.display_value")
        return WriteResult(target.gid)

    def goal(self, goal: str, write: PushWrite) -> WriteResult:
        """Set a goal's current metric value."""
        if write.number is None:
            raise Permanent(f"asana goal {goal}: the write for KR {write.key} carries no number")
        self._client.set_goal_metric(goal, write.number, "metric.current_number_value")
        return WriteResult(goal)

    def progress_field(self) -> FieldTarget:
        """The configured progress field, resolved once (by gid, else by name on the projects)."""
        with self._lock:
            if self._field is None:
                self._field = self._resolve(self._require_field())
            return self._field

    def _require_field(self) -> str:
        if not self._config.progress_field:
            raise Permanent(f"asana source {self._config.name!r} has no progress_field configured")
        return self._config.progress_field

    def _resolve(self, ref: str) -> FieldTarget:
        if ref.isdigit():
            return field_target(self._client.custom_field(ref, FIELD_FIELDS))
        wanted = ref.casefold()
        for project in self._projects():
            try:
                settings = self._client.custom_field_settings(project, SETTING_FIELDS)
            except NotFound:
                continue  # An unreadable project is reported on its own; the field may be on another one.
            for setting in settings:
                field = setting.get("custom_field") or {}
                if str(field.get("name", "")).casefold() == wanted:
                    return field_target(field)
        raise Permanent(
            f"asana custom field {ref!r} is not on any followed project ({', '.join(self._projects())}); "
            "add it to the projects in Asana or fix progress_field (a name or a gid)"
        )

    def _ours(self, task: str, marker: str) -> list[str]:
        """The gids of the task's comment stories that carry our marker, oldest first."""
        return [
            str(story["gid"])
            for story in self._client.stories(task, STORY_FIELDS)
            if story.get("type") == "comment" and marker in f"{story.get('text', '')}{story.get('html_text', '')}"
        ]
