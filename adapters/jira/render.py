"""Jira's comment markup: an Atlassian Document Format (ADF) document, the `CommentRenderer` of `kind: jira`.

`render` returns the document as compact JSON text with sorted keys, so identical inputs give identical
bytes (the runtime hashes the text to decide whether anything needs writing); the adapter posts it as the
comment's `body` object (to Data Center / Server as wiki markup, `adapters.jira.wiki`). ADF keeps no hidden
text, so the comment carries no marker: the adapter finds it again through the issue entity property
`syncd.progress` (see `adapters.jira.push`). The words are the Markdown comment's (`syncd.core.render`)::

    OKR progress for this task
    • ENG-1.2 Ship onboarding: 67% (2 of 3 tasks done), on track (expected 45%)
      Objective ENG-1 Faster onboarding · Cycle 2025-Q1 · last change 2025-02-03 14:05 UTC
    ⚠️ Label kr:ENG-9 names no key result ENG-9. Did you mean ENG-1.2?
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from syncd.core.matching import UnknownKr
from syncd.core.model import TaskRef
from syncd.core.render import (
    HEADING,
    NO_LONGER_COUNTS,
    CommentEntry,
    amount_text,
    cycle_name,
    format_changed_at,
    format_percent,
    status_text,
    unknown_text,
)

Node = dict[str, Any]


def _text(value: str, *marks: str) -> Node:
    node: Node = {"type": "text", "text": value}
    if marks:
        node["marks"] = [{"type": mark} for mark in marks]
    return node


def _paragraph(*content: Node) -> Node:
    return {"type": "paragraph", "content": list(content)}


def _entry_item(entry: CommentEntry) -> Node:
    p = entry.progress
    return {
        "type": "listItem",
        "content": [
            _paragraph(
                _text(entry.kr.id, "strong"),
                _text(f" {entry.kr.title}: "),
                _text(format_percent(p.progress), "strong"),
                _text(f" ({amount_text(entry.kr, p)}), {status_text(p, entry.cycle)}"),
            ),
            _paragraph(
                _text(
                    f"Objective {entry.objective.id} {entry.objective.title} · Cycle {cycle_name(entry.cycle)} · "
                    f"{format_changed_at(entry.changed_at)}",
                    "em",
                )
            ),
        ],
    }


def _warning(item: UnknownKr) -> Node:
    what, hint = unknown_text(item)
    return _paragraph(_text("⚠️ Label "), _text(item.label, "code"), _text(f" {what}. {hint}"))


class JiraDocument:
    """ADF progress comments (no marker: Jira's adapter finds its comment through an issue property)."""

    def render(self, ref: TaskRef, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr]) -> str:
        """The comment as ADF JSON text (see the module docstring)."""
        content: list[Node]
        if not entries and not unknown:
            content = [_paragraph(_text(NO_LONGER_COUNTS))]
        else:
            content = [_paragraph(_text(HEADING, "strong"), _text(" for this task"))]
            if entries:
                content.append({"type": "bulletList", "content": [_entry_item(entry) for entry in entries]})
            content += [_warning(item) for item in unknown]
        return dump_document({"type": "doc", "version": 1, "content": content})


def dump_document(document: Mapping[str, Any]) -> str:
    """An ADF document as canonical JSON text (sorted keys, no spaces, UTF-8 kept)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def plain_text(node: object) -> str:
    """The text an ADF document shows, paragraphs and list items on their own lines (markup dropped)."""
    if isinstance(node, Mapping):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        inner = "".join(plain_text(child) for child in node.get("content") or ())
        return inner + "\n" if node.get("type") == "paragraph" else inner
    if isinstance(node, list):
        return "".join(plain_text(child) for child in node)
    return ""


#: The renderer every Jira source uses.
JIRA_ADF = JiraDocument()
