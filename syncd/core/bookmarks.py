"""Bookmark arithmetic for incremental polls (DESIGN.md principle 7, Singer's signpost).

A poll asks for changes since `bookmark - overlap`; the next bookmark is the newest `updated_at`
seen, but never later than the poll's own start time (rows changing during the poll are re-read).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta


def poll_since(bookmark: datetime | None, overlap: timedelta) -> datetime | None:
    """The `since` to ask for: the bookmark moved back by the overlap, or None for a full backfill."""
    return None if bookmark is None else bookmark - overlap


def advance_bookmark(previous: datetime | None, seen: Iterable[datetime], started_at: datetime) -> datetime | None:
    """The bookmark after a poll: max(previous, newest seen), capped at the poll's start (the signpost)."""
    newest = max(seen, default=None)
    candidates = [value for value in (previous, newest) if value is not None]
    if not candidates:
        return None
    return min(max(candidates), started_at)
