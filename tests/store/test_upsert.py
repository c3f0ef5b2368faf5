"""INSERT .. ON CONFLICT helpers behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, Table, select

from syncd.store.schema import Base
from syncd.store.upsert import insert_ignore, upsert

DELIVERIES: Table = Base.metadata.tables["deliveries"]
BOOKMARKS: Table = Base.metadata.tables["bookmarks"]
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def delivery(delivery_id: str, event: str = "issues") -> dict[str, object]:
    """A minimal inbox row."""
    return {
        "source": "acme-github",
        "delivery_id": delivery_id,
        "event": event,
        "body": b"{}",
        "received_at": NOW,
        "status": "pending",
        "attempts": 0,
    }


class TestInsertIgnore:
    """insert_ignore stores new rows once and reports how many it inserted."""

    def test_counts_only_new_rows(self, store_engine: Engine) -> None:
        """A replayed delivery id is skipped and not counted; the first copy is kept."""
        with store_engine.begin() as conn:
            assert insert_ignore(conn, DELIVERIES, [delivery("d1"), delivery("d2")], ["source", "delivery_id"]) == 2
        with store_engine.begin() as conn:
            rows = [delivery("d2", event="push"), delivery("d3")]
            assert insert_ignore(conn, DELIVERIES, rows, ["source", "delivery_id"]) == 1
        with store_engine.connect() as conn:
            events = dict(conn.execute(select(DELIVERIES.c.delivery_id, DELIVERIES.c.event)).all())
        assert events == {"d1": "issues", "d2": "issues", "d3": "issues"}

    def test_duplicates_within_one_call_count_once(self, store_engine: Engine) -> None:
        """Two rows with one key in the same call insert one row."""
        with store_engine.begin() as conn:
            assert insert_ignore(conn, DELIVERIES, [delivery("d1"), delivery("d1")], ["source", "delivery_id"]) == 1

    def test_nothing_to_insert(self, store_engine: Engine) -> None:
        """An empty batch inserts nothing and says so."""
        with store_engine.begin() as conn:
            assert insert_ignore(conn, DELIVERIES, [], ["source", "delivery_id"]) == 0

    def test_large_batches_are_split(self, store_engine: Engine) -> None:
        """More rows than one statement can bind are all inserted."""
        rows = [delivery(f"d{n}") for n in range(3000)]
        with store_engine.begin() as conn:
            assert insert_ignore(conn, DELIVERIES, rows, ["source", "delivery_id"]) == 3000


class TestUpsert:
    """upsert inserts new rows and updates only the named columns of existing ones."""

    def test_updates_named_columns_only(self, store_engine: Engine) -> None:
        """The bookmark's cursor moves; the etag, not in `update`, keeps its old value."""
        key = {"source": "acme-github", "partition": "acme/web"}
        with store_engine.begin() as conn:
            upsert(conn, BOOKMARKS, [{**key, "cursor": "c1", "etag": "e1"}], ["source", "partition"], ["cursor"])
            upsert(conn, BOOKMARKS, [{**key, "cursor": "c2", "etag": "e2"}], ["source", "partition"], ["cursor"])
        with store_engine.connect() as conn:
            assert conn.execute(select(BOOKMARKS.c.cursor, BOOKMARKS.c.etag)).one() == ("c2", "e1")

    def test_last_row_wins_within_one_call(self, store_engine: Engine) -> None:
        """Two rows for one key in the same call leave the later values (PostgreSQL would refuse both)."""
        key = {"source": "acme-github", "partition": "acme/web"}
        rows = [{**key, "cursor": "c1"}, {**key, "cursor": "c2"}]
        with store_engine.begin() as conn:
            upsert(conn, BOOKMARKS, rows, ["source", "partition"], ["cursor"])
        with store_engine.connect() as conn:
            assert conn.execute(select(BOOKMARKS.c.cursor)).scalar_one() == "c2"

    def test_without_update_columns_it_keeps_existing(self, store_engine: Engine) -> None:
        """An empty `update` list behaves as insert-or-ignore."""
        key = {"source": "acme-github", "partition": "acme/web"}
        with store_engine.begin() as conn:
            upsert(conn, BOOKMARKS, [{**key, "cursor": "c1"}], ["source", "partition"], [])
            upsert(conn, BOOKMARKS, [{**key, "cursor": "c2"}], ["source", "partition"], [])
        with store_engine.connect() as conn:
            assert conn.execute(select(BOOKMARKS.c.cursor)).scalar_one() == "c1"


def test_rows_must_name_the_same_columns(store_engine: Engine) -> None:
    """A row with other keys than the first is refused instead of silently losing values."""
    key = {"source": "acme-github", "partition": "acme/web"}
    rows = [{**key, "cursor": "c1"}, {**key, "partition": "acme/api", "cursor": "c1", "etag": "e1"}]
    with store_engine.begin() as conn, pytest.raises(ValueError, match="must name the same columns"):
        upsert(conn, BOOKMARKS, rows, ["source", "partition"], ["cursor"])


def test_refuses_something_that_is_not_a_table(store_engine: Engine) -> None:
    """A select is not a place to insert into: the error says so."""
    with store_engine.begin() as conn, pytest.raises(TypeError, match="need a table"):
        upsert(conn, select(BOOKMARKS).subquery(), [{"source": "s"}], ["source"], [])
