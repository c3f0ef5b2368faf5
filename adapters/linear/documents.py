"""The GraphQL documents syncd sends to Linear, kept as `.graphql` files in `adapters/linear/graphql/`.

Each request is one file, plus the `IssueFields` fragment when it spreads it; the tests validate every
document built here against Linear's published schema, so a schema change breaks CI rather than production.
"""

from __future__ import annotations

import functools
from importlib import resources

#: The fragment file spread by the issue queries.
FRAGMENT = "issue_fields"
#: Every document the client sends, by the name of its file (without `.graphql`).
DOCUMENTS = (
    "viewer",
    "teams",
    "issues",
    "issue",
    "comment_create",
    "comment_update",
    "attachment_create",
    "webhooks",
    "webhook_create",
    "webhook_update",
)


def _read(name: str) -> str:
    return resources.files("adapters.linear").joinpath("graphql", f"{name}.graphql").read_text(encoding="utf-8")


@functools.cache
def document(name: str) -> str:
    """The request document `name` (with the fragments it spreads); KeyError for a name not in `DOCUMENTS`."""
    if name not in DOCUMENTS:
        raise KeyError(f"no GraphQL document {name!r} in adapters/linear/graphql")
    text = _read(name)
    if "...IssueFields" in text:
        text += "\n" + _read(FRAGMENT)
    return text
