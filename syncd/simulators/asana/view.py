"""A plain-text view of one simulated task and its stories, for people watching the sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def task_text(task: Mapping[str, Any], stories: Sequence[Mapping[str, Any]], *, deleted: bool = False) -> str:
    """The task's state, tags, fields and comments as readable lines."""
    state = "deleted" if deleted else ("completed" if task["completed"] else "open")
    lines = [f"Task {task['gid']}: {task['name']} [{state}]"]
    for membership in task["memberships"]:
        lines.append(
            f"  project {membership['project']['name']} ({membership['project']['gid']}), section {membership['section']['name']}"
        )
    if task["parent"]:
        lines.append(f"  subtask of {task['parent']['name']} ({task['parent']['gid']})")
    lines.append("  tags: " + (", ".join(tag["name"] for tag in task["tags"]) or "(none)"))
    for field in task["custom_fields"]:
        lines.append(f"  field {field['name']}: {field.get('display_value') or '(empty)'}")
    lines.append(f"  modified {task['modified_at']}  {task['permalink_url']}")
    comments = [s for s in stories if s.get("type") == "comment"]
    lines.append(f"Comments ({len(comments)}):")
    for story in comments:
        lines.append(f"- story {story['gid']} at {story['created_at']}:")
        lines.extend(f"    {line}" for line in str(story["text"]).splitlines() or [""])
    others = [s for s in stories if s.get("type") != "comment"]
    lines.append(f"Activity ({len(others)}):")
    lines.extend(f"- {s['created_at']} {s['resource_subtype']}: {s['text']}" for s in others)
    return "\n".join(lines) + "\n"
