"""Page-number pagination with GitHub's `Link` header (first/prev/next/last)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from syncd.simulators.github.http import Call, Reply
from syncd.simulators.github.state import SimError

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
    page, per_page = page_numbers(call)
    last = max(1, -(-len(items) // per_page))
    encode: Callable[[Any], str] = render or json.dumps
    chunk = [encode(item) for item in items[(page - 1) * per_page : page * per_page]]
    links = []
    if page < last:
        links += [f'<{_page_url(call, page + 1)}>; rel="next"', f'<{_page_url(call, last)}>; rel="last"']
    if page > 1:
        links += [f'<{_page_url(call, 1)}>; rel="first"', f'<{_page_url(call, min(page - 1, last))}>; rel="prev"']
    headers = {"link": ", ".join(links)} if links else {}
    return Reply(text="[" + ",".join(chunk) + "]", headers=headers)


def _page_url(call: Call, page: int) -> str:
    query = [(key, value) for key, value in call.query.multi_items() if key != "page"]
    return f"{call.url}?{urllib.parse.urlencode([*query, ('page', str(page))])}"
