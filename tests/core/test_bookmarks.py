"""Bookmark arithmetic: ask with an overlap, advance to the newest seen, never past the poll's start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.core.bookmarks import advance_bookmark, poll_since

T0 = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


class TestPollSince:
    """Where an incremental poll starts."""

    def test_no_bookmark_means_full_backfill(self) -> None:
        """A first poll asks for everything."""
        assert poll_since(None, MINUTE) is None

    def test_overlap_moves_since_back(self) -> None:
        """Rows updated just before the bookmark are read again, so none is lost to clock skew."""
        assert poll_since(T0, MINUTE) == T0 - MINUTE


class TestAdvanceBookmark:
    """Where the next poll will start."""

    @pytest.mark.parametrize(
        ("previous", "seen", "started", "expected"),
        [
            (None, [], T0, None),
            (T0 - 5 * MINUTE, [], T0, T0 - 5 * MINUTE),
            (None, [T0 - 3 * MINUTE, T0 - MINUTE, T0 - 2 * MINUTE], T0, T0 - MINUTE),
            (T0 - 5 * MINUTE, [T0 - 9 * MINUTE], T0, T0 - 5 * MINUTE),
            (None, [T0 + MINUTE], T0, T0),
            (T0 + 2 * MINUTE, [], T0, T0),
        ],
    )
    def test_advance(
        self, previous: datetime | None, seen: list[datetime], started: datetime, expected: datetime | None
    ) -> None:
        """max(previous, newest seen), capped at the poll's start (the signpost); never goes backwards."""
        assert advance_bookmark(previous, seen, started) == expected

    def test_accepts_any_iterable(self) -> None:
        """Timestamps may be streamed from pages."""
        assert advance_bookmark(None, (t for t in [T0 - MINUTE]), T0) == T0 - MINUTE
