"""The in-process SQLite write gate: our own writers queue for the write lock instead of failing or sleeping.

The store's busy timeout is set to zero here, so any writer that met SQLite's lock instead of the gate
would fail at once with "database is locked"."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select, text

from syncd.runtime.ingest.delivery_writer import DeliveryRow, DeliveryWriter, IngestOutcome
from syncd.store.schema import Delivery
from syncd.store.transactions import write_transaction
from tests.support.worker_env import EPOCH


@pytest.fixture
def held(engine: Engine) -> Iterator[Engine]:
    """The store with no busy timeout, while another thread of this process holds a write transaction
    for 0.2 s (it releases the lock on its own)."""

    def pragma(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    engine.dispose()
    event.listen(engine, "connect", pragma)
    entered = threading.Event()

    def hold() -> None:
        with write_transaction(engine) as conn:
            conn.execute(text("UPDATE deliveries SET attempts = attempts"))
            entered.set()
            time.sleep(0.2)

    holder = threading.Thread(target=hold)
    holder.start()
    assert entered.wait(10)
    yield engine
    holder.join(10)


def test_a_second_writer_of_this_process_waits_for_the_first(held: Engine) -> None:
    with write_transaction(held) as conn:  # would raise "database is locked" without the gate
        conn.execute(text("UPDATE deliveries SET attempts = attempts"))


def test_the_webhook_writer_waits_for_the_worker_and_stores(held: Engine) -> None:
    writer = DeliveryWriter(held, confirm_within=5.0)
    try:
        outcome = asyncio.run(writer.submit(DeliveryRow("gh", "d-1", "issues.opened", b"{}", EPOCH)))
    finally:
        writer.close()
    assert outcome is IngestOutcome.STORED
    with held.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Delivery.__table__)) == 1
