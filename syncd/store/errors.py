"""Store failures as one clear line: what was wrong, where (URL without password), and what to do."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from syncd.core.errors import SyncdError


class StoreError(SyncdError):
    """The store cannot be opened or used; the message is one line and never holds a password."""


class StoreLocked(StoreError):
    """Another syncd daemon already holds the SQLite file (SQLite allows one daemon per file)."""


class StoreNotMigrated(StoreError):
    """The store's schema is missing or behind the code; `syncd db upgrade` fixes it."""


def display_url(url: str) -> str:
    """`url` with the password replaced by `***`, safe for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<unparsable URL>"


def first_line(error: BaseException) -> str:
    """The first meaningful line of a driver error, without SQLAlchemy's background links."""
    original = getattr(error, "orig", None) or error
    for raw in str(original).splitlines():
        line = raw.strip()
        if line and not line.startswith("(Background on this error"):
            return line.rstrip(".")
    return type(original).__name__
