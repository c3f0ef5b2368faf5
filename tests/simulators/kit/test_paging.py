"""The kit's paging helpers: numbered pages with a Link header, offset tokens, and GraphQL cursor connections."""

from __future__ import annotations

import pytest

from syncd.simulators.kit.paging import (
    PageTokenError,
    cursor_page,
    link_header,
    numbered_page,
    offset_of,
    offset_page,
    offset_token,
)

ITEMS = list(range(7))


class TestNumberedPages:
    """GitHub-style pages: `page` of `per_page`, with next/last and first/prev links keeping the query."""

    def test_a_middle_page_links_to_all_four_neighbours_with_the_query_kept(self) -> None:
        """Page 2 of 3 links next=3, last=3, first=1, prev=1, each with `state=open` and its own `page`."""
        page = numbered_page(ITEMS, 2, 3)
        header = link_header("http://sim/items", [("state", "open"), ("page", "2")], page)
        assert list(page.items) == [3, 4, 5]
        assert header == (
            '<http://sim/items?state=open&page=3>; rel="next", <http://sim/items?state=open&page=3>; rel="last", '
            '<http://sim/items?state=open&page=1>; rel="first", <http://sim/items?state=open&page=1>; rel="prev"'
        )

    def test_exactly_one_page_has_no_link_and_one_more_item_makes_a_second(self) -> None:
        """Three items in pages of three: no Link; four items: page 1 links to page 2 as next and last."""
        assert link_header("http://sim/i", [], numbered_page(ITEMS[:3], 1, 3)) is None
        header = link_header("http://sim/i", [], numbered_page(ITEMS[:4], 1, 3))
        assert header == '<http://sim/i?page=2>; rel="next", <http://sim/i?page=2>; rel="last"'


class TestOffsetTokens:
    """Asana-style pages: an opaque token per next page, and a refusal of tokens no page handed out."""

    def test_walking_the_tokens_visits_every_item_once(self) -> None:
        """Pages of three over seven items: 3 + 3 + 1, the last without a next token."""
        seen, token, pages = [], None, 0
        while True:
            page = offset_page(ITEMS, token, 3)
            seen.extend(page.items)
            pages += 1
            if page.next_token is None:
                break
            token = page.next_token
        assert (seen, pages) == (ITEMS, 3)

    def test_a_token_round_trips_and_a_made_up_one_is_refused(self) -> None:
        """`offset_token(5)` decodes to 5; a cursor, garbage or a negative index is a PageTokenError."""
        assert offset_of(offset_token(5)) == 5
        assert offset_of(None) == 0
        for bad in ("not-a-token", cursor_page(ITEMS, first=1).end_cursor or "", "b2Zmc2V0Oi0x"):  # offset:-1
            with pytest.raises(PageTokenError):
                offset_of(bad)


class TestCursorPages:
    """GraphQL connections (`first`/`after`, `pageInfo`), as a Linear or GitHub GraphQL simulator answers."""

    def test_after_the_end_cursor_comes_the_next_page_until_has_next_page_is_false(self) -> None:
        """`first: 4` over seven items: four then three, the second page knowing it has a previous one."""
        first = cursor_page(ITEMS, first=4)
        second = cursor_page(ITEMS, first=4, after=first.end_cursor)
        assert (list(first.items), first.has_next_page, first.has_previous_page) == ([0, 1, 2, 3], True, False)
        assert (list(second.items), second.has_next_page, second.has_previous_page) == ([4, 5, 6], False, True)
        assert second.page_info() == {
            "hasNextPage": False,
            "hasPreviousPage": True,
            "startCursor": second.cursors[0],
            "endCursor": second.cursors[-1],
        }

    def test_without_first_everything_comes_and_an_empty_page_has_no_cursors(self) -> None:
        """No `first`: one page of all items; no items: null cursors and no next page."""
        assert list(cursor_page(ITEMS).items) == ITEMS
        empty = cursor_page([], first=10)
        assert (empty.start_cursor, empty.end_cursor, empty.has_next_page) == (None, None, False)

    def test_an_offset_token_is_not_a_cursor_and_first_must_not_be_negative(self) -> None:
        """Cursors and offset tokens are not interchangeable; `first: -1` is refused."""
        with pytest.raises(PageTokenError):
            cursor_page(ITEMS, after=offset_token(1))
        with pytest.raises(ValueError, match="first"):
            cursor_page(ITEMS, first=-1)
