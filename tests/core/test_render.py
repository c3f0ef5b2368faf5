"""Rendering: the per-task comment (Markdown and Asana rich text), percentages and field values."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.asana.render import ASANA_RICH_TEXT
from syncd.core.matching import UnknownKr
from syncd.core.model import KeyResultView, Measure, Status, TaskRef, TaskWeight
from syncd.core.progress import KrProgress
from syncd.core.render import (
    MARKDOWN,
    CommentEntry,
    CommentRenderer,
    amount_text,
    format_percent,
    render_field_value,
    render_task_comment,
    status_text,
)
from syncd.simulators.asana.stories import plain_text
from tests.support.core_builders import QUARTER, kr, objective

REF = TaskRef("acme-github", "acme/web#12")
GID = TaskRef("acme-asana", "1204567890123456")
CHANGED = datetime(2025, 2, 3, 14, 5, 59, tzinfo=UTC)
ASANA_TAGS = {"body", "strong", "em", "ul", "li", "a", "code"}


def entry(
    kr_id: str = "ENG-1.2", progress: float = 2 / 3, status: Status = Status.ON_TRACK, **kr_fields: object
) -> CommentEntry:
    """A comment entry for a tasks KR at 2 of 3 done, on track against 45%."""
    view = kr(kr_id, title=f"Ship {kr_id}", **kr_fields)
    result = KrProgress(kr_id, progress, status, 0.45, 2.0, 3.0, 3)
    return CommentEntry(view, objective("ENG-1", kr_id, title="Faster onboarding"), QUARTER, result, CHANGED)


class TestMarkdown:
    """The GitHub comment."""

    def test_full_comment(self) -> None:
        """Marker, heading, one line per KR with objective, cycle and last change, then warnings."""
        unknown = [UnknownKr("kr:ENG-9", "ENG-9", ("ENG-1.2", "ENG-1.3"))]
        text = render_task_comment(REF, [entry()], unknown, MARKDOWN)
        assert text == (
            "<!-- syncd:task=acme-github:acme/web#12 -->\n"
            "**OKR progress** for this task\n"
            "\n"
            "- **ENG-1.2** Ship ENG-1.2: **67%** (2 of 3 tasks done), on track\n"
            "  Objective ENG-1 Faster onboarding · Cycle 2025-Q1 (Q1 2025) · last change 2025-02-03 14:05 UTC\n"
            "\n"
            "> ⚠️ Label `kr:ENG-9` names no key result ENG-9. Did you mean ENG-1.2, ENG-1.3?\n"
        )

    def test_entries_are_ordered_by_kr_id(self) -> None:
        """Whatever order the caller gives, KRs appear by id."""
        text = render_task_comment(REF, [entry("OPS-2.1"), entry("ENG-1.2")], [], MARKDOWN)
        assert text.index("ENG-1.2") < text.index("OPS-2.1")

    def test_no_links_says_the_task_no_longer_counts(self) -> None:
        """A task whose labels were removed gets a short note (with the marker, to edit in place)."""
        text = render_task_comment(REF, [], [], MARKDOWN)
        assert text == (
            "<!-- syncd:task=acme-github:acme/web#12 -->\nThis task no longer counts towards any key result.\n"
        )

    def test_only_unknown_labels_render_the_warning(self) -> None:
        """A task whose only KR label is a typo is told so, with no suggestion when nothing is close."""
        text = render_task_comment(REF, [], [UnknownKr("kr:XYZ", "XYZ", ())], MARKDOWN)
        assert "names no key result XYZ. Check the id in the OKR config." in text
        assert "no longer counts" not in text
        assert "\n\n\n" not in text  # one blank line between the heading and the warning, not two

    def test_titles_cannot_inject_markdown(self) -> None:
        """Formatting characters in titles are escaped, so a title cannot bold, link or open HTML."""
        view = KeyResultView("ENG-1.2", "*big* [x](y) <b>", "ENG-1", QUARTER.id)
        item = entry()
        text = render_task_comment(
            REF, [CommentEntry(view, item.objective, QUARTER, item.progress, None)], [], MARKDOWN
        )
        assert r"\*big\* \[x\](y) \<b\>" in text

    def test_label_with_backtick_stays_one_code_span(self) -> None:
        """A backtick in a label does not break out of the code span."""
        text = render_task_comment(REF, [], [UnknownKr("kr:a`b", "a`b", ())], MARKDOWN)
        assert "``` kr:a`b ```" not in text
        assert "`` kr:a`b ``" in text

    def test_marker_cannot_close_early(self) -> None:
        """An external id containing `--` cannot end the hidden HTML comment."""
        marker = MARKDOWN.marker(TaskRef("s", "a-->b"))
        assert marker.count("-->") == 1
        assert marker.endswith("-->")


class TestAsana:
    """The Asana story in its rich-text subset."""

    def test_full_comment(self) -> None:
        """Same content in `<body>`, with a visible marker and only allowed tags."""
        unknown = [UnknownKr("kr:ENG-9", "ENG-9", ("ENG-1.2",))]
        text = render_task_comment(GID, [entry()], unknown, ASANA_RICH_TEXT)
        assert text == (
            "<body><strong>OKR progress</strong> [syncd acme-asana:1204567890123456]\n<ul>"
            "<li><strong>ENG-1.2</strong> Ship ENG-1.2: <strong>67%</strong> (2 of 3 tasks done), "
            "on track. Objective ENG-1 Faster onboarding; cycle 2025-Q1 (Q1 2025); "
            "<em>last change 2025-02-03 14:05 UTC</em></li>"
            "<li>⚠️ Label <code>kr:ENG-9</code> names no key result ENG-9. Did you mean ENG-1.2?</li>"
            "</ul></body>"
        )

    @pytest.mark.parametrize("entries", [[], [entry()], [entry("B-1"), entry("A-1")]])
    def test_only_tags_asana_accepts_and_no_html_comment(self, entries: list[CommentEntry]) -> None:
        """Asana rejects other tags and HTML comments."""
        text = render_task_comment(GID, entries, [UnknownKr("kr:<x>", "<x>", ())], ASANA_RICH_TEXT)
        assert set(re.findall(r"</?([a-z]+)", text)) <= ASANA_TAGS
        assert "<!--" not in text
        assert text.startswith("<body>")
        assert text.endswith("</body>")

    @pytest.mark.parametrize("entries", [[], [entry()]])
    def test_marker_is_in_the_plain_text(self, entries: list[CommentEntry]) -> None:
        """The story's plain `text` (tags stripped) contains the marker adapters search for."""
        text = render_task_comment(GID, entries, [], ASANA_RICH_TEXT)
        plain = html.unescape(re.sub(r"<[^>]+>", "", text))
        assert ASANA_RICH_TEXT.marker(GID) in plain

    @pytest.mark.parametrize("unknown", [[], [UnknownKr("kr:ENG-9", "ENG-9", ())]])
    def test_the_marker_is_set_apart_from_the_text_after_it(self, unknown: list[UnknownKr]) -> None:
        """In the story's plain text the marker ends a line: `[syncd acme-asana:123]` then a newline, never
        `[syncd acme-asana:123]ENG-1.2 ...` run together."""
        text = render_task_comment(GID, [entry()], unknown, ASANA_RICH_TEXT)
        plain = plain_text(text)  # the story's `text`, as the simulator (like Asana) derives it
        marker = ASANA_RICH_TEXT.marker(GID)
        assert f"{marker}\n" in plain

    def test_titles_are_escaped(self) -> None:
        """A title with `<` or `&` cannot add tags."""
        view = KeyResultView("ENG-1.2", "R&D <script>", "ENG-1", QUARTER.id)
        item = entry()
        text = render_task_comment(
            GID, [CommentEntry(view, item.objective, QUARTER, item.progress, None)], [], ASANA_RICH_TEXT
        )
        assert "R&amp;D &lt;script&gt;" in text


class TestDeterminism:
    """Identical inputs give byte-identical text; the time shown is the KR's last change."""

    def test_same_input_same_bytes(self) -> None:
        """Two renders of equal inputs are identical, whatever order unknown labels come in."""
        unknown = [UnknownKr("kr:B", "B", ()), UnknownKr("kr:A", "A", ())]
        for fmt in (MARKDOWN, ASANA_RICH_TEXT):
            first = render_task_comment(REF, [entry("X-1"), entry("A-1")], unknown, fmt)
            second = render_task_comment(REF, [entry("A-1"), entry("X-1")], unknown[::-1], fmt)
            assert first == second

    def test_change_time_is_shown_in_utc_to_the_minute(self) -> None:
        """Seconds do not show, so a re-stamp within the minute renders identically; zones become UTC."""
        item = entry()
        plus_two = CHANGED.astimezone(timezone(timedelta(hours=2))).replace(second=1)
        other = CommentEntry(item.kr, item.objective, item.cycle, item.progress, plus_two)
        assert render_task_comment(REF, [item], [], MARKDOWN) == render_task_comment(REF, [other], [], MARKDOWN)

    def test_no_change_recorded(self) -> None:
        """A KR without a recorded change says so rather than printing a render time."""
        item = entry()
        text = render_task_comment(
            REF, [CommentEntry(item.kr, item.objective, QUARTER, item.progress, None)], [], MARKDOWN
        )
        assert "no change recorded yet" in text


class TestWords:
    """How progress, amounts and status read."""

    @pytest.mark.parametrize(
        ("progress", "text"),
        [
            (2 / 3, "67%"),
            (1 / 3, "33%"),
            (0.125, "13%"),
            (0.005, "1%"),
            (0.004999, "0%"),
            (0.285, "29%"),
            (0.995, "100%"),
            (0.0, "0%"),
            (1.0, "100%"),
            (0.5, "50%"),
            (0.015, "2%"),
            (0.025, "3%"),
        ],
    )
    def test_percent_rounds_half_up(self, progress: float, text: str) -> None:
        """Half up, never to even: 12.5% shows 13% and 2.5% shows 3%."""
        assert format_percent(progress) == text

    @pytest.mark.parametrize(
        ("view", "result", "text"),
        [
            (kr(), KrProgress("K", 2 / 3, Status.ON_TRACK, 0.5, 2.0, 3.0, 3), "2 of 3 tasks done"),
            (kr(), KrProgress("K", 1.0, Status.DONE, 0.5, 1.0, 1.0, 1), "1 of 1 task done"),
            (
                kr(task_weight=TaskWeight.POINTS),
                KrProgress("K", 0.6, Status.ON_TRACK, 0.5, 4.5, 7.5, 3),
                "4.5 of 7.5 points done",
            ),
            (
                kr(task_weight=TaskWeight.POINTS, in_progress_credit=0.5),
                KrProgress("K", 14 / 30, Status.ON_TRACK, 0.5, 10.0, 30.0, 6),
                "10 of 30 points done; in-progress work earns 50% credit",
            ),
            (
                kr(in_progress_credit=0.25),
                KrProgress("K", 0.75, Status.ON_TRACK, 0.5, 2.0, 3.0, 3),
                "2 of 3 tasks done; in-progress work earns 25% credit",
            ),
            (
                kr(in_progress_credit=0.5),  # credit is configured, but nothing in progress earns any now
                KrProgress("K", 2 / 3, Status.ON_TRACK, 0.5, 2.0, 3.0, 3),
                "2 of 3 tasks done",
            ),
            (
                kr(measure=Measure.COUNT, target=5.0),
                KrProgress("K", 0.6, Status.ON_TRACK, 0.5, 3.0, 5.0, 4, 3.0, 5.0),
                "3 / 5 tasks done",
            ),
            (
                kr(measure=Measure.COUNT, target=5.0, unit="releases"),
                KrProgress("K", 0.6, Status.ON_TRACK, 0.5, 3.0, 5.0, 4, 3.0, 5.0),
                "3 / 5 releases",
            ),
            (
                kr(measure=Measure.METRIC, target=200.0, unit="ms", start=500.0),
                KrProgress("K", 0.5, Status.ON_TRACK, 0.5, 350.0, 200.0, 0, 350.0, 200.0),
                "350 / 200 ms (from 500)",
            ),
            (
                kr(measure=Measure.METRIC, target=1.0),
                KrProgress("K", 1 / 3, Status.ON_TRACK, 0.5, 1 / 3, 1.0, 0, 1 / 3, 1.0),
                "0.33 / 1",
            ),
        ],
    )
    def test_amounts(self, view: KeyResultView, result: KrProgress, text: str) -> None:
        """Tasks and points read as `done of total` (saying so when in-progress credit adds to it), count and
        metric as `current / target unit`."""
        assert amount_text(view, result) == text

    @pytest.mark.parametrize(
        ("status", "words"),
        [
            (Status.ON_TRACK, ", on track\n"),
            (Status.AT_RISK, ", at risk\n"),
            (Status.OFF_TRACK, ", off track\n"),
            (Status.DONE, ", done\n"),
            (Status.NO_TASKS, "no tasks linked yet"),
            (Status.NOT_STARTED, "not started (cycle starts 2025-01-01)"),
        ],
    )
    def test_status_words(self, status: Status, words: str) -> None:
        """Status reads in words (the live views add the expected figure; comments do not)."""
        assert words in render_task_comment(REF, [entry(status=status)], [], MARKDOWN)

    @pytest.mark.parametrize("renderer", [MARKDOWN, ASANA_RICH_TEXT], ids=["markdown", "asana"])
    def test_the_text_does_not_move_with_the_calendar(self, renderer: CommentRenderer) -> None:
        """Days pass, the expected progress rises, the status holds: the comment is the same to the byte, so
        nothing is written (issue 23: 1,000 idle tasks made 1,000 edits a day)."""
        today, later = entry(), entry()
        later = replace(later, progress=replace(later.progress, expected=0.58))
        ref = REF if renderer is MARKDOWN else GID
        assert render_task_comment(ref, [today], [], renderer) == render_task_comment(ref, [later], [], renderer)

    def test_the_status_view_still_says_what_is_expected(self) -> None:
        """`syncd status` and the API are read now: they keep the expected figure."""
        assert status_text(entry().progress, QUARTER) == "on track (expected 45%)"


class TestFieldValues:
    """Field values use the comment's whole percentage, in the unit the field takes."""

    @pytest.mark.parametrize(
        ("progress", "percent", "fraction", "text"),
        [(2 / 3, 67.0, 0.67, "67%"), (0.25, 25.0, 0.25, "25%"), (0.0, 0.0, 0.0, "0%"), (1.0, 100.0, 1.0, "100%")],
    )
    def test_styles(self, progress: float, percent: float, fraction: float, text: str) -> None:
        """percent 0-100, fraction 0-1 (Asana percent fields take 0.25 for 25%), text like the comment."""
        assert render_field_value(progress, "percent") == percent
        assert render_field_value(progress, "fraction") == fraction
        assert render_field_value(progress, "text") == text
