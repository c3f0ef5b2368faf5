"""Linear's comment markup: Markdown without the hidden marker, the `CommentRenderer` of `kind: linear`.

Linear renders Markdown but keeps no HTML comment, so the text carries no marker: the adapter finds its
comment again by the id it chose when it created it (`adapters.linear.push`). The words are the Markdown
comment's (`syncd.core.render`); the attachment's title and subtitle are written here too.
"""

from __future__ import annotations

from collections.abc import Sequence

from syncd.core.matching import UnknownKr
from syncd.core.model import TaskRef
from syncd.core.render import CommentEntry, MarkdownComment, format_percent


class LinearMarkdown(MarkdownComment):
    """Markdown progress comments with no marker line."""

    def marker(self, ref: TaskRef) -> str:
        """No marker: Linear drops HTML comments, and the comment is found by its client-chosen id."""
        return ""

    def render(self, ref: TaskRef, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr]) -> str:
        """The Markdown comment without the marker's (empty) first line."""
        return super().render(ref, entries, unknown).lstrip("\n")


def attachment_title(progress: float) -> str:
    """The attachment's title in the issue's sidebar: `OKR progress 67%`."""
    return f"OKR progress {format_percent(progress)}"


def attachment_subtitle(progress: float) -> str:
    """Its subtitle: what the figure is."""
    if progress >= 1:
        return "The key result this issue counts towards is done (kept by syncd)"
    return f"{format_percent(progress)} of the key result this issue counts towards is done (kept by syncd)"


#: The renderer every Linear source uses.
LINEAR_MARKDOWN = LinearMarkdown()
