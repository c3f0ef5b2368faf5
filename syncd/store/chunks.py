"""Long id lists in slices, so no `IN (...)` or multi-row VALUES outgrows a driver's parameter limit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

#: Rows per statement when a list of ids goes into `IN (...)` or a multi-row VALUES.
CHUNK = 500

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
