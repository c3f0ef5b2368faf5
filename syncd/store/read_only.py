"""One read-only look at the store for status and the read API: one connection, nothing written.

Every read rolls back what it opened and turns a database failure into a one-line `StoreError`
naming what was being read and where (password hidden).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from syncd.store.errors import StoreError, display_url, first_line

T = TypeVar("T")


def store_location(engine: Engine) -> str:
    """The store's URL as messages and `syncd status` show it (password hidden)."""
    return display_url(engine.url.render_as_string(hide_password=False))


def read_only(engine: Engine, what: str, read: Callable[[Connection], T]) -> T:
    """`read(conn)` on one connection, rolled back; a store failure says it `cannot read <what>`."""
    try:
        with engine.connect() as conn:
            result = read(conn)
            conn.rollback()
    except SQLAlchemyError as error:
        where = store_location(engine)
        raise StoreError(f"cannot read {what} from the store at {where}: {first_line(error)}") from None
    return result
