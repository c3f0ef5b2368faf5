"""Rendering: the per-task progress comment and field values syncd writes into trackers.

The comment is a public contract; identical inputs give byte-identical text (so a hash decides whether
anything needs writing), entries are ordered by KR id, and times are the KR's last progress change in
UTC at minute precision, never the render time. Markdown (GitHub and friends)::

    <!-- syncd:task=<source>:<external_id> -->
    **OKR progress** for this task

    - **ENG-1.2** Ship onboarding: **67%** (2 of 3 tasks done), on track
      Objective ENG-1 Faster onboarding · Cycle 2025-Q1 · last change 2025-02-03 14:05 UTC

    > ⚠️ Label `kr:ENG-9` names no key result ENG-9. Did you mean ENG-1.2, ENG-1.9?

A tracker with other markup brings its own `CommentRenderer` (Asana's rich text: `adapters.asana.render`),
built from the same words (`amount_text`, `comment_status_text`, `unknown_text`, ...). A task that links no KR and
names no unknown KR renders a short "no longer counts towards any key result" text (with the marker, here).
A renderer owes the runtime only `render`: a marker is one tracker's way to find its comment again (its
adapter's business, `syncd.ports`), and markup that keeps no hidden text (Jira's ADF) may carry none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, Protocol

from syncd.core.matching import UnknownKr
from syncd.core.model import (
    CycleView,
    KeyResultView,
    Measure,
    ObjectiveView,
    Status,
    TaskRef,
    TaskWeight,
)
from syncd.core.progress import KrProgress
from syncd.core.status import STATUS_WORDS, as_utc

HEADING = "OKR progress"
NO_LONGER_COUNTS = "This task no longer counts towards any key result."


@dataclass(frozen=True, slots=True)
class CommentEntry:
    """One linked KR as the comment shows it: the KR, its objective and cycle, progress, last change."""

    kr: KeyResultView
    objective: ObjectiveView
    cycle: CycleView
    progress: KrProgress
    changed_at: datetime | None


class CommentRenderer(Protocol):
    """A tracker's comment markup: the whole progress record of a task, as text."""

    def render(self, ref: TaskRef, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr]) -> str:
        """The whole comment; `entries` come sorted by KR id and `unknown` sorted, each without duplicates."""
        ...


def render_task_comment(
    ref: TaskRef, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr], renderer: CommentRenderer
) -> str:
    """The whole comment for one task in the tracker's markup (see the module docstring for the format)."""
    # Sorted on everything (repr breaks ties), so no input order can change the bytes.
    ordered = sorted(set(entries), key=lambda entry: (entry.kr.id, repr(entry)))
    warnings = sorted(set(unknown), key=lambda item: (item.kr_id, item.label, item.suggestions))
    return renderer.render(ref, ordered, warnings)


def format_percent(progress: float) -> str:
    """A whole percentage rounded half up (2/3 -> `67%`, 0.125 -> `13%`), never banker's rounding."""
    return f"{whole_percent(progress)}%"


def whole_percent(progress: float) -> int:
    """`progress` (0-1) as a whole percentage, half up on its shortest decimal spelling."""
    # repr gives the shortest decimal that round-trips, so 0.285 rounds as the 0.285 a person reads.
    return int((Decimal(repr(float(progress))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def render_field_value(progress: float, style: Literal["percent", "fraction", "text"]) -> float | str:
    """A field's value: `percent` 0-100, `fraction` 0-1 (Asana percent fields), `text` like `67%`.

    Numbers use the same whole percentage as the comment, so a field and its comment never disagree."""
    percent = whole_percent(progress)
    if style == "percent":
        return float(percent)
    if style == "fraction":
        return percent / 100
    return f"{percent}%"


def format_number(value: float) -> str:
    """A number without float noise: `3`, `2.5`, `0.33` (at most two decimals)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_changed_at(changed_at: datetime | None) -> str:
    """The KR's last progress change in UTC to the minute, or a note that none was recorded."""
    if changed_at is None:
        return "no change recorded yet"
    return f"last change {as_utc(changed_at).strftime('%Y-%m-%d %H:%M')} UTC"


def amount_text(kr: KeyResultView, progress: KrProgress) -> str:
    """done/total in words: `2 of 3 tasks done`, `5 of 8 points done` (with `; in-progress work earns 50%
    credit` when that credit lifts the percentage), or `current / target unit`."""
    if kr.measure is Measure.TASKS:
        noun = "points" if kr.task_weight is TaskWeight.POINTS else "tasks"
        if noun == "tasks" and progress.total == 1:
            noun = "task"
        text = f"{format_number(progress.done)} of {format_number(progress.total)} {noun} done"
        if (
            kr.in_progress_credit > 0
            and progress.total > 0
            and progress.progress - progress.done / progress.total > 1e-9
        ):
            # The percentage is above done/total: say why, or `10 of 30 points done` reads as a wrong 47%.
            text += f"; in-progress work earns {format_percent(kr.in_progress_credit)} credit"
        return text
    unit = kr.unit
    if kr.measure is Measure.COUNT and not unit:
        unit = "points done" if kr.task_weight is TaskWeight.POINTS else "tasks done"
    current = progress.current if progress.current is not None else progress.done
    target = progress.target if progress.target is not None else progress.total
    text = f"{format_number(current)} / {format_number(target)} {unit}".rstrip()
    if kr.measure is Measure.METRIC and kr.start:
        text += f" (from {format_number(kr.start)})"
    return text


def status_text(progress: KrProgress, cycle: CycleView) -> str:
    """Status in words against expected, for views read now (`syncd status`, the API): `on track (expected
    45%)`, `not started (cycle starts ...)`."""
    words = comment_status_text(progress, cycle)
    if progress.status in (Status.NOT_STARTED, Status.NO_TASKS, Status.DONE):
        return words
    return f"{words} (expected {format_percent(progress.expected)})"


def comment_status_text(progress: KrProgress, cycle: CycleView) -> str:
    """Status in words as comments say it: `on track`, `not started (cycle starts ...)`. No expected figure:
    it moves with the calendar, and would rewrite every comment about daily with nothing a reader cares
    about changed; the words change only when the status does."""
    words = STATUS_WORDS[progress.status]
    if progress.status is Status.NOT_STARTED:
        return f"{words} (cycle starts {cycle.start.isoformat()})"
    if progress.status is Status.NO_TASKS:
        return "no tasks linked yet"
    return words


def cycle_name(cycle: CycleView) -> str:
    """`2025-Q1 (First quarter)`, or the id alone when the title adds nothing."""
    return f"{cycle.id} ({cycle.title})" if cycle.title and cycle.title != cycle.id else cycle.id


def unknown_text(item: UnknownKr) -> tuple[str, str]:
    """The warning for an unknown KR as (what, hint) in plain words."""
    what = f"names no key result {item.kr_id}" if item.kr_id else "names no key result id after the prefix"
    hint = f"Did you mean {', '.join(item.suggestions)}?" if item.suggestions else "Check the id in the OKR config."
    return what, hint


def _md(text: str) -> str:
    """Text made inert in Markdown: punctuation that would format, link or open HTML is escaped."""
    return "".join("\\" + char if char in "\\`*_[]<>#|~" else char for char in text)


def _md_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


class MarkdownComment:
    """Markdown with a hidden HTML-comment marker (GitHub and friends); see the module docstring."""

    def marker(self, ref: TaskRef) -> str:
        """`<!-- syncd:task=<source>:<external_id> -->`, with `--` made unable to end the comment early: the
        exact substring every comment of the task contains, by which Markdown trackers' adapters find it again."""
        return f"<!-- syncd:task={ref.source}:{ref.external_id.replace('--', '-&#45;')} -->"

    def render(self, ref: TaskRef, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr]) -> str:
        """The Markdown comment (see the module docstring)."""
        return _markdown(self.marker(ref), entries, unknown)


#: The Markdown renderer, shared by every tracker whose comments are Markdown.
MARKDOWN = MarkdownComment()


def _markdown(marker: str, entries: Sequence[CommentEntry], unknown: Sequence[UnknownKr]) -> str:
    lines = [marker]
    if not entries and not unknown:
        return "\n".join([*lines, NO_LONGER_COUNTS]) + "\n"
    lines += [f"**{HEADING}** for this task", ""]
    for entry in entries:
        p = entry.progress
        lines.append(
            f"- **{_md(entry.kr.id)}** {_md(entry.kr.title)}: **{format_percent(p.progress)}** "
            f"({_md(amount_text(entry.kr, p))}), {comment_status_text(p, entry.cycle)}"
        )
        lines.append(
            f"  Objective {_md(entry.objective.id)} {_md(entry.objective.title)} · "
            f"Cycle {_md(cycle_name(entry.cycle))} · {format_changed_at(entry.changed_at)}"
        )
    for item in unknown:
        what, hint = unknown_text(item)
        if lines[-1]:  # one blank line before each warning block, never two (a comment of warnings only)
            lines.append("")
        lines.append(f"> ⚠️ Label {_md_code(item.label)} {_md(what)}. {_md(hint)}")
    return "\n".join(lines) + "\n"
