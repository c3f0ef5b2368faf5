"""Page-number pagination with GitHub's `Link` header (first/prev/next/last), over the kit's numbered pages."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from syncd.simulators.github.http import Call, Reply
from syncd.simulators.github.state import SimError
from syncd.simulators.kit.paging import link_header, numbered_page

T = TypeVar("T")
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30


def page_numbers(call: Call) -> tuple[int, int]:
    """`(page, per_page)` from the query; per_page is capped at 100 as on GitHub."""
    try:
        page = max(1, int(call.query.get("page", "1")))
        per_page = min(MAX_PER_PAGE, max(1, int(call.query.get("per_page", str(DEFAULT_PER_PAGE)))))
    except ValueError as error:
        raise SimError(422, "Validation Failed: page and per_page must be integers") from error
    return page, per_page


def paginate(call: Call, items: Sequence[T], render: Callable[[T], str] | None = None) -> Reply:
    """One page of `items` as a JSON array, with a `Link` header to its neighbours.

    Only the page's items are rendered (`render` gives each one's JSON text; plain JSON values by default)."""
    page = numbered_page(items, *page_numbers(call))
    encode: Callable[[Any], str] = render or json.dumps
    link = link_header(call.url, call.query.multi_items(), page)
    return Reply(text="[" + ",".join(encode(item) for item in page.items) + "]", headers={"link": link} if link else {})
