"""What the trackers show now: syncd's comments on a task, the percentages they state, the progress field.

Read from each simulator (what a person would see on the task's page, through its `SandboxTracker`),
so the sandbox and its tests can hold syncd's writes against the ground truth.
"""

from __future__ import annotations

import re

from syncd.core.model import TaskSnapshot
from syncd.sandbox.tracker import SandboxSource

#: `**ENG-1.2** Title: **67%**` (Markdown) or `<strong>ENG-1.2</strong> Title: <strong>67%</strong>` (rich text).
_ENTRY = re.compile(r"(?:\*\*|<strong>)([A-Za-z0-9][A-Za-z0-9_.-]*)(?:\*\*|</strong>) [^\n]*?: (?:\*\*|<strong>)(\d+)%")


def syncd_comments(source: SandboxSource, task: TaskSnapshot) -> list[str]:
    """The bodies of syncd's comments on a task of `source` (in its tracker's markup), oldest first."""
    return source.tracker.syncd_comments(task.external_id)


def comment_percents(body: str) -> dict[str, int]:
    """KR id -> the whole percentage a syncd comment states for it."""
    return {kr_id: int(percent) for kr_id, percent in _ENTRY.findall(body)}


def progress_field(source: SandboxSource, task: TaskSnapshot) -> float | None:
    """The task's progress field (a fraction: 0.67 for 67%), or None when unset."""
    return source.tracker.progress_field(task.external_id)
