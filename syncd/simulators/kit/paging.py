"""Paging as trackers answer it, free of HTTP: numbered pages with a `Link` header (GitHub REST), opaque
offset tokens (Asana's `next_page.offset`), and Relay-style cursor connections (GraphQL: GitHub's, Linear's).

Each helper slices the items it is given and says where the next page starts; the tracker renders the page
in its own envelope. Tokens and cursors are opaque to clients but decodable here; a token this kit did not
issue raises `PageTokenError`, which the tracker answers as its 400.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PageTokenError(ValueError):
    """A page token or cursor that no earlier page handed out."""


@dataclass(frozen=True)
class NumberedPage(Generic[T]):
    """Page `page` (from 1) of `per_page` items, and the number of the last page (at least 1)."""

    items: Sequence[T]
    page: int
    last: int


def numbered_page(items: Sequence[T], page: int, per_page: int) -> NumberedPage[T]:
    """Page `page` of `items` cut into pages of `per_page`; past the end it is empty."""
    last = max(1, -(-len(items) // per_page))
    return NumberedPage(items[(page - 1) * per_page : page * per_page], page, last)


def link_header(url: str, query: Sequence[tuple[str, str]], page: NumberedPage[Any]) -> str | None:
    """GitHub's `Link` header for a page at `url` (next/last, then first/prev), or None for a lone page.

    Each link repeats `query` with its own `page` parameter."""
    links = []
    if page.page < page.last:
        links += [
            f'<{_page_url(url, query, page.page + 1)}>; rel="next"',
            f'<{_page_url(url, query, page.last)}>; rel="last"',
        ]
    if page.page > 1:
        previous = min(page.page - 1, page.last)
        links += [f'<{_page_url(url, query, 1)}>; rel="first"', f'<{_page_url(url, query, previous)}>; rel="prev"']
    return ", ".join(links) if links else None


def _page_url(url: str, query: Sequence[tuple[str, str]], page: int) -> str:
    kept = [(key, value) for key, value in query if key != "page"]
    return f"{url}?{urllib.parse.urlencode([*kept, ('page', str(page))])}"


@dataclass(frozen=True)
class OffsetPage(Generic[T]):
    """Up to `limit` items from a start index, and the token of the next page (None on the last one)."""

    items: Sequence[T]
    next_token: str | None


def offset_page(items: Sequence[T], token: str | None, limit: int) -> OffsetPage[T]:
    """The page that `token` (None: the first) starts, `limit` items long."""
    start = offset_of(token)
    end = start + limit
    return OffsetPage(items[start:end], offset_token(end) if end < len(items) else None)


def offset_token(index: int) -> str:
    """The opaque token of the page starting at `index` (as Asana's look: url-safe base64, no padding)."""
    return _encode("offset", index)


def offset_of(token: str | None) -> int:
    """The start index a token stands for (0 for None); `PageTokenError` if no page issued it."""
    return 0 if token is None else _decode("offset", token)


@dataclass(frozen=True)
class CursorPage(Generic[T]):
    """A Relay connection's page: its items with their cursors, and its `pageInfo`."""

    items: Sequence[T]
    cursors: Sequence[str]
    has_next_page: bool
    has_previous_page: bool

    @property
    def start_cursor(self) -> str | None:
        """The first item's cursor (None for an empty page)."""
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        """The last item's cursor: what a client passes as `after` for the next page."""
        return self.cursors[-1] if self.cursors else None

    def page_info(self) -> dict[str, object]:
        """The GraphQL `pageInfo` object (`hasNextPage`, `hasPreviousPage`, `startCursor`, `endCursor`)."""
        return {
            "hasNextPage": self.has_next_page,
            "hasPreviousPage": self.has_previous_page,
            "startCursor": self.start_cursor,
            "endCursor": self.end_cursor,
        }


def cursor_page(items: Sequence[T], *, first: int | None = None, after: str | None = None) -> CursorPage[T]:
    """The `first` items after the cursor `after` (all of them without `first`); `PageTokenError` for a
    cursor no page handed out, `ValueError` for a negative `first`."""
    if first is not None and first < 0:
        raise ValueError(f"first must be zero or more, got {first}")
    start = 0 if after is None else _decode("cursor", after) + 1
    end = len(items) if first is None else min(len(items), start + first)
    return CursorPage(
        items[start:end],
        [_encode("cursor", index) for index in range(start, end)],
        has_next_page=end < len(items),
        has_previous_page=start > 0,
    )


def _encode(kind: str, index: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{index}".encode()).decode().rstrip("=")


def _decode(kind: str, token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(token.encode() + b"==").decode()
        found, _, number = text.partition(":")
        index = int(number)
    except (ValueError, UnicodeDecodeError) as error:
        raise PageTokenError(f"{token!r} is not a {kind} this simulator handed out") from error
    if found != kind or index < 0:
        raise PageTokenError(f"{token!r} is not a {kind} this simulator handed out")
    return index
