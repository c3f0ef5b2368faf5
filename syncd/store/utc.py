"""The store's one UTC codec: times are bound as UTC and read back marked UTC.

SQLite keeps timestamps as naive text, so every time is converted to UTC before it is bound (text
comparison then orders correctly) and marked UTC again when read back.
"""

from __future__ import annotations

from datetime import UTC, datetime


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive time is taken to be UTC already): the form every time is bound in."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """A time read from the store, marked UTC (SQLite returns naive times); None stays None."""
    return None if moment is None else to_utc(moment)
