"""What the trackers show now: syncd's comments on a task, the percentages they state, the progress field.

Read from the simulators' Python APIs (what a person would see on the task's page), so the sandbox and
its tests can hold syncd's writes against the ground truth.
"""

from __future__ import annotations

import re

from syncd.core.model import TaskSnapshot
from syncd.sandbox.company import PROGRESS_FIELD
from syncd.simulators.asana import AsanaSimulator
from syncd.simulators.github import GitHubSimulator

#: The markers syncd's comments carry (`MarkdownComment.marker`, `AsanaRichText.marker`).
GITHUB_MARKER = "<!-- syncd:task="
ASANA_MARKER = "[syncd "
#: `**ENG-1.2** Title: **67%**` (Markdown) or `<strong>ENG-1.2</strong> Title: <strong>67%</strong>` (Asana).
_ENTRY = re.compile(r"(?:\*\*|<strong>)([A-Za-z0-9][A-Za-z0-9_.-]*)(?:\*\*|</strong>) [^\n]*?: (?:\*\*|<strong>)(\d+)%")


def syncd_comments(github: GitHubSimulator, asana: AsanaSimulator, task: TaskSnapshot) -> list[str]:
    """The bodies of syncd's comments on a task (GitHub Markdown, Asana rich text), oldest first."""
    if task.kind == "task":
        stories = asana.comments(task.external_id)
        return [str(story.get("html_text") or story["text"]) for story in stories if ASANA_MARKER in story["text"]]
    repo, _, number = task.external_id.rpartition("#")
    return [comment.body for comment in github.comments(repo, int(number)) if GITHUB_MARKER in comment.body]


def comment_percents(body: str) -> dict[str, int]:
    """KR id -> the whole percentage a syncd comment states for it."""
    return {kr_id: int(percent) for kr_id, percent in _ENTRY.findall(body)}


def progress_field(asana: AsanaSimulator, gid: str) -> float | None:
    """The Asana task's progress field (a percent field: 0.67 for 67%), or None when unset."""
    value = asana.field_value(gid, PROGRESS_FIELD)
    return None if value is None else float(value)
