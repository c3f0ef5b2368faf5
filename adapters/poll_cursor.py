"""A polled partition's bookmark, as the trackers that list by "updated since" keep it: the newest update delivered,
and the tasks delivered near it (their id and update time), so the next poll's overlap re-reads them without
delivering them twice. Shared by the Jira, GitLab and Linear adapters; each names itself for the log."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar, Self

import structlog

from syncd.core.bookmarks import advance_bookmark
from syncd.ports import Bookmark

log = structlog.get_logger("syncd.adapters.poll_cursor")


@dataclass(frozen=True)
class PollCursor:
    """The newest update delivered (`at`) and the tasks delivered near it (id -> ISO update time)."""

    #: The tracker whose cursor this is, for the log line of an unreadable one (`jira.bookmark_unreadable`).
    tracker: ClassVar[str] = "tracker"

    at: datetime | None = None
    seen: Mapping[str, str] = field(default_factory=dict)

    def dump(self) -> str | None:
        """The cursor as stored in `Bookmark.cursor`."""
        if self.at is None:
            return None
        return json.dumps({"at": self.at.isoformat(), "seen": dict(sorted(self.seen.items()))}, separators=(",", ":"))

    @classmethod
    def load(cls, bookmark: Bookmark | None) -> Self:
        """The cursor of a stored bookmark; an unreadable one means a fresh listing (logged), never a crash."""
        if bookmark is None or not bookmark.cursor:
            return cls()
        try:
            data = json.loads(bookmark.cursor)
            seen = {str(k): datetime.fromisoformat(str(v)).isoformat() for k, v in dict(data.get("seen") or {}).items()}
            return cls(datetime.fromisoformat(str(data["at"])), seen)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning(f"{cls.tracker}.bookmark_unreadable", partition=bookmark.partition)
            return cls()

    def advanced(self, delivered: Iterable[tuple[str, datetime]], started_at: datetime, overlap: timedelta) -> Self:
        """The cursor after a poll delivered these (id, update time) pairs: `at` moves as `advance_bookmark` says,
        and the seen-set keeps what the next poll's `overlap` reads again."""
        pairs = list(delivered)
        at = advance_bookmark(self.at, [updated for _, updated in pairs], started_at)
        if at is None:
            return self
        horizon = at - overlap
        seen = {key: value for key, value in self.seen.items() if datetime.fromisoformat(value) >= horizon}
        seen |= {key: updated.isoformat() for key, updated in pairs if updated >= horizon}
        return type(self)(at, seen)
