"""Asana's comment markup: rich text (`html_text`) with a visible marker, the `CommentRenderer` of `kind: asana`.

The content is the Markdown comment's, inside `<body>...</body>` using only `<strong>`, `<em>`, `<ul>`,
`<li>`, `<code>` (Asana rejects other tags and HTML comments), led by a visible marker
`[syncd <source>:<external_id>]`, then a newline, that also appears in the story's plain `text`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from syncd.core.matching import UnknownKr
from syncd.core.model import TaskRef
from syncd.core.render import (
    HEADING,
    NO_LONGER_COUNTS,
    CommentEntry,
    amount_text,
    comment_status_text,
    cycle_name,
    format_changed_at,
    format_percent,
    unknown_text,
)


class AsanaRichText:
    """Asana rich text with a visible `[syncd <source>:<external_id>]` marker."""

    def marker(self, ref: TaskRef) -> str:
        """`[syncd <source>:<external_id>]`: Asana keeps no hidden text, so the marker is plain to see."""
        return f"[syncd {ref.source}:{ref.external_id}]"

    def render(self, ref: TaskRef, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr]) -> str:
        """The rich-text comment (see the module docstring)."""
        esc = html.escape
        marker = esc(self.marker(ref), quote=False)
        if not entries and not unknown:
            return f"<body>{esc(NO_LONGER_COUNTS, quote=False)} {marker}</body>"
        # A newline after the marker: the story's plain text would run it into the first KR otherwise.
        parts = [f"<body><strong>{HEADING}</strong> {marker}\n"]
        items: list[str] = []
        for entry in entries:
            p = entry.progress
            items.append(
                f"<li><strong>{esc(entry.kr.id)}</strong> {esc(entry.kr.title)}: <strong>{format_percent(p.progress)}</strong> "
                f"({esc(amount_text(entry.kr, p))}), {esc(comment_status_text(p, entry.cycle))}. "
                f"Objective {esc(entry.objective.id)} {esc(entry.objective.title)}; cycle {esc(cycle_name(entry.cycle))}; "
                f"<em>{esc(format_changed_at(entry.changed_at))}</em></li>"
            )
        for item in unknown:
            what, hint = unknown_text(item)
            items.append(f"<li>⚠️ Label <code>{esc(item.label)}</code> {esc(what)}. {esc(hint)}</li>")
        parts.append("<ul>" + "".join(items) + "</ul></body>")
        return "".join(parts)


#: The renderer every Asana source uses.
ASANA_RICH_TEXT = AsanaRichText()
